// The one line on stderr that says what isotest did to a test, so that a CTest log shows it.
#include <gtest/gtest.h>

#include "run_command.h"

namespace isotest {
namespace {

RunResult result_named(const std::string& name) {
  RunResult result;
  result.name = name;
  result.status = RunStatus::failed;
  return result;
}

TEST(StopLine, NothingWhenIsotestDidNothingToTheTest) {
  EXPECT_EQ(stop_line(result_named("quiet")), "");
}

TEST(StopLine, OutOfMemoryWithTheLimitAndThePeak) {
  auto result = result_named("memory_hog");
  result.status = RunStatus::oom;
  result.usage.oom_kills = 1;
  result.usage.peak_memory_bytes = 256ULL * 1024 * 1024;
  result.isolation.cgroup.limits.memory_max_bytes = 256ULL * 1024 * 1024;
  EXPECT_EQ(stop_line(result),
            "memory_hog: stopped: out of memory (limit 256 MiB, peak 256.0 MiB)");
}

TEST(StopLine, AnOomKillTheTestSurvivedIsStillSaid) {
  auto result = result_named("survivor");
  result.status = RunStatus::passed;
  result.usage.oom_kills = 2;
  result.usage.peak_memory_bytes = 50 * 1024 * 1024 + 512 * 1024;
  result.isolation.cgroup.limits.memory_max_bytes = 48ULL * 1024 * 1024 + 1;
  EXPECT_EQ(stop_line(result),
            "survivor: the OOM killer killed a process of the test (limit 50331649 bytes, peak "
            "50.5 MiB)");
}

TEST(StopLine, TimeoutAndItsEscalation) {
  auto result = result_named("slow");
  result.timeout_ms = 1500;
  result.killed_by_harness = HarnessKill{.reason = KillReason::timeout};
  EXPECT_EQ(stop_line(result), "slow: stopped: timed out after 1500 ms (--timeout)");
  result.killed_by_harness->escalated_to_kill = true;
  EXPECT_EQ(stop_line(result),
            "slow: stopped: timed out after 1500 ms (--timeout), then killed with SIGKILL after "
            "the grace period");
}

TEST(StopLine, ASignalIsotestReceivedBeforeOrWhileTheTestRan) {
  auto result = result_named("interrupted");
  result.killed_by_harness = HarnessKill{.reason = KillReason::signal, .signal_received = SIGTERM};
  EXPECT_EQ(stop_line(result), "interrupted: stopped: isotest received SIGTERM");
  result.killed_by_harness->test_started = false;
  EXPECT_EQ(stop_line(result),
            "interrupted: stopped: isotest received SIGTERM before the test started; the test "
            "did not run");
}

TEST(StopLine, SeccompKill) {
  auto result = result_named("keys");
  result.killed_by_harness = HarnessKill{.reason = KillReason::seccomp, .syscall = "keyctl"};
  EXPECT_EQ(stop_line(result), "keys: stopped: the seccomp filter refused keyctl (--seccomp kill)");
}

TEST(StopLine, TheTaskLimitAlongsideAStopInOneLine) {
  auto result = result_named("forker");
  result.usage.pids_limit_hit = true;
  result.isolation.cgroup.limits.pids_max = 16;
  EXPECT_EQ(stop_line(result),
            "forker: reached the task limit: a fork or a new thread failed (--pids 16)");
  result.timeout_ms = 100;
  result.killed_by_harness = HarnessKill{.reason = KillReason::timeout};
  EXPECT_EQ(stop_line(result),
            "forker: stopped: timed out after 100 ms (--timeout); reached the task limit: a fork "
            "or a new thread failed (--pids 16)");
}

}  // namespace
}  // namespace isotest
