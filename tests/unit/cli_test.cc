// The command line as a user meets it: what each mistake is told, and that the docs' lists of
// options are the parser's.
#include "cli.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "messages.h"

namespace isotest {
namespace {

struct Parsed {
  CommandLine command_line;
  std::string err;
  std::string out;
};

Parsed parse(std::vector<std::string> words) {
  words.insert(words.begin(), "isotest");
  std::vector<char*> argv;
  for (auto& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  testing::internal::CaptureStderr();
  testing::internal::CaptureStdout();
  Parsed parsed{parse_command_line(static_cast<int>(words.size()), argv.data()), "", ""};
  parsed.out = testing::internal::GetCapturedStdout();
  parsed.err = testing::internal::GetCapturedStderr();
  return parsed;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

::testing::AssertionResult is_usage_error(const Parsed& parsed) {
  if (parsed.command_line.action != CommandLine::Action::exit ||
      parsed.command_line.exit_code != 125) {
    return ::testing::AssertionFailure() << "accepted; stderr: " << parsed.err;
  }
  std::istringstream lines(parsed.err);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("isotest: ")) {
      return ::testing::AssertionFailure() << "a line without the prefix: " << line;
    }
  }
  return ::testing::AssertionSuccess();
}

// The options that take no value; everything else takes one.
const std::set<std::string> kRunFlags = {"--root", "--read-only", "--clear-env", "--allow-degraded",
                                         "--check"};

std::set<std::string> as_set(const std::vector<std::string>& names) {
  return {names.begin(), names.end()};
}

TEST(CommandLine, EveryOptionGivenAnEmptyValueIsRefusedByName) {
  const auto run_options = option_names("run", false);
  for (const auto& flag : kRunFlags) EXPECT_TRUE(as_set(run_options).contains(flag)) << flag;
  for (const auto& option : run_options) {
    if (kRunFlags.contains(option)) continue;
    auto parsed = parse({"run", option, "", "--", "true"});
    EXPECT_TRUE(is_usage_error(parsed)) << option;
    EXPECT_TRUE(contains(parsed.err, "isotest: " + option + " takes ")) << parsed.err;
    EXPECT_TRUE(contains(parsed.err, "an empty value")) << parsed.err;
  }
  for (const auto& option : option_names("gtest", false)) {
    if (kRunFlags.contains(option) || option == "--fail-on-flaky") continue;
    auto parsed = parse({"gtest", option, "", "/bin/true"});
    EXPECT_TRUE(is_usage_error(parsed)) << option;
    EXPECT_TRUE(contains(parsed.err, option + " takes ")) << parsed.err;
    EXPECT_TRUE(contains(parsed.err, "an empty value")) << parsed.err;
  }
  auto report = parse({"report", "--junit", "", "results"});
  EXPECT_TRUE(is_usage_error(report));
  EXPECT_TRUE(contains(report.err, "--junit takes FILE; got an empty value")) << report.err;
  auto empty_input = parse({"report", ""});
  EXPECT_TRUE(is_usage_error(empty_input));
  EXPECT_TRUE(contains(empty_input.err, "PATH is empty")) << empty_input.err;
  auto empty_binary = parse({"gtest", ""});
  EXPECT_TRUE(is_usage_error(empty_binary));
  EXPECT_TRUE(contains(empty_binary.err, "BINARY is empty")) << empty_binary.err;
}

TEST(CommandLine, AnOptionGivenTwiceKeepsTheLastValue) {
  auto run = parse({"run", "--name", "a", "--name", "b", "--json", "x.json", "--json", "y.json",
                    "--timeout", "1s", "--timeout", "2s", "--", "true"});
  ASSERT_EQ(run.command_line.action, CommandLine::Action::run) << run.err;
  EXPECT_EQ(run.command_line.spec.name, "b");
  EXPECT_EQ(run.command_line.spec.json_path, "y.json");
  EXPECT_EQ(run.command_line.spec.timeout_ms, 2000);
  auto gtest = parse({"gtest", "--json", "x.json", "--json", "y.json", "--filter", "A.*",
                      "--filter", "B.*", "-j", "1", "-j", "3", "/bin/true"});
  ASSERT_EQ(gtest.command_line.action, CommandLine::Action::gtest) << gtest.err;
  EXPECT_EQ(gtest.command_line.gtest.json_path, "y.json");
  EXPECT_EQ(gtest.command_line.gtest.filter, "B.*");
  EXPECT_EQ(gtest.command_line.gtest.jobs, 3);
  auto report = parse({"report", "--junit", "x.xml", "--junit", "y.xml", "results"});
  ASSERT_EQ(report.command_line.action, CommandLine::Action::report) << report.err;
  EXPECT_EQ(report.command_line.report.junit_path, "y.xml");
}

TEST(CommandLine, ArtifactsTakeADirectoryAPolicyAndACap) {
  auto parsed = parse({"run", "--artifacts", "kept/", "--keep", "always", "--artifacts-limit", "1M",
                       "--check", "--", "true"});
  EXPECT_EQ(parsed.command_line.exit_code, 0) << parsed.err;
  const auto& artifacts = parsed.command_line.spec.artifacts;
  EXPECT_TRUE(artifacts.directory.starts_with('/')) << artifacts.directory;
  EXPECT_TRUE(artifacts.directory.ends_with("/kept")) << artifacts.directory;
  EXPECT_EQ(artifacts.keep, KeepPolicy::always);
  EXPECT_EQ(artifacts.limit_bytes, 1024U * 1024);
  auto defaults = parse({"run", "--artifacts", "kept", "--check", "--", "true"});
  EXPECT_EQ(defaults.command_line.spec.artifacts.keep, KeepPolicy::on_failure);
  EXPECT_EQ(defaults.command_line.spec.artifacts.limit_bytes, 64U * 1024 * 1024);
  auto zero = parse({"run", "--artifacts", "kept", "--artifacts-limit", "0", "--", "true"});
  EXPECT_TRUE(is_usage_error(zero));
  EXPECT_TRUE(contains(zero.err, "--artifacts-limit must be greater than zero")) << zero.err;
  auto runner = parse({"gtest", "--artifacts", "kept", "--keep", "never", "/bin/true"});
  EXPECT_EQ(runner.command_line.gtest.artifacts.keep, KeepPolicy::never) << runner.err;
  auto runner_keep_alone = parse({"gtest", "--keep", "never", "/bin/true"});
  EXPECT_TRUE(is_usage_error(runner_keep_alone));
  EXPECT_TRUE(contains(runner_keep_alone.err, "add --artifacts DIR")) << runner_keep_alone.err;
}

TEST(ArtifactsRequest, ACasesFolderNameNeitherNestsNorClimbs) {
  EXPECT_EQ(artifacts_folder_name("Suite.Case"), "Suite.Case");
  EXPECT_EQ(artifacts_folder_name("Inst/Suite.Case/0"), "Inst_Suite.Case_0");
  EXPECT_EQ(artifacts_folder_name(".."), "_..");
  EXPECT_EQ(artifacts_folder_name(""), "_");
}

TEST(CommandLine, TheCommandsWordsMayBeEmpty) {
  auto parsed = parse({"run", "--", "printf", ""});
  EXPECT_EQ(parsed.command_line.action, CommandLine::Action::run) << parsed.err;
  EXPECT_EQ(parsed.command_line.spec.command, (std::vector<std::string>{"printf", ""}));
}

TEST(CommandLine, NumbersOutOfTheirRangeOrSyntaxNameTheOptionTheValueAndWhatItTakes) {
  struct Case {
    std::string option;
    std::string value;
    std::string takes;
  };
  const std::vector<Case> cases = {
      {"--cpus", "nan", "--cpus takes a number of CPUs from 0.01 to 4096"},
      {"--cpus", "inf", "--cpus takes a number of CPUs from 0.01 to 4096"},
      {"--cpus", "-1", "--cpus takes a number of CPUs from 0.01 to 4096"},
      {"--cpus", "1e3", "--cpus takes a number of CPUs from 0.01 to 4096"},
      {"--cpus", "5000", "--cpus takes a number of CPUs from 0.01 to 4096"},
      {"--cpus", "0.001", "--cpus takes a number of CPUs from 0.01 to 4096"},
      {"--pids", "1", "--pids takes a whole number from 2"},
      {"--pids", "4194305", "to 4194304 (the kernel's limit)"},
      {"--pids", "99999999999999999999", "--pids takes a whole number from 2"},
      {"--pids", "1.5", "--pids takes a whole number from 2"},
      {"--time-offset", "1.5", "--time-offset takes a whole number of seconds"},
      {"--time-offset", "99999999999999999999", "--time-offset takes a whole number of seconds"},
      {"--memory", "12Q", "--memory takes a size of at least 1M"},
      {"--memory", "512K", "--memory takes a size of at least 1M, such as 256M or 1G; got 524288"},
      {"--timeout", "abc", "--timeout takes a duration"},
      {"--kill-after", "-1s", "--kill-after takes a duration"},
      {"--output-limit", "lots", "--output-limit takes a size"},
      {"--pass-fd", "x", "--pass-fd takes a file descriptor number"},
  };
  for (const auto& c : cases) {
    auto parsed = parse({"run", c.option, c.value, "--", "true"});
    EXPECT_TRUE(is_usage_error(parsed)) << c.option << " " << c.value;
    EXPECT_TRUE(contains(parsed.err, c.takes)) << parsed.err;
    EXPECT_TRUE(contains(parsed.err, c.value == "512K" ? "524288" : c.value)) << parsed.err;
    EXPECT_FALSE(contains(parsed.err, "Could not convert")) << parsed.err;
  }
  auto kernel_maximum = parse({"run", "--pids", "4194304", "--", "true"});
  EXPECT_EQ(kernel_maximum.command_line.spec.limits.pids_max, 4194304U) << kernel_maximum.err;
}

TEST(CommandLine, TheRunnersCountsNameTheOptionTheValueAndWhatTheyTake) {
  for (const auto& [option, value] :
       std::vector<std::pair<std::string, std::string>>{{"-j", "abc"},
                                                        {"--jobs", "0"},
                                                        {"--retries", "-1"},
                                                        {"--repeat", "99999999999999999999"},
                                                        {"--batch", "1.5"},
                                                        {"--shard-index", "x"},
                                                        {"--shard-count", "0"}}) {
    auto parsed = parse({"gtest", option, value, "/bin/true"});
    EXPECT_TRUE(is_usage_error(parsed)) << option << " " << value;
    EXPECT_TRUE(
        std::regex_search(parsed.err, std::regex("--[a-z-]+ takes a count of [01] or more; got ")))
        << parsed.err;
    EXPECT_TRUE(contains(parsed.err, "`" + value + "`")) << parsed.err;
    EXPECT_FALSE(contains(parsed.err, "Could not convert")) << parsed.err;
  }
}

TEST(CommandLine, AShardVariableThatIsNotANumberIsNamed) {
  ::setenv("GTEST_TOTAL_SHARDS", "abc", 1);
  ::setenv("GTEST_SHARD_INDEX", "0", 1);
  auto parsed = parse({"gtest", "/bin/true"});
  ::unsetenv("GTEST_TOTAL_SHARDS");
  ::unsetenv("GTEST_SHARD_INDEX");
  EXPECT_TRUE(is_usage_error(parsed));
  EXPECT_TRUE(contains(parsed.err, "GTEST_TOTAL_SHARDS takes a whole number; got `abc`"))
      << parsed.err;
  EXPECT_FALSE(contains(parsed.err, "-1")) << parsed.err;
}

TEST(CommandLine, ATmpfsOfSizeZeroIsRefusedNotUnlimited) {
  auto parsed = parse({"run", "--tmpfs", "/mnt:0", "--", "true"});
  EXPECT_TRUE(is_usage_error(parsed));
  EXPECT_TRUE(contains(parsed.err, "--tmpfs /mnt:0 would have no size limit")) << parsed.err;
  auto sized = parse({"run", "--tmpfs", "/mnt:1", "--", "true"});
  EXPECT_EQ(sized.command_line.action, CommandLine::Action::run) << sized.err;
}

TEST(CommandLine, AnUnknownCommandIsNamed) {
  auto parsed = parse({"frobnicate"});
  EXPECT_TRUE(is_usage_error(parsed));
  EXPECT_TRUE(contains(parsed.err,
                       "isotest: unknown command `frobnicate`; use run, gtest, "
                       "report, doctor or cmake-include"))
      << parsed.err;
  auto none = parse({});
  EXPECT_TRUE(is_usage_error(none));
  EXPECT_TRUE(contains(none.err, "give a command: run, gtest, report or doctor")) << none.err;
  EXPECT_FALSE(contains(none.err, "A subcommand is required")) << none.err;
}

TEST(CommandLine, AnOptionWithoutItsValueSaysWhatItTakes) {
  auto parsed = parse({"run", "--memory"});
  EXPECT_TRUE(is_usage_error(parsed));
  EXPECT_TRUE(contains(parsed.err, "isotest: --memory takes SIZE; none given")) << parsed.err;
}

TEST(CommandLine, CheckOnlyParsesAndValidates) {
  auto fine = parse({"run", "--check", "--pids", "16", "--memory", "64M", "--", "true"});
  EXPECT_EQ(fine.command_line.action, CommandLine::Action::exit);
  EXPECT_EQ(fine.command_line.exit_code, 0) << fine.err;
  EXPECT_EQ(fine.err, "");
  auto refused = parse({"run", "--check", "--pids", "1", "--", "true"});
  EXPECT_TRUE(is_usage_error(refused));
  EXPECT_TRUE(contains(refused.err, "--pids takes a whole number from 2")) << refused.err;
}

TEST(CommandLine, TheRunnerPassesFlagsOnAsFlags) {
  for (const std::string flag : {"--root", "--read-only", "--clear-env", "--allow-degraded"}) {
    auto parsed = parse({"gtest", flag, "/bin/true"});
    ASSERT_EQ(parsed.command_line.action, CommandLine::Action::gtest) << parsed.err;
    EXPECT_EQ(parsed.command_line.gtest.sandbox_arguments, std::vector<std::string>{flag});
    auto off = parse({"gtest", flag + "=false", "/bin/true"});
    ASSERT_EQ(off.command_line.action, CommandLine::Action::gtest) << off.err;
    EXPECT_TRUE(off.command_line.gtest.sandbox_arguments.empty()) << flag;
  }
  auto valued = parse({"gtest", "--timeout", "2s", "--share", "ipc,uts", "/bin/true"});
  EXPECT_EQ(valued.command_line.gtest.sandbox_arguments,
            (std::vector<std::string>{"--share", "ipc", "--share", "uts", "--timeout", "2s"}));
}

// ---- the docs' lists of the options `isotest gtest` takes ----

std::string read_doc(const std::string& name) {
  std::ifstream in(std::string(ISOTEST_SOURCE_DIR) + "/docs/" + name);
  std::ostringstream text;
  text << in.rdbuf();
  EXPECT_FALSE(text.str().empty()) << "cannot read docs/" << name;
  return text.str();
}

std::set<std::string> options_in(const std::string& text) {
  std::set<std::string> names;
  static const std::regex kOption("`(--[a-z-]+)`");
  for (std::sregex_iterator it(text.begin(), text.end(), kOption), end; it != end; ++it) {
    names.insert((*it)[1].str());
  }
  return names;
}

TEST(CommandLine, GtestRunnerDocListsExactlyTheSandboxOptionsTheParserTakes) {
  const std::string doc = read_doc("gtest-runner.md");
  const auto section = doc.find("### Isolation and limits");
  ASSERT_NE(section, std::string::npos);
  // The list is the section's first paragraph.
  const auto start = doc.find_first_not_of('\n', doc.find('\n', section));
  const std::string paragraph = doc.substr(start, doc.find("\n\n", start) - start);
  EXPECT_EQ(options_in(paragraph), as_set(option_names("gtest", true))) << paragraph;
}

TEST(CommandLine, CliDocSaysWhichRunOptionsGtestLeavesOut) {
  const std::string doc = read_doc("cli.md");
  std::smatch match;
  ASSERT_TRUE(
      std::regex_search(doc, match, std::regex(R"(every\s+option\s+below\s+but\s+([^;]*);)")))
      << "cli.md no longer says which options `isotest gtest` leaves out";
  auto expected = as_set(option_names("run", false));
  for (const auto& left_out : options_in(match[1].str())) {
    EXPECT_TRUE(expected.erase(left_out) == 1) << left_out << " is not an option of run";
  }
  EXPECT_EQ(expected, as_set(option_names("gtest", true)));
}

TEST(CommandLine, GtestHelpListsTheSandboxOptions) {
  auto parsed = parse({"gtest", "--help"});
  EXPECT_EQ(parsed.command_line.exit_code, 0);
  for (const auto& option : option_names("gtest", true)) {
    EXPECT_TRUE(contains(parsed.out, option)) << option << " missing from:\n" << parsed.out;
  }
  for (const std::string run_only : {"--pass-fd", "--check", "--name"}) {
    EXPECT_FALSE(contains(parsed.out, run_only)) << parsed.out;
  }
}

TEST(Messages, EveryLineCarriesThePrefixWhateverTheNamesHold) {
  EXPECT_EQ(escape_control_characters("a\nb\tc\rd\x1b[31m\x7f"), "a\\nb\\tc\\rd\\x1b[31m\\x7f");
  EXPECT_EQ(escape_control_characters("plain: ünïcode"), "plain: ünïcode");
  testing::internal::CaptureStderr();
  print_message("exec: command not found: ./first\nsecond");
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "isotest: exec: command not found: ./first\\nsecond\n");
  auto parsed = parse({"run", "--share", "a\nb", "--", "true"});
  EXPECT_TRUE(is_usage_error(parsed));
  EXPECT_TRUE(contains(parsed.err, "`a\\nb`")) << parsed.err;
}

}  // namespace
}  // namespace isotest
