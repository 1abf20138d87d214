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
  // isotest's own ISOTEST* variables (tested below) come on top.
  std::erase_if(env, [](const std::string& entry) { return entry.starts_with("ISOTEST"); });
  EXPECT_EQ(env, (std::multiset<std::string>{"ONLY=this", "TMPDIR=/tmp", "TEST_TMPDIR=/tmp"}));
}

TEST(RunTest, IsotestVariablesTellTheTestWhereItRunsAndWhatItGot) {
  auto env = environment_inside({"--name", "Suite.Case", "--network", "none", "--timeout", "90s",
                                 "--time-offset", "3600", "--env", "ISOTEST=0"});
  EXPECT_EQ(env.count("ISOTEST=1"), 1u) << "isotest's own value wins over --env";
  EXPECT_EQ(env.count("ISOTEST=0"), 0u);
  EXPECT_EQ(env.count("ISOTEST_NAME=Suite.Case"), 1u);
  EXPECT_EQ(env.count("ISOTEST_NETWORK=none"), 1u);
  EXPECT_EQ(env.count("ISOTEST_TIMEOUT_MS=90000"), 1u);
  EXPECT_EQ(env.count("ISOTEST_TIME_OFFSET=3600"), 1u);
  EXPECT_EQ(env.count("ISOTEST_SCRATCH_DIR=/tmp"), 1u);
  // No limits asked for: none claimed.
  for (const auto& entry : env) {
    EXPECT_FALSE(entry.starts_with("ISOTEST_MEMORY_MAX=") ||
                 entry.starts_with("ISOTEST_PIDS_MAX=") || entry.starts_with("ISOTEST_CPUS="))
        << entry;
  }
  auto shared = environment_inside({"--share", "mount,net"});
  EXPECT_EQ(shared.count("ISOTEST_NETWORK=host"), 1u);
  EXPECT_EQ(
      std::count_if(shared.begin(), shared.end(),
                    [](const std::string& e) { return e.starts_with("ISOTEST_SCRATCH_DIR="); }),
      0);
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
