#include "result.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "result_builders.h"

namespace isotest {
namespace {

TEST(Classify, ExitCodesPassThrough) {
  for (int code : {0, 1, 42, 200, 255}) {
    auto result = exited_with(code);
    classify(result);
    EXPECT_EQ(result.launcher_exit_code, code);
    EXPECT_EQ(result.status, code == 0 ? RunStatus::passed : RunStatus::failed);
  }
}

TEST(ResultJson, CasesCarryFailuresSkipMessageAndProperties) {
  auto result = exited_with(1);
  auto failed = case_with("A.Fails", RunStatus::failed);
  failed.failures = {{"a.cc", 12, "boom"}, {"", -1, "no place"}};
  failed.properties = {{"key", "value"}};
  auto skipped = case_with("A.Skips", RunStatus::skipped);
  skipped.skip_message = "why";
  result.cases = {failed, skipped};
  result.gtest = GtestRun{.cases_source = "plugin"};
  classify(result);
  auto json = to_json(result);
  EXPECT_EQ(json["cases"][0]["status"], "failed");
  EXPECT_EQ(json["cases"][0]["failures"][0]["line"], 12);
  EXPECT_EQ(json["cases"][0]["failures"][1]["file"], "");
  EXPECT_EQ(json["cases"][0]["properties"]["key"], "value");
  EXPECT_FALSE(json["cases"][0].contains("skip_message"));
  EXPECT_EQ(json["cases"][1]["skip_message"], "why");
  EXPECT_EQ(json["gtest"]["cases_source"], "plugin");
  EXPECT_TRUE(json["gtest"]["shard"].is_null());
  EXPECT_FALSE(to_json(exited_with(0)).contains("cases"));
}

TEST(Classify, SignalIsCrashWith128PlusN) {
  RunResult result;
  result.signal = SIGSEGV;
  classify(result);
  EXPECT_EQ(result.status, RunStatus::crashed);
  EXPECT_EQ(result.launcher_exit_code, 128 + SIGSEGV);
}

TEST(Classify, TimeoutWinsOverHowTheTestDied) {
  RunResult result;
  result.signal = SIGKILL;
  result.killed_by_harness = HarnessKill{.reason = KillReason::timeout};
  classify(result);
  EXPECT_EQ(result.status, RunStatus::timeout);
  EXPECT_EQ(result.launcher_exit_code, 124);
}

TEST(Classify, InterruptedTestThatExitsZeroIsNotAPass) {
  auto result = exited_with(0);
  result.killed_by_harness = HarnessKill{.reason = KillReason::signal, .signal_received = SIGTERM};
  classify(result);
  EXPECT_EQ(result.status, RunStatus::failed);
  EXPECT_EQ(result.launcher_exit_code, 128 + SIGTERM);
}

TEST(Classify, SetupErrorsMapTo125And126And127) {
  RunResult result;
  result.error = SetupError{.stage = "mount tmpfs on /tmp", .error_number = EPERM};
  classify(result);
  EXPECT_EQ(result.status, RunStatus::sandbox_error);
  EXPECT_EQ(result.launcher_exit_code, 125);
  result.error = SetupError{.stage = "exec", .error_number = ENOENT, .step = SetupStage::exec};
  classify(result);
  EXPECT_EQ(result.launcher_exit_code, 127);
  result.error = SetupError{.stage = "exec", .error_number = EACCES, .step = SetupStage::exec};
  classify(result);
  EXPECT_EQ(result.launcher_exit_code, 126);
}

TEST(ResultJson, CarriesSchemaStatusAndSignalName) {
  RunResult result;
  result.name = "t";
  result.command = {"t"};
  result.signal = SIGABRT;
  classify(result);
  auto json = to_json(result);
  EXPECT_EQ(json["schema"], "isotest/1");
  EXPECT_EQ(json["status"], "crashed");
  EXPECT_EQ(json["signal"], SIGABRT);
  EXPECT_EQ(json["signal_name"], "SIGABRT");
  EXPECT_TRUE(json["exit_code"].is_null());
  EXPECT_TRUE(json["error"].is_null());
}

TEST(ResultJson, InvalidUtf8OutputStillDumpsAsJson) {
  RunResult result;
  result.exit_code = 0;
  result.stdout_output = CapturedOutput{.text = "ok \xff\xfe bad", .total_bytes = 9};
  classify(result);
  auto text = to_json(result).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  auto parsed = nlohmann::json::parse(text);
  EXPECT_EQ(parsed["output"]["stdout"]["text"], "ok \xEF\xBF\xBD\xEF\xBF\xBD bad");
}

TEST(ResultJson, ErrorNamesStageErrnoAndHint) {
  RunResult result;
  result.error =
      SetupError{.stage = "write uid_map", .error_number = EPERM, .message = "m", .hint = "h"};
  classify(result);
  auto error = to_json(result)["error"];
  EXPECT_EQ(error["stage"], "write uid_map");
  EXPECT_EQ(error["errno"], EPERM);
  EXPECT_EQ(error["errno_name"], "EPERM");
  EXPECT_EQ(error["hint"], "h");
}

TEST(Rfc3339, IsUtcWithMilliseconds) {
  std::chrono::system_clock::time_point epoch_plus{std::chrono::milliseconds(1'500)};
  EXPECT_EQ(rfc3339_utc(epoch_plus), "1970-01-01T00:00:01.500Z");
}

}  // namespace
}  // namespace isotest
