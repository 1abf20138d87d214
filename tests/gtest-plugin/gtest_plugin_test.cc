// A GoogleTest binary under `isotest run`, with the plugin and without it (the same source built
// twice, sample_cases.cc): the result's `cases` against what the binary really did, case by
// case and field by field, and every result valid against docs/result.schema.json.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "host_view.h"
#include "result_file.h"
#include "spawned_process.h"

namespace isotest::integration {
namespace {

enum class Build { plugin, plain };

std::string sample(Build build) {
  const char* variable = build == Build::plugin ? "ISOTEST_SAMPLE_PLUGIN" : "ISOTEST_SAMPLE_PLAIN";
  if (const char* path = std::getenv(variable)) return path;
  return build == Build::plugin ? ISOTEST_DEFAULT_SAMPLE_PLUGIN : ISOTEST_DEFAULT_SAMPLE_PLAIN;
}

struct SampleRun {
  Finished run;
  nlohmann::json result;
};

class GtestCases : public ::testing::TestWithParam<Build> {
 protected:
  SampleRun run_sample(const std::string& filter, std::vector<std::string> options = {},
                       const SpawnOptions& spawn = {}) {
    const std::string json = dir_ / ("result" + std::to_string(++runs_) + ".json");
    options.insert(options.begin(), {"--json", json});
    auto run =
        run_to_end(isotest_run(options, {sample(GetParam()), "--gtest_filter=" + filter}), spawn);
    auto result = load_result(json);
    EXPECT_TRUE(results_match_schema({json}));
    return {std::move(run), std::move(result)};
  }
  bool plugin() const { return GetParam() == Build::plugin; }

  TempDir dir_;
  int runs_ = 0;
};

const nlohmann::json& case_named(const nlohmann::json& result, const std::string& name) {
  static const nlohmann::json kMissing;
  if (!result.contains("cases")) {
    ADD_FAILURE() << "no cases in " << result.dump();
    return kMissing;
  }
  for (const auto& c : result["cases"]) {
    if (c["name"] == name) return c;
  }
  ADD_FAILURE() << "no case " << name << " in " << result.value("cases", nlohmann::json()).dump();
  return kMissing;
}

std::vector<std::string> names_of(const nlohmann::json& result) {
  std::vector<std::string> names;
  for (const auto& c : result.value("cases", nlohmann::json::array())) names.push_back(c["name"]);
  return names;
}

// The lines the sample printed before each failing assertion.
std::vector<int> failure_lines(const std::string& out) {
  std::vector<int> lines;
  static const std::regex kLine(R"(failure at (\d+))");
  for (std::sregex_iterator it(out.begin(), out.end(), kLine), end; it != end; ++it) {
    lines.push_back(std::stoi((*it)[1]));
  }
  return lines;
}

// The finished cases of the Basic suite, which both sources must describe the same way.
void expect_basic_cases(const nlohmann::json& result, const std::string& out, bool plugin) {
  const auto& passes = case_named(result, "Basic.Passes");
  EXPECT_EQ(passes["status"], "passed");
  EXPECT_EQ(passes["failures"], nlohmann::json::array());
  EXPECT_EQ(passes["properties"], (nlohmann::json{{"answer", "42"}}));
  EXPECT_GE(passes["duration_ms"].get<double>(), 0);
  EXPECT_FALSE(passes.contains("skip_message"));

  const auto& fails = case_named(result, "Basic.FailsTwice");
  EXPECT_EQ(fails["status"], "failed");
  const auto lines = failure_lines(out);
  ASSERT_EQ(lines.size(), 2u) << out;
  ASSERT_EQ(fails["failures"].size(), 2u) << fails.dump();
  for (int i = 0; i < 2; ++i) {
    const auto& failure = fails["failures"][i];
    EXPECT_TRUE(failure["file"].get<std::string>().ends_with("sample_cases.cc")) << failure;
    EXPECT_EQ(failure["line"], lines[i]) << failure;
    EXPECT_NE(
        failure["message"].get<std::string>().find(i == 0 ? "first failure" : "second failure"),
        std::string::npos)
        << failure;
  }
  EXPECT_NE(fails["failures"][0]["message"].get<std::string>().find("1 + 1"), std::string::npos);

  const auto& skips = case_named(result, "Basic.Skips");
  EXPECT_EQ(skips["status"], "skipped");
  // GoogleTest 1.12's JSON output has no skip message; the plugin has it.
  if (plugin) {
    EXPECT_EQ(skips["skip_message"], "no GPU here");
  }
  EXPECT_TRUE(skips["skip_message"].is_string());

  const auto& disabled = case_named(result, "Basic.DISABLED_Later");
  EXPECT_EQ(disabled["status"], "disabled");
  EXPECT_EQ(disabled["duration_ms"], 0);
}

TEST_P(GtestCases, FinishedRunHasEveryCaseWithItsRealResult) {
  auto [run, result] = run_sample("Basic.*:After.*");
  EXPECT_EQ(run.exit.exit_code, 1) << describe(run);
  EXPECT_EQ(result["status"], "failed");
  EXPECT_EQ(result["gtest"]["cases_source"], plugin() ? "plugin" : "gtest_output");
  EXPECT_EQ(result["gtest"]["premature_exit"], false);
  auto names = names_of(result);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"After.Runs", "Basic.DISABLED_Later",
                                             "Basic.FailsTwice", "Basic.Passes", "Basic.Skips"}));
  expect_basic_cases(result, run.out, plugin());
  EXPECT_EQ(case_named(result, "After.Runs")["status"], "passed");
}

TEST_P(GtestCases, SegfaultMarksTheRunningCaseCrashedAndTheRestNotRun) {
  auto [run, result] = run_sample("Basic.*:Crash.Segfault:After.*");
  EXPECT_EQ(run.exit.exit_code, 139) << describe(run);
  EXPECT_EQ(run.out.find("about to segfault") != std::string::npos, true) << run.out;
  EXPECT_EQ(result["status"], "crashed");
  EXPECT_EQ(result["signal_name"], "SIGSEGV");
  EXPECT_EQ(result["gtest"]["premature_exit"], true);
  if (!plugin()) {
    // GoogleTest writes its JSON only at the end: a crash loses every case.
    EXPECT_FALSE(result.contains("cases")) << result.dump();
    EXPECT_TRUE(result["gtest"]["cases_source"].is_null());
    return;
  }
  EXPECT_EQ(result["gtest"]["cases_source"], "plugin");
  expect_basic_cases(result, run.out, true);
  const auto& crashed = case_named(result, "Crash.Segfault");
  EXPECT_EQ(crashed["status"], "crashed");
  EXPECT_EQ(crashed["failures"], nlohmann::json::array());
  EXPECT_EQ(case_named(result, "After.Runs")["status"], "notrun");
  EXPECT_EQ(case_named(result, "After.Runs")["duration_ms"], 0);
}

TEST_P(GtestCases, AbortMarksTheRunningCaseCrashed) {
  auto [run, result] = run_sample("Crash.Aborts:After.Runs");
  EXPECT_EQ(run.exit.exit_code, 134) << describe(run);
  EXPECT_EQ(result["signal_name"], "SIGABRT");
  if (!plugin()) {
    EXPECT_FALSE(result.contains("cases"));
    return;
  }
  EXPECT_EQ(names_of(result), (std::vector<std::string>{"Crash.Aborts", "After.Runs"}));
  EXPECT_EQ(case_named(result, "Crash.Aborts")["status"], "crashed");
  EXPECT_EQ(case_named(result, "After.Runs")["status"], "notrun");
}

// The frame named FUNCTION ("f()"), or null.
const nlohmann::json* frame_named(const nlohmann::json& crash, const std::string& function) {
  if (!crash.is_object() || !crash.contains("frames")) return nullptr;
  for (const auto& frame : crash["frames"]) {
    if (frame["function"] == function) return &frame;
  }
  return nullptr;
}

std::string host_core_pattern() {
  std::ifstream in("/proc/sys/kernel/core_pattern");
  std::string line;
  std::getline(in, line);
  return line;
}

// The crash site (issue 14): with the plugin, from its fatal-signal handler, on the crashing
// case and in `diagnostics.crash`; without it, from the core where core_pattern writes a file.
// FUNCTION must be on the crashing thread's stack, with its file and line.
void expect_crash_site(const nlohmann::json& crash, const std::string& source, int signal,
                       const std::string& function, const std::string& module) {
  EXPECT_EQ(crash["source"], source) << crash.dump(2);
  EXPECT_EQ(crash["signal"], signal);
  EXPECT_TRUE(crash["tid"].is_number_integer()) << crash.dump(2);
  const nlohmann::json* frame = frame_named(crash, function);
  ASSERT_NE(frame, nullptr) << function << " on no frame:\n" << crash.dump(2);
  EXPECT_TRUE((*frame)["file"].get<std::string>().ends_with("sample_cases.cc")) << frame->dump();
  EXPECT_GT((*frame)["line"].get<int>(), 0);
  EXPECT_EQ((*frame)["module"], module) << frame->dump();
}

// Where the run's crash site comes from, for this build on this host.
std::string expected_crash_source(bool plugin) {
  if (plugin) return "plugin";
  const std::string pattern = host_core_pattern();
  return pattern.empty() || pattern.starts_with('|') ? "none" : "core";
}

TEST_P(GtestCases, CrashSiteNamesTheFunctionThatDereferencedNull) {
  ::chmod(dir_.path().c_str(), 0777);  // a relative core_pattern puts the core here
  auto [run, result] = run_sample("Crash.NullPointer:After.Runs", {"--chdir", dir_.path()});
  EXPECT_EQ(run.exit.exit_code, 139) << describe(run);  // the handler re-raised the signal
  EXPECT_EQ(result["signal_name"], "SIGSEGV");
  const auto& crash = result["diagnostics"]["crash"];
  EXPECT_EQ(result["diagnostics"]["trigger"], "crash") << result.dump(2);
  const std::string source = expected_crash_source(plugin());
  if (source == "none") {
    EXPECT_EQ(crash["source"], "none") << crash.dump(2);
    return;
  }
  expect_crash_site(crash, source, 11, "(anonymous namespace)::dereference_a_null_pointer()",
                    sample(GetParam()));
  EXPECT_EQ(crash["code_name"], "SEGV_MAPERR");
  EXPECT_EQ(crash["address"], "0x0");
  EXPECT_EQ(crash["frames"][0]["function"], "(anonymous namespace)::dereference_a_null_pointer()")
      << crash.dump(2);
  EXPECT_NE(run.err.find("isotest: crashed in (anonymous namespace)::dereference_a_null_pointer() "
                         "at sample_cases.cc:"),
            std::string::npos)
      << run.err;
  if (!plugin()) return;
  const auto& crashed = case_named(result, "Crash.NullPointer");
  EXPECT_EQ(crashed["status"], "crashed");
  EXPECT_EQ(crashed["crash"], crash);
  EXPECT_FALSE(case_named(result, "After.Runs").contains("crash"));
}

// `isotest gtest` runs each case in a sandbox of its own: the crashing case carries the frame of
// the function that crashed (in its decisive attempt's diagnostics, and with the plugin its own
// `crash`), and with --artifacts the case's folder keeps the stack dump and the core the crash
// left (issue 14); the working directory keeps no core.
TEST_P(GtestCases, IsotestGtestCrashedCaseCarriesTheFrameAndKeepsTheCore) {
  ::chmod(dir_.path().c_str(), 0777);
  const std::string work = dir_ / "work";
  std::filesystem::create_directory(work);
  ::chmod(work.c_str(), 0777);
  const std::string kept = dir_ / "kept";
  const std::string json = dir_ / "gtest.json";
  auto run = run_to_end({tools().isotest, "gtest", "--chdir", work, "--artifacts", kept, "--json",
                         json, "--filter", "Crash.NullPointer:After.Runs", sample(GetParam())});
  EXPECT_EQ(run.exit.exit_code, 1) << describe(run);
  const auto document = load_result(json);
  nlohmann::json crashed;
  for (const auto& entry : document.at("cases")) {
    if (entry.at("name") == "Crash.NullPointer") crashed = entry;
    if (entry.at("name") == "After.Runs") {
      EXPECT_EQ(entry.at("status"), "passed");
    }
  }
  ASSERT_EQ(crashed.value("status", ""), "crashed") << document.dump(2);
  const auto& crash = crashed["diagnostics"]["crash"];
  const std::string source = expected_crash_source(plugin());
  EXPECT_EQ(crash["source"], source) << crashed.dump(2);
  const std::vector<std::string> paths = crashed["artifacts"]["paths"];
  EXPECT_NE(std::find(paths.begin(), paths.end(), "forensics/stacks.txt"), paths.end())
      << crashed.dump(2);
  EXPECT_EQ(std::filesystem::directory_iterator(work), std::filesystem::directory_iterator())
      << "the working directory kept something";
  if (source == "none") return;
  expect_crash_site(crash, source, 11, "(anonymous namespace)::dereference_a_null_pointer()",
                    sample(GetParam()));
  if (plugin()) {
    EXPECT_EQ(crashed["crash"], crash);
  }
  // With the plugin too: its handler re-raised the signal, and the kernel wrote the core.
  const auto core = std::find_if(paths.begin(), paths.end(), [](const std::string& path) {
    return path.starts_with("forensics/core");
  });
  ASSERT_NE(core, paths.end()) << crashed.dump(2);
  std::ifstream in(kept + "/Crash.NullPointer/" + *core, std::ios::binary);
  std::string magic(4, '\0');
  in.read(magic.data(), 4);
  EXPECT_EQ(magic,
            "\x7f"
            "ELF")
      << "not the core";
}

TEST_P(GtestCases, CrashSiteOfAnAbortNamesTheFunctionThatCalledIt) {
  ::chmod(dir_.path().c_str(), 0777);
  auto [run, result] = run_sample("Crash.Aborts", {"--chdir", dir_.path()});
  EXPECT_EQ(run.exit.exit_code, 134) << describe(run);
  const auto& crash = result["diagnostics"]["crash"];
  const std::string source = expected_crash_source(plugin());
  if (source == "none") {
    EXPECT_EQ(crash["source"], "none") << crash.dump(2);
    return;
  }
  expect_crash_site(crash, source, 6, "(anonymous namespace)::give_up_with_abort()",
                    sample(GetParam()));
  // abort() sends the signal itself: there is no faulting address.
  EXPECT_TRUE(crash["address"].is_null()) << crash.dump(2);
  if (plugin()) {
    EXPECT_EQ(case_named(result, "Crash.Aborts")["crash"], crash);
  }
}

// AddressSanitizer installs its SIGSEGV handler before any static object of the program is
// built, so before the plugin's: the plugin writes its event, then hands the signal to ASan,
// whose report is printed as ever and which exits 1. The case still carries its crash site.
TEST(GtestPlugin, UnderAddressSanitizerTheCrashSiteComesFirstAndAsanStillReports) {
  TempDir dir;
  const std::string json = dir / "result.json";
  const char* asan_sample = std::getenv("ISOTEST_SAMPLE_PLUGIN_ASAN");
  auto run = run_to_end(
      isotest_run({"--json", json, "--env", "ASAN_OPTIONS=handle_segv=1:detect_leaks=0"},
                  {asan_sample != nullptr ? asan_sample : ISOTEST_DEFAULT_SAMPLE_PLUGIN_ASAN,
                   "--gtest_filter=Crash.NullPointer"}));
  EXPECT_EQ(run.exit.exit_code, 1) << describe(run);  // ASan's exit status, not the signal's
  EXPECT_NE(run.err.find("ERROR: AddressSanitizer: SEGV on unknown address"), std::string::npos)
      << run.err;
  auto result = load_result(json);
  const auto& crashed = case_named(result, "Crash.NullPointer");
  EXPECT_EQ(crashed["status"], "crashed");
  ASSERT_TRUE(crashed.contains("crash")) << result.dump(2);
  EXPECT_EQ(crashed["crash"]["source"], "plugin");
  EXPECT_EQ(crashed["crash"]["signal_name"], "SIGSEGV");
  EXPECT_NE(frame_named(crashed["crash"], "(anonymous namespace)::dereference_a_null_pointer()"),
            nullptr)
      << crashed.dump(2);
  EXPECT_EQ(result["diagnostics"]["crash"], crashed["crash"]);
  EXPECT_TRUE(results_match_schema({json}));
}

TEST_P(GtestCases, PassingRunHasNoCrash) {
  auto [run, result] = run_sample("Basic.Passes:After.Runs");
  EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
  EXPECT_FALSE(result.contains("diagnostics")) << result.dump(2);
  for (const auto& c : result.value("cases", nlohmann::json::array())) {
    EXPECT_FALSE(c.contains("crash")) << c.dump();
  }
}

TEST_P(GtestCases, TimeoutMarksTheHangingCaseTimeout) {
  auto [run, result] = run_sample("Basic.Passes:Hang.Forever:After.Runs",
                                  {"--timeout", "1s", "--kill-after", "200ms"});
  EXPECT_EQ(run.exit.exit_code, 124) << describe(run);
  EXPECT_EQ(result["status"], "timeout");
  if (!plugin()) {
    EXPECT_FALSE(result.contains("cases"));
    return;
  }
  EXPECT_EQ(case_named(result, "Basic.Passes")["status"], "passed");
  const auto& hang = case_named(result, "Hang.Forever");
  EXPECT_EQ(hang["status"], "timeout");
  // It ran from its start until isotest stopped the binary: about the --timeout.
  EXPECT_GE(hang["duration_ms"].get<double>(), 800);
  EXPECT_LE(hang["duration_ms"].get<double>(), result["duration_ms"].get<double>());
  EXPECT_EQ(case_named(result, "After.Runs")["status"], "notrun");
}

TEST_P(GtestCases, MemoryHogKilledByTheLimitIsCrashedInAnOomRun) {
  // Only where this caller gets a memory limit: the CTest registration leaves it out elsewhere.
  auto [run, result] = run_sample("Basic.Passes:Memory.Hog:After.Runs", {"--memory", "64M"});
  EXPECT_EQ(run.exit.exit_code, 137) << describe(run);
  EXPECT_EQ(result["status"], "oom");
  if (!plugin()) {
    EXPECT_FALSE(result.contains("cases"));
    return;
  }
  EXPECT_EQ(case_named(result, "Basic.Passes")["status"], "passed");
  EXPECT_EQ(case_named(result, "Memory.Hog")["status"], "crashed");
  EXPECT_EQ(case_named(result, "After.Runs")["status"], "notrun");
}

TEST_P(GtestCases, AllSkippedIsStatusSkippedAndExit77) {
  auto [run, result] = run_sample("Basic.Skips:Basic.DISABLED_Later");
  EXPECT_EQ(run.exit.exit_code, 77) << describe(run);
  EXPECT_EQ(result["status"], "skipped");
  EXPECT_EQ(result["exit_code"], 0);
  EXPECT_EQ(result["launcher_exit_code"], 77);
  EXPECT_EQ(case_named(result, "Basic.Skips")["status"], "skipped");
  EXPECT_EQ(case_named(result, "Basic.DISABLED_Later")["status"], "disabled");
}

TEST_P(GtestCases, ExitInTheMiddleIsAFailureWithPrematureExit) {
  auto [run, result] = run_sample("Basic.Passes:Exit.Early:After.Runs");
  EXPECT_EQ(run.exit.exit_code, 1) << describe(run);
  EXPECT_EQ(result["exit_code"], 0);
  EXPECT_EQ(result["status"], "failed");
  EXPECT_EQ(result["gtest"]["premature_exit"], true);
  if (plugin()) {
    EXPECT_EQ(case_named(result, "Exit.Early")["status"], "crashed");
    EXPECT_EQ(case_named(result, "After.Runs")["status"], "notrun");
  }
}

TEST_P(GtestCases, ShardingIsPassedThroughAndCheckedWithTheStatusFile) {
  // Bazel's variables only, and --clear-env: isotest passes them on as GoogleTest's.
  const SpawnOptions sharded{.extra_environment = {"TEST_TOTAL_SHARDS=2", "TEST_SHARD_INDEX=1"}};
  auto [run, result] = run_sample("Basic.Passes:After.Runs", {"--clear-env"}, sharded);
  EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
  EXPECT_EQ(result["gtest"]["shard"],
            (nlohmann::json{{"index", 1}, {"total", 2}, {"honoured", true}}));
  // Two cases over two shards: this shard ran one of them.
  EXPECT_EQ(names_of(result).size(), 1u) << result["cases"].dump();

  const SpawnOptions ignoring{.extra_environment = {"GTEST_TOTAL_SHARDS=2", "GTEST_SHARD_INDEX=0",
                                                    "SAMPLE_IGNORE_SHARDING=1"}};
  auto ignored = run_sample("Basic.Passes:After.Runs", {}, ignoring);
  EXPECT_EQ(ignored.result["gtest"]["shard"]["honoured"], false) << ignored.result["gtest"];
  EXPECT_EQ(names_of(ignored.result).size(), 2u);

  auto unsharded = run_sample("Basic.Passes");
  EXPECT_TRUE(unsharded.result["gtest"]["shard"].is_null());
}

TEST_P(GtestCases, CallersOwnGtestOutputIsLeftAlone) {
  TempDir outside("/var/tmp");
  const std::string own = outside / "own.json";
  auto [run, result] = run_sample("Basic.Passes", {"--env", "GTEST_OUTPUT=json:" + own});
  EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
  EXPECT_TRUE(path_exists(own)) << "GoogleTest should have written the caller's file";
  if (!plugin()) {
    EXPECT_FALSE(result.contains("cases"));
    EXPECT_TRUE(result["gtest"]["cases_source"].is_null());
  }
}

INSTANTIATE_TEST_SUITE_P(Builds, GtestCases, ::testing::Values(Build::plugin, Build::plain),
                         [](const auto& param_info) {
                           return param_info.param == Build::plugin ? "WithPlugin"
                                                                    : "WithoutPlugin";
                         });

TEST(GtestPlugin, InSandboxApiReportsWhatTheRunApplied) {
  TempDir dir;
  const std::string json = dir / "result.json";
  auto run = run_to_end(isotest_run(
      {"--json", json, "--network", "none", "--timeout", "20s", "--pids", "40", "--allow-degraded"},
      {sample(Build::plugin), "--gtest_filter=Api.*"}));
  EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
  auto result = load_result(json);
  const auto& pids = result["isolation"]["cgroup"]["limits"]["pids_max"];
  const std::string expected =
      "under_isotest=1 memory=0 pids=" + std::to_string(pids.is_null() ? 0 : pids.get<int>()) +
      " network=none timeout_ms=20000 scratch=/tmp";
  EXPECT_NE(run.out.find(expected), std::string::npos) << run.out;

  // Outside isotest the API says so.
  auto outside = run_to_end({sample(Build::plugin), "--gtest_filter=Api.*"});
  EXPECT_NE(outside.out.find("under_isotest=0 memory=0 pids=0 network= timeout_ms=-1"),
            std::string::npos)
      << outside.out;
}

TEST(GtestPlugin, ListingWritesTheDeclaredNeeds) {
  TempDir dir;
  const std::string needs = dir / "needs.json";
  auto run = run_to_end({sample(Build::plugin), "--gtest_list_tests"},
                        {.extra_environment = {"ISOTEST_LIST_NEEDS=" + needs}});
  EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
  EXPECT_EQ(
      nlohmann::json::parse(read_file(needs)),
      (nlohmann::json{{"Memory.Hog", {"--memory", "96M", "--pids", "32", "--timeout", "30000ms"}},
                      {"Hang.Forever", {"--network", "none"}}}));
  // Without the plugin, nothing.
  const std::string none = dir / "none.json";
  run_to_end({sample(Build::plain), "--gtest_list_tests"},
             {.extra_environment = {"ISOTEST_LIST_NEEDS=" + none}});
  EXPECT_FALSE(path_exists(none));
}

TEST(GtestPlugin, IsotestItselfIsNotTakenForAGoogleTestBinary) {
  TempDir dir;
  const std::string json = dir / "result.json";
  auto run = run_to_end(isotest_run({"--json", json}, {tools().isotest, "--version"}));
  EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
  EXPECT_FALSE(load_result(json).contains("gtest"));
}

TEST(GtestPlugin, OtherCommandsGetNoEventPipeNorGtestVariables) {
  auto run = run_to_end(isotest_run({}, {"/bin/sh", "-c", "ls /proc/self/fd; env"}));
  EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
  EXPECT_EQ(run.out.find("GTEST_OUTPUT"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("ISOTEST_EVENTS_FD"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("TEST_PREMATURE_EXIT_FILE"), std::string::npos) << run.out;
  // ls's own fds are 0, 1, 2 and the directory it reads.
  EXPECT_EQ(run.out.substr(0, run.out.find("ISOTEST")).find("4\n"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace isotest::integration
