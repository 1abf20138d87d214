// The runner's pure parts: listing, filter and shard rules, GoogleTest output attribution, case
// status from attempts, timings order, and `isotest report` reading runner documents.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "case_list.h"
#include "gtest_output.h"
#include "progress.h"
#include "report.h"
#include "runner_report.h"
#include "timings.h"

namespace isotest {
namespace {

TEST(CaseList, ParsesSuitesParamsAndTypedNamesAndDropsDisabled) {
  const auto listing = parse_case_list(
      "Running main() from gtest_main.cc\n"
      "Math.\n  Adds\n  DISABLED_Slow\n"
      "Inst/Param.\n  Works/0  # GetParam() = 1\n  Works/1  # GetParam() = 2\n"
      "Typed/0.  # TypeParam = int\n  Holds\n"
      "DISABLED_Suite.\n  Anything\n");
  EXPECT_EQ(listing.cases, (std::vector<std::string>{"Math.Adds", "Inst/Param.Works/0",
                                                     "Inst/Param.Works/1", "Typed/0.Holds"}));
  EXPECT_EQ(listing.disabled_count, 2U);
}

TEST(CaseList, TellsAListingOfOnlyDisabledCasesFromNoListingAtAll) {
  EXPECT_TRUE(parse_case_list("Math.\n  DISABLED_Slow\n").names_any_case());
  EXPECT_FALSE(parse_case_list("").names_any_case());
  EXPECT_FALSE(parse_case_list("usage: tool [options]\n  --help  this text\n").names_any_case());
  EXPECT_FALSE(parse_case_list("Running main() from gtest_main.cc\n").names_any_case());
}

TEST(CaseFilter, FollowsGoogleTestSyntax) {
  const CaseFilter everything("");
  EXPECT_TRUE(everything.matches("A.b"));
  const CaseFilter some("Math.*:Net.?ind-Math.Slow*:*Flaky");
  EXPECT_TRUE(some.matches("Math.Adds"));
  EXPECT_TRUE(some.matches("Net.Bind"));
  EXPECT_FALSE(some.matches("Net.Binds"));
  EXPECT_FALSE(some.matches("Math.SlowOne"));
  EXPECT_FALSE(some.matches("Math.IsFlaky"));
  const CaseFilter only_negative("-*Slow*");
  EXPECT_TRUE(only_negative.matches("A.Fast"));
  EXPECT_FALSE(only_negative.matches("A.Slow"));
}

TEST(Shards, CoverEveryCaseExactlyOnce) {
  std::vector<std::string> cases;
  for (int i = 0; i < 23; ++i) cases.push_back("S.C" + std::to_string(i));
  std::multiset<std::string> seen;
  for (int index = 0; index < 4; ++index) {
    for (auto& name : select_shard(cases, index, 4)) seen.insert(name);
  }
  EXPECT_EQ(seen, std::multiset<std::string>(cases.begin(), cases.end()));
  EXPECT_EQ(select_shard(cases, 1, 4).front(), "S.C1");
}

TEST(GtestOutput, AttributesEachCaseAndFindsTheOneThatNeverFinished) {
  GtestOutputParser parser;
  parser.feed("Note: Google Test filter = A.x:A.y:A.z\n[ RUN      ] A.x\nhello\n[       OK ] A.");
  parser.feed("x (3 ms)\n[ RUN      ] A.y\nabout to crash\n");
  parser.finish();
  const auto& outcomes = parser.outcomes();
  ASSERT_EQ(outcomes.size(), 2U);
  EXPECT_EQ(outcomes.at("A.x").status, RunStatus::passed);
  EXPECT_EQ(outcomes.at("A.x").duration_ms, 3.0);
  EXPECT_EQ(outcomes.at("A.x").output, "[ RUN      ] A.x\nhello\n[       OK ] A.x (3 ms)\n");
  EXPECT_EQ(outcomes.at("A.y").status, std::nullopt);
  EXPECT_EQ(parser.running_case(), "A.y");
  EXPECT_EQ(outcomes.count("A.z"), 0U);
}

TEST(GtestOutput, ReadsFailedAndSkippedButNotTheFinalSummary) {
  GtestOutputParser parser;
  parser.feed(
      "[ RUN      ] A.f\nboom\n[  FAILED  ] A.f (1 ms)\n[ RUN      ] A.s\n[  SKIPPED ] A.s (0 ms)\n"
      "[  FAILED  ] A.f\n");
  EXPECT_EQ(parser.outcomes().at("A.f").status, RunStatus::failed);
  EXPECT_EQ(parser.outcomes().at("A.s").status, RunStatus::skipped);
  EXPECT_EQ(parser.running_case(), "");
}

TEST(GtestOutput, TimesACaseFromItsLinesWhenGoogleTestGivesNoTime) {
  GtestOutputParser parser;
  parser.feed("[ RUN      ] A.x\n", 100);
  parser.feed("[       OK ] A.x (3 ms)\n[ RUN      ] A.q\n", 2100);
  parser.feed("[       OK ] A.q\n[ RUN      ] A.y\n", 2150);  // --gtest_print_time=0
  parser.feed("about to crash", 2160);
  parser.finish(2170);
  const auto& outcomes = parser.outcomes();
  EXPECT_EQ(outcomes.at("A.x").duration_ms, 3.0) << "GoogleTest's own time wins";
  EXPECT_EQ(outcomes.at("A.q").duration_ms, 50.0);
  // The case that crashed lasted from its [ RUN ] line to the end of the output, not the
  // batch's whole time.
  EXPECT_EQ(outcomes.at("A.y").status, std::nullopt);
  EXPECT_EQ(outcomes.at("A.y").duration_ms, 20.0);
  EXPECT_EQ(outcomes.at("A.y").output, "[ RUN      ] A.y\nabout to crash");
}

nlohmann::json attempt(const std::string& status) {
  return {{"status", status}};
}

CaseRecord record_of(const std::string& name, const std::vector<nlohmann::json>& attempts) {
  CaseRecord record{.name = name, .attempts = {}};
  for (const auto& each : attempts) {
    record.attempts.emplace_back(each, std::pmr::get_default_resource());
  }
  return record;
}

TEST(CaseStatus, TellsFlakyFromBroken) {
  EXPECT_EQ(case_status({attempt("passed")}), "passed");
  EXPECT_EQ(case_status({attempt("failed"), attempt("passed")}), "flaky");
  EXPECT_EQ(case_status({attempt("failed"), attempt("crashed")}), "crashed");
  EXPECT_EQ(case_status({attempt("skipped")}), "skipped");
  EXPECT_EQ(case_status({}), "notrun");
  auto interrupted = attempt("crashed");
  interrupted["interrupted"] = true;
  EXPECT_EQ(case_status({interrupted}), "notrun");
  EXPECT_EQ(
      case_document(record_of("A.b", {attempt("failed"), attempt("failed"), attempt("passed")}))
          .at("failed_attempts"),
      2);
}

// An attempt is kept as text with its invalid UTF-8 (a test's raw output) replaced by U+FFFD, as
// in every file isotest writes; read back, the rest is as it was.
TEST(StoredAttempt, KeepsTheAttemptWithInvalidUtf8Replaced) {
  const nlohmann::json attempt = {{"status", "failed"},
                                  {"duration_ms", 12.5},
                                  {"output", {{"stdout", {{"text", "ok \xff\xfe end"}}}}}};
  const StoredAttempt stored(attempt, std::pmr::get_default_resource());
  const nlohmann::json read = stored.parse();
  EXPECT_EQ(read.at("output").at("stdout").at("text"), "ok \xEF\xBF\xBD\xEF\xBF\xBD end");
  EXPECT_EQ(read.at("status"), "failed");
  EXPECT_EQ(read.at("duration_ms"), 12.5);
}

// The runner reads an attempt's status as the report does (run_status.h): as written, and a
// status it does not know, or none, is a failure.
TEST(CaseStatus, AnAttemptWithoutAKnownStatusFailed) {
  EXPECT_EQ(case_status({nlohmann::json::object(), attempt("passed")}), "flaky");
  EXPECT_EQ(case_status({attempt("passed"), attempt("exploded")}), "flaky");
  EXPECT_EQ(case_status({attempt("exploded")}), "exploded");
  EXPECT_EQ(case_status({nlohmann::json::object()}), "");
  EXPECT_EQ(runner_exit_code({case_document(record_of("A.b", {attempt("exploded")}))}, false), 1);
  EXPECT_EQ(runner_exit_code({case_document(record_of("A.b", {nlohmann::json::object()}))}, false),
            1);
  EXPECT_EQ(runner_exit_code(
                {case_document(record_of("A.b", {attempt("failed"), attempt("passed")}))}, true),
            1);
  EXPECT_EQ(runner_exit_code(
                {case_document(record_of("A.b", {attempt("failed"), attempt("passed")}))}, false),
            0);
}

TEST(Timings, SlowestFirstWithNewCasesAhead) {
  std::vector<std::string> cases = {"fast", "new", "slow", "middle"};
  order_slowest_first(cases, {{"fast", 1}, {"slow", 300}, {"middle", 20}});
  EXPECT_EQ(cases, (std::vector<std::string>{"new", "slow", "middle", "fast"}));
}

TEST(Timings, RoundTripThroughTheFile) {
  const std::string path = testing::TempDir() + "timings-" + std::to_string(::getpid()) + ".json";
  ASSERT_TRUE(save_timings(path, {{"A.b", 12.5}}));
  EXPECT_EQ(load_timings(path), (CaseTimings{{"A.b", 12.5}}));
  std::filesystem::remove(path);
  EXPECT_TRUE(load_timings(path).empty());
}

TEST(Timings, OnlyARegularFileIsReadBack) {
  // A FIFO with no writer would block the read for ever; /dev/stdout may be isotest's own pipe.
  const std::string fifo = testing::TempDir() + "timings-fifo-" + std::to_string(::getpid());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_TRUE(load_timings(fifo).empty());
  std::filesystem::remove(fifo);
  EXPECT_TRUE(load_timings(testing::TempDir()).empty());
}

TEST(Progress, NamesCannotDriveTheTerminal) {
  std::FILE* stream = std::tmpfile();
  ASSERT_NE(stream, nullptr);
  Progress progress(stream, false);
  progress.add_planned(1);
  progress.finished("Evil.\x1b[2J\x1b]0;title\x07", "failed", 12, "the test's own output\n");
  progress.silent("Quiet.\x1b[5m", 61000);
  std::rewind(stream);
  std::string text;
  for (int c = std::fgetc(stream); c != EOF; c = std::fgetc(stream)) text += static_cast<char>(c);
  std::fclose(stream);
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  EXPECT_NE(text.find("[1/1] failed   Evil.\\x1b[2J\\x1b]0;title\\x07 (12 ms)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("isotest: Quiet.\\x1b[5m has printed nothing for 1m01s"), std::string::npos)
      << text;
}

TEST(Report, MergesRunnerDocumentsCaseByCase) {
  const std::string dir = testing::TempDir() + "shards-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  for (int shard = 0; shard < 2; ++shard) {
    RunnerSettings settings;
    settings.binary = "/bin/t";
    settings.shard_index = shard;
    settings.shard_count = 2;
    const auto document = runner_document(
        settings, {},
        {case_document(record_of("S.c" + std::to_string(shard), {attempt("passed")}))});
    std::ofstream(dir + "/shard" + std::to_string(shard) + ".json") << document.dump();
  }
  const auto results = load_results({dir + "/shard0.json", dir + "/shard1.json"});
  ASSERT_EQ(results.size(), 2U);
  EXPECT_EQ(results[0].document.at("name"), "S.c0");
  EXPECT_EQ(results[1].document.at("name"), "S.c1");
  EXPECT_EQ(report_exit_code(results), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace isotest
