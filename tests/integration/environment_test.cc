// The test's environment and working directory: --env, --clear-env, --chdir, TMPDIR.
#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "host_view.h"
#include "spawned_process.h"

namespace isotest::integration {
namespace {

std::multiset<std::string> environment_inside(const std::vector<std::string>& options,
                                              const SpawnOptions& spawn = {}) {
  auto run = run_to_end(isotest_run_probe(options, {"env"}), spawn);
  EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
  auto lines = lines_of(run.out);
  return {lines.begin(), lines.end()};
}

TEST(RunTest, EnvironmentIsInheritedAndEnvAddsAndOverrides) {
  const SpawnOptions spawn{
      .extra_environment = {"ISOTEST_IT_INHERITED=from-host", "ISOTEST_IT_OVERRIDDEN=from-host"}};
  auto env = environment_inside(
      {"--env", "ISOTEST_IT_ADDED=a=b", "--env", "ISOTEST_IT_OVERRIDDEN=from-flag"}, spawn);
  EXPECT_EQ(env.count("ISOTEST_IT_INHERITED=from-host"), 1u);
  EXPECT_EQ(env.count("ISOTEST_IT_ADDED=a=b"), 1u);
  EXPECT_EQ(env.count("ISOTEST_IT_OVERRIDDEN=from-flag"), 1u);
  EXPECT_EQ(env.count("ISOTEST_IT_OVERRIDDEN=from-host"), 0u);
}

TEST(RunTest, ClearEnvStartsFromAnEmptyEnvironment) {
  const SpawnOptions spawn{.extra_environment = {"ISOTEST_IT_INHERITED=from-host"}};
  auto env = environment_inside({"--clear-env", "--env", "ONLY=this"}, spawn);
  EXPECT_EQ(env, (std::multiset<std::string>{"ONLY=this", "TMPDIR=/tmp", "TEST_TMPDIR=/tmp"}));
}

TEST(RunTest, TmpdirAndTestTmpdirPointAtTheSandboxTmpUnlessSet) {
  // SpawnedProcess removes TMPDIR and TEST_TMPDIR from what isotest inherits.
  auto env = environment_inside({});
  EXPECT_EQ(env.count("TMPDIR=/tmp"), 1u);
  EXPECT_EQ(env.count("TEST_TMPDIR=/tmp"), 1u);

  auto chosen = environment_inside({"--env", "TMPDIR=/var/tmp"});
  EXPECT_EQ(chosen.count("TMPDIR=/var/tmp"), 1u);
  EXPECT_EQ(chosen.count("TMPDIR=/tmp"), 0u);

  auto run = run_to_end(isotest_run(
      {},
      {"/bin/sh", "-c", R"sh(echo ok > "$TMPDIR/a" && echo ok > "$TEST_TMPDIR/b" && ls /tmp)sh"}));
  EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
  EXPECT_EQ(run.out, "a\nb\n") << "the sandbox's /tmp should start empty and be writable";
}

TEST(RunTest, ChdirSetsTheWorkingDirectoryInside) {
  auto inherited = run_to_end(isotest_run_probe({}, {"cwd"}), {.working_directory = "/etc"});
  EXPECT_EQ(inherited.out, "/etc\n") << describe(inherited);

  auto chosen = run_to_end(isotest_run_probe({"--chdir", "/usr/share"}, {"cwd"}),
                           {.working_directory = "/etc"});
  EXPECT_EQ(chosen.out, "/usr/share\n") << describe(chosen);

  auto relative =
      run_to_end(isotest_run_probe({"--chdir", "share"}, {"cwd"}), {.working_directory = "/usr"});
  EXPECT_EQ(relative.out, "/usr/share\n") << describe(relative);

  auto missing = run_to_end(isotest_run_probe({"--chdir", "/nonexistent/isotest-dir"}, {"cwd"}));
  EXPECT_EQ(missing.exit.exit_code, 125) << describe(missing);
  EXPECT_NE(missing.err.find("/nonexistent/isotest-dir"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace isotest::integration
