#include "gtest_extension.h"

#include <signal.h>

#include <gtest/gtest.h>

#include "result_builders.h"

namespace isotest {
namespace {

TEST(GtestStatusRules, AllCasesSkippedIsSkippedWith77) {
  auto result = exited_with(0);
  result.cases = {case_with("A.Skips", RunStatus::skipped),
                  case_with("A.DISABLED_Later", RunStatus::disabled)};
  classify(result);
  apply_gtest_status_rules(result);
  EXPECT_EQ(result.status, RunStatus::skipped);
  EXPECT_EQ(result.launcher_exit_code, 77);
}

TEST(GtestStatusRules, OneCaseThatRanMakesItAPassNotASkip) {
  auto result = exited_with(0);
  result.cases = {case_with("A.Skips", RunStatus::skipped),
                  case_with("A.Passes", RunStatus::passed)};
  classify(result);
  apply_gtest_status_rules(result);
  EXPECT_EQ(result.status, RunStatus::passed);
  EXPECT_EQ(result.launcher_exit_code, 0);
  result.cases = std::vector<CaseResult>{};
  classify(result);
  apply_gtest_status_rules(result);
  EXPECT_EQ(result.status, RunStatus::passed) << "no cases at all is not a skip";
}

TEST(GtestStatusRules, SkippedCasesDoNotHideAFailingExit) {
  auto result = exited_with(1);
  result.cases = {case_with("A.Skips", RunStatus::skipped)};
  classify(result);
  apply_gtest_status_rules(result);
  EXPECT_EQ(result.status, RunStatus::failed);
  EXPECT_EQ(result.launcher_exit_code, 1);
}

TEST(GtestStatusRules, ExitZeroWithAnUnfinishedCaseOrPrematureExitIsAFailure) {
  auto result = exited_with(0);
  result.cases = {case_with("A.Exits", RunStatus::crashed)};
  classify(result);
  apply_gtest_status_rules(result);
  EXPECT_EQ(result.status, RunStatus::failed);
  EXPECT_EQ(result.launcher_exit_code, 1);
  auto premature = exited_with(0);
  premature.gtest = GtestRun{.premature_exit = true};
  classify(premature);
  apply_gtest_status_rules(premature);
  EXPECT_EQ(premature.status, RunStatus::failed);
  EXPECT_EQ(premature.launcher_exit_code, 1);
}

TEST(GtestStatusRules, AnInterruptedRunKeepsTheExitStatusOfTheSignal) {
  auto result = exited_with(0);
  result.cases = {case_with("A.Skips", RunStatus::skipped)};
  result.killed_by_harness = HarnessKill{.reason = KillReason::signal, .signal_received = SIGTERM};
  classify(result);
  apply_gtest_status_rules(result);
  EXPECT_EQ(result.status, RunStatus::skipped);
  EXPECT_EQ(result.launcher_exit_code, 128 + SIGTERM);
  result.cases = {case_with("A.Exits", RunStatus::crashed)};
  classify(result);
  apply_gtest_status_rules(result);
  EXPECT_EQ(result.status, RunStatus::failed);
  EXPECT_EQ(result.launcher_exit_code, 128 + SIGTERM);
}

TEST(GtestStatusRules, ATimeoutOutranksTheCases) {
  auto result = exited_with(0);
  result.cases = {case_with("A.Skips", RunStatus::skipped)};
  result.killed_by_harness = HarnessKill{.reason = KillReason::timeout};
  classify(result);
  apply_gtest_status_rules(result);
  EXPECT_EQ(result.status, RunStatus::timeout);
  EXPECT_EQ(result.launcher_exit_code, 124);
}

}  // namespace
}  // namespace isotest
