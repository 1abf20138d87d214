// What a caller sees when isotest cannot run the command: 125 for bad usage (and no result
// file), 127 for a missing command, 126 for one that cannot be executed; always a message on
// stderr that names the problem.
#include <filesystem>

#include <gtest/gtest.h>

#include "host_view.h"
#include "result_file.h"
#include "spawned_process.h"

namespace isotest::integration {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

bool is_empty_directory(const std::string& path) {
  return std::filesystem::is_empty(path);
}

TEST(RunTest, UnknownFlagIsAUsageError) {
  TempDir dir;
  auto run =
      run_to_end(isotest_run_probe({"--json", dir / "result.json", "--frobnicate"}, {"exit", "0"}));
  EXPECT_EQ(run.exit.exit_code, 125) << describe(run);
  EXPECT_TRUE(contains(run.err, "--frobnicate")) << run.err;
  EXPECT_TRUE(is_empty_directory(dir.path())) << "a usage error wrote a result file";
}

TEST(RunTest, MissingCommandIsAUsageError) {
  TempDir dir;
  for (auto args : {std::vector<std::string>{"run", "--json", dir / "result.json", "--"},
                    std::vector<std::string>{"run", "--json", dir / "result.json"}}) {
    args.insert(args.begin(), tools().isotest);
    auto run = run_to_end(args);
    EXPECT_EQ(run.exit.exit_code, 125) << describe(run);
    EXPECT_TRUE(contains(run.err, "command")) << run.err;
  }
  EXPECT_TRUE(is_empty_directory(dir.path())) << "a usage error wrote a result file";
}

TEST(RunTest, BadDurationIsAUsageError) {
  TempDir dir;
  for (const char* option : {"--timeout", "--kill-after"}) {
    auto run = run_to_end(
        isotest_run_probe({"--json", dir / "result.json", option, "5parsecs"}, {"exit", "0"}));
    EXPECT_EQ(run.exit.exit_code, 125) << describe(run);
    EXPECT_TRUE(contains(run.err, option)) << run.err;
    EXPECT_TRUE(contains(run.err, "5parsecs")) << run.err;
  }
  EXPECT_TRUE(is_empty_directory(dir.path())) << "a usage error wrote a result file";
}

TEST(RunTest, CommandNotFoundExits127) {
  TempDir dir;
  // A PATH whose directories everyone can search: like execvp, isotest reports EACCES (126) when
  // a directory on PATH refuses the search, e.g. root's PATH kept by `setpriv` for nobody.
  const SpawnOptions searchable_path{.extra_environment = {"PATH=/usr/local/bin:/usr/bin:/bin"}};
  for (const char* command : {"/nonexistent/isotest-no-such-command", "isotest-no-such-command"}) {
    const auto json = dir / "result.json";
    auto run = run_to_end(isotest_run({"--json", json}, {command}), searchable_path);
    EXPECT_EQ(run.exit.exit_code, 127) << describe(run);
    EXPECT_TRUE(contains(run.err, command)) << run.err;
    EXPECT_TRUE(contains(run.err, "not found")) << run.err;
    EXPECT_TRUE(results_match_schema({json}));
  }
}

TEST(RunTest, NonExecutableFileExits126) {
  TempDir dir;
  // Files every sandbox sees (the host's /tmp is not among them): a plain file, a directory.
  for (const char* command : {"/etc/passwd", "/etc"}) {
    const auto json = dir / "result.json";
    auto run = run_to_end(isotest_run({"--json", json}, {command}));
    EXPECT_EQ(run.exit.exit_code, 126) << describe(run);
    EXPECT_TRUE(contains(run.err, command)) << run.err;
    EXPECT_TRUE(results_match_schema({json}));
  }
}

}  // namespace
}  // namespace isotest::integration
