// What a caller sees when isotest cannot run the command: 125 for bad usage (and no result
// file), 127 for a missing command, 126 for one that cannot be executed; always a message on
// stderr that names the problem.
#include <array>
#include <filesystem>
#include <sstream>

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

// Every line isotest printed on stderr starts with its prefix.
::testing::AssertionResult every_line_is_isotests(const std::string& err) {
  std::istringstream lines(err);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("isotest: ")) {
      return ::testing::AssertionFailure() << "a line without `isotest: `: " << line << "\nin:\n"
                                           << err;
    }
  }
  return ::testing::AssertionSuccess();
}

// A script with an unset variable (`--memory "$LIMIT"`) must not lose its limit, timeout or
// result file without a word.
TEST(RunTest, EmptyValuesAreRefusedNotIgnored) {
  TempDir dir;
  for (const std::string option : {"--memory", "--timeout", "--json", "--pids", "--chdir",
                                   "--network", "--seccomp", "--name", "--output-limit"}) {
    auto run = run_to_end(isotest_run_probe({option, ""}, {"exit", "0"}),
                          {.working_directory = dir.path()});
    EXPECT_EQ(run.exit.exit_code, 125) << option << ": " << describe(run);
    EXPECT_TRUE(contains(run.err, "isotest: " + option + " takes ")) << run.err;
    EXPECT_TRUE(contains(run.err, "got an empty value (an unset variable?)")) << run.err;
    EXPECT_TRUE(every_line_is_isotests(run.err));
  }
  auto report = run_to_end({tools().isotest, "report", "--junit", "", dir.path()});
  EXPECT_EQ(report.exit.exit_code, 125) << describe(report);
  EXPECT_TRUE(contains(report.err, "--junit takes FILE; got an empty value")) << report.err;
  EXPECT_TRUE(is_empty_directory(dir.path())) << "a refused run wrote a file";
}

TEST(RunTest, NumbersOutsideTheirRangeAreRefusedWithWhatTheOptionTakes) {
  for (const auto& [option, value, takes] : std::vector<std::array<std::string, 3>>{
           {"--cpus", "nan", "--cpus takes a number of CPUs from 0.01 to 4096"},
           {"--cpus", "inf", "--cpus takes a number of CPUs from 0.01 to 4096"},
           {"--pids", "99999999999999999999", "to 4194304 (the kernel's limit)"},
           {"--pids", "4194305", "to 4194304 (the kernel's limit)"},
           {"--time-offset", "1.5", "--time-offset takes a whole number of seconds"},
           {"--tmpfs", "/mnt:0", "--tmpfs /mnt:0 would have no size limit"}}) {
    auto run = run_to_end(isotest_run_probe({option, value}, {"exit", "0"}));
    EXPECT_EQ(run.exit.exit_code, 125) << option << " " << value << ": " << describe(run);
    EXPECT_TRUE(contains(run.err, takes)) << run.err;
    EXPECT_FALSE(contains(run.err, "Could not convert")) << run.err;
  }
}

TEST(RunTest, UnknownCommandIsNamed) {
  auto run = run_to_end({tools().isotest, "frobnicate"});
  EXPECT_EQ(run.exit.exit_code, 125) << describe(run);
  EXPECT_EQ(
      run.err,
      "isotest: unknown command `frobnicate`; use run, gtest, report, doctor or cmake-include\n"
      "isotest: see `isotest --help`\n");
}

TEST(RunTest, ANewlineInACommandsNameKeepsEveryLineIsotests) {
  const std::string command = "/nonexistent/first\nsecond";
  auto run = run_to_end(isotest_run({}, {command}));
  EXPECT_EQ(run.exit.exit_code, 127) << describe(run);
  EXPECT_TRUE(contains(run.err, "/nonexistent/first\\nsecond")) << run.err;
  EXPECT_TRUE(every_line_is_isotests(run.err));
}

TEST(RunTest, AFileWithoutAShebangLineGetsItsOwnHint) {
  TempDir dir;
  write_file(dir / "no-shebang", "echo hello\n");
  std::filesystem::permissions(dir / "no-shebang", std::filesystem::perms::all);
  // The working directory is bound into the sandbox, also below the host's /tmp.
  auto run = run_to_end(isotest_run({}, {"./no-shebang"}), {.working_directory = dir.path()});
  EXPECT_EQ(run.exit.exit_code, 126) << describe(run);
  EXPECT_TRUE(contains(run.err, "ENOEXEC")) << run.err;
  EXPECT_TRUE(contains(run.err,
                       "isotest: hint: the file is neither a binary this machine runs "
                       "nor a script starting with `#!`"))
      << run.err;
  EXPECT_FALSE(contains(run.err, "chmod")) << run.err;
}

TEST(RunTest, CheckOnlyValidatesAndRunsNothing) {
  TempDir dir;
  const auto marker = dir / "ran";
  auto fine = run_to_end(isotest_run({"--check", "--json", dir / "result.json", "--memory", "64M"},
                                     {"/bin/touch", marker}));
  EXPECT_EQ(fine.exit.exit_code, 0) << describe(fine);
  EXPECT_EQ(fine.err, "");
  auto refused = run_to_end(isotest_run({"--check", "--pids", "1"}, {"/bin/touch", marker}));
  EXPECT_EQ(refused.exit.exit_code, 125) << describe(refused);
  EXPECT_TRUE(contains(refused.err, "isotest: --pids takes a whole number from 2")) << refused.err;
  EXPECT_TRUE(is_empty_directory(dir.path())) << "--check ran the command or wrote a result";
}

}  // namespace
}  // namespace isotest::integration
