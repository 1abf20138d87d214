#include "run_status.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "report.h"

namespace isotest {
namespace {

// The names are the JSON contract (docs/result-json.md, docs/gtest-runner.md): they never change.
TEST(RunStatus, NamesAreTheJsonContract) {
  const std::set<std::string> expected = {"passed",   "failed",       "skipped", "timeout",
                                          "crashed",  "oom",          "flaky",   "notrun",
                                          "disabled", "sandbox_error"};
  std::set<std::string> names;
  for (const RunStatus status : kRunStatuses) names.emplace(status_name(status));
  EXPECT_EQ(names, expected);
}

TEST(RunStatus, EveryNameParsesBackToItsStatus) {
  for (const RunStatus status : kRunStatuses) {
    EXPECT_EQ(parse_status(status_name(status)), status) << status_name(status);
  }
  EXPECT_EQ(parse_status("PASSED"), std::nullopt);
  EXPECT_EQ(parse_status(""), std::nullopt);
  EXPECT_EQ(parse_status("passed "), std::nullopt);
}

TEST(RunStatus, SeverityListsWhatNeedsAttentionFirst) {
  const char* const worst_first[] = {"sandbox_error", "crashed", "oom",     "timeout",  "failed",
                                     "notrun",        "flaky",   "skipped", "disabled", "passed"};
  for (std::size_t i = 1; i < std::size(worst_first); ++i) {
    EXPECT_LT(status_severity(std::string_view(worst_first[i - 1])),
              status_severity(std::string_view(worst_first[i])))
        << worst_first[i - 1] << " before " << worst_first[i];
  }
}

TEST(RunStatus, GoodIsPassedFlakySkippedOrDisabled) {
  std::set<std::string> good;
  for (const RunStatus status : kRunStatuses) {
    if (is_good(status)) good.emplace(status_name(status));
  }
  EXPECT_EQ(good, (std::set<std::string>{"passed", "flaky", "skipped", "disabled"}));
}

// The report's JUnit verdict and is_good() never disagree: a good status is never a failure.
TEST(RunStatus, GoodIsWhatTheReportNeverShowsAsAFailure) {
  for (const RunStatus status : kRunStatuses) {
    const Verdict verdict = verdict_of(std::string(status_name(status)));
    EXPECT_EQ(is_good(status), verdict == Verdict::passed || verdict == Verdict::skipped)
        << status_name(status);
  }
}

// A newer isotest's status, a hand-edited file, or none: shown as written, counted as the worst.
TEST(RunStatus, UnknownOrMissingCountsAsASandboxErrorAndKeepsItsText) {
  EXPECT_EQ(status_counted_as("exploded"), RunStatus::sandbox_error);
  EXPECT_EQ(status_counted_as(""), RunStatus::sandbox_error);
  EXPECT_FALSE(is_good(std::string_view("exploded")));
  EXPECT_FALSE(is_good(std::string_view("")));
  EXPECT_EQ(status_severity(std::string_view("exploded")),
            status_severity(RunStatus::sandbox_error));
  EXPECT_EQ(verdict_of("exploded"), Verdict::error);

  EXPECT_EQ(status_of({{"status", "exploded"}}), "exploded");
  EXPECT_EQ(status_of({{"status", "flaky"}}), "flaky");
  EXPECT_EQ(status_of({{"name", "a"}}), "");
  EXPECT_EQ(status_of({{"status", 3}}), "");
  EXPECT_EQ(status_of(nlohmann::json::array({"passed"})), "");
  EXPECT_EQ(status_of(nlohmann::json()), "");
}

}  // namespace
}  // namespace isotest
