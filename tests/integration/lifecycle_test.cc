// The sandbox's life and death: leftovers die with it, timeouts and signals to isotest stop it
// within the grace period, and exit statuses pass through. Deaths are checked from the host.
#include <signal.h>
#include <unistd.h>

#include <memory>
#include <sstream>

#include <gtest/gtest.h>

#include "host_view.h"
#include "result_file.h"
#include "spawned_process.h"

namespace isotest::integration {
namespace {

using Clock = std::chrono::steady_clock;

// The host view of a probe that printed `ready pid=N pidns=LINK` (or `daemon ...`). If the
// launcher under test failed to kill it, the test fails and this kills it, leaving nothing behind.
struct ObservedProcess {
  pid_t host_pid = 0;
  std::string pid_namespace;

  ObservedProcess(pid_t pid, std::string ns) : host_pid(pid), pid_namespace(std::move(ns)) {}
  ObservedProcess(const ObservedProcess&) = delete;
  ObservedProcess& operator=(const ObservedProcess&) = delete;
  ~ObservedProcess() {
    if (process_running(host_pid, pid_namespace)) ::kill(host_pid, SIGKILL);
  }
};

std::unique_ptr<ObservedProcess> observe(SpawnedProcess& sandbox, std::string_view prefix) {
  auto line = sandbox.wait_for_line(prefix);
  if (!line) return nullptr;
  auto reported = parse_sandboxed_pid(*line);
  if (!reported) return nullptr;
  auto host_pid = find_host_pid(*reported);
  if (!host_pid) return nullptr;
  return std::make_unique<ObservedProcess>(*host_pid, reported->pid_namespace);
}

Milliseconds since(Clock::time_point start, Clock::time_point end) {
  return std::chrono::duration_cast<Milliseconds>(end - start);
}

TEST(RunTest, LeakedDaemonIsKilledWithSandbox) {
  // In the sandbox's own /tmp; unique all the same, in case a broken launcher shares the host's.
  const auto pid_file = "/tmp/" + unique_name("isotest-it-daemon") + ".pid";
  SpawnedProcess sandbox(isotest_run_probe({}, {"daemonize", pid_file}));
  auto daemon = observe(sandbox, "daemon ");
  ASSERT_TRUE(daemon) << "no daemon seen from the host\n" << sandbox.stderr_text();
  ASSERT_TRUE(process_running(daemon->host_pid, daemon->pid_namespace));
  sandbox.close_stdin();
  auto exit = sandbox.wait();
  EXPECT_EQ(exit.exit_code, 0) << describe(exit) << sandbox.stderr_text();
  // No polling: when `isotest run` has returned, the daemon must already be gone.
  EXPECT_FALSE(process_running(daemon->host_pid, daemon->pid_namespace))
      << "daemon (host PID " << daemon->host_pid << ") outlived isotest run";
  ::unlink(pid_file.c_str());
}

TEST(RunTest, TimeoutStopsTheTestWithinTheGracePeriod) {
  TempDir dir;
  const auto json = dir / "result.json";
  SpawnedProcess sandbox(
      isotest_run_probe({"--timeout", "1s", "--kill-after", "20s", "--json", json}, {"sleep"}));
  auto test = observe(sandbox, "ready");
  ASSERT_TRUE(test) << sandbox.stderr_text();
  auto exit = sandbox.wait();
  EXPECT_EQ(exit.exit_code, 124) << describe(exit) << sandbox.stderr_text();
  EXPECT_GE(exit.elapsed, 1s);
  EXPECT_LT(exit.elapsed, 10s) << "SIGTERM alone should have ended it, long before --kill-after";
  EXPECT_FALSE(process_running(test->host_pid, test->pid_namespace));
  EXPECT_NE(sandbox.stderr_text().find(": stopped: timed out after 1000 ms (--timeout)\n"),
            std::string::npos)
      << sandbox.stderr_text();
  auto result = load_result(json);
  EXPECT_EQ(result["status"], "timeout");
  EXPECT_TRUE(results_match_schema({json}));
}

TEST(RunTest, TestIgnoringSigtermIsKilledAfterKillAfter) {
  TempDir dir;
  const auto json = dir / "result.json";
  SpawnedProcess sandbox(isotest_run_probe(
      {"--timeout", "1s", "--kill-after", "700ms", "--json", json}, {"ignore-term"}));
  auto test = observe(sandbox, "ready");
  ASSERT_TRUE(test) << sandbox.stderr_text();
  auto exit = sandbox.wait();
  EXPECT_EQ(exit.exit_code, 124) << describe(exit) << sandbox.stderr_text();
  EXPECT_GE(exit.elapsed, 1700ms) << "killed before the grace period was over";
  EXPECT_LT(exit.elapsed, 7s);
  EXPECT_FALSE(process_running(test->host_pid, test->pid_namespace));
  EXPECT_NE(sandbox.stderr_text().find(
                "stopped: timed out after 1000 ms (--timeout), then killed with SIGKILL after the "
                "grace period\n"),
            std::string::npos)
      << sandbox.stderr_text();
  auto result = load_result(json);
  EXPECT_EQ(result["status"], "timeout");
  EXPECT_TRUE(results_match_schema({json}));
}

TEST(RunTest, ExitCodesPassThrough) {
  for (int code = 0; code < 256; ++code) {
    auto run = run_to_end(isotest_run_probe({}, {"exit", std::to_string(code)}));
    EXPECT_EQ(run.exit.exit_code, code) << describe(run);
  }
}

TEST(RunTest, ExitCodesAreRecordedInTheResult) {
  TempDir dir;
  std::vector<std::string> files;
  for (int code : {0, 1, 2, 42, 125, 126, 127, 128, 200, 255}) {
    const auto json = dir / ("exit-" + std::to_string(code) + ".json");
    auto run = run_to_end(isotest_run_probe({"--json", json}, {"exit", std::to_string(code)}));
    EXPECT_EQ(run.exit.exit_code, code) << describe(run);
    auto result = load_result(json);
    EXPECT_EQ(result["status"], code == 0 ? "passed" : "failed") << code;
    EXPECT_EQ(result["exit_code"], code);
    EXPECT_TRUE(result["signal"].is_null()) << code;
    files.push_back(json);
  }
  EXPECT_TRUE(results_match_schema(files));
}

TEST(RunTest, SignalsPassThroughAs128PlusN) {
  TempDir dir;
  std::vector<std::string> files;
  for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGABRT, SIGBUS, SIGFPE, SIGKILL, SIGUSR1,
                  SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGXCPU, SIGSYS}) {
    const auto json = dir / ("signal-" + std::to_string(sig) + ".json");
    auto run = run_to_end(isotest_run_probe({"--json", json}, {"kill-self", std::to_string(sig)}));
    EXPECT_EQ(run.exit.exit_code, 128 + sig) << sigabbrev_np(sig) << ": " << describe(run);
    auto result = load_result(json);
    EXPECT_EQ(result["status"], "crashed") << sigabbrev_np(sig);
    EXPECT_EQ(result["signal"], sig);
    EXPECT_TRUE(result["exit_code"].is_null()) << sigabbrev_np(sig);
    files.push_back(json);
  }
  EXPECT_TRUE(results_match_schema(files));
}

TEST(RunTest, SigtermToIsotestIsForwardedAndTheTestKilledAfterTheGracePeriod) {
  TempDir dir;
  const auto json = dir / "result.json";
  SpawnedProcess sandbox(
      isotest_run_probe({"--kill-after", "700ms", "--json", json}, {"ignore-term"}));
  auto test = observe(sandbox, "ready");
  ASSERT_TRUE(test) << sandbox.stderr_text();
  const auto signalled = Clock::now();
  sandbox.send_signal(SIGTERM);
  auto exit = sandbox.wait();
  EXPECT_GE(since(signalled, exit.exited_at), 700ms) << "did not wait for the grace period";
  EXPECT_LT(since(signalled, exit.exited_at), 6s);
  ASSERT_TRUE(exit.exit_code) << describe(exit);
  EXPECT_NE(exit.exit_code, 0);
  EXPECT_FALSE(process_running(test->host_pid, test->pid_namespace)) << "the test outlived isotest";
  auto result = load_result(json);
  EXPECT_NE(result["status"], "passed");
  EXPECT_TRUE(results_match_schema({json}));
}

TEST(RunTest, TestExitingZeroOnSigtermIsNotReportedPassed) {
  TempDir dir;
  const auto json = dir / "result.json";
  SpawnedProcess sandbox(isotest_run_probe({"--json", json}, {"exit-on-term"}));
  auto test = observe(sandbox, "ready");
  ASSERT_TRUE(test) << sandbox.stderr_text();
  sandbox.send_signal(SIGTERM);
  auto exit = sandbox.wait();
  EXPECT_TRUE(sandbox.wait_for_line("got SIGTERM", 0ms)) << "SIGTERM was not forwarded; stdout:\n"
                                                         << sandbox.stdout_text();
  EXPECT_FALSE(process_running(test->host_pid, test->pid_namespace));
  ASSERT_TRUE(exit.exit_code) << describe(exit);
  EXPECT_NE(exit.exit_code, 0) << "a test stopped by a signal to isotest passed";
  auto result = load_result(json);
  EXPECT_NE(result["status"], "passed");
  EXPECT_TRUE(results_match_schema({json}));
}

TEST(RunTest, SigkillOfIsotestKillsTheSandbox) {
  SpawnedProcess sandbox(isotest_run_probe({}, {"sleep"}));
  auto test = observe(sandbox, "ready");
  ASSERT_TRUE(test) << sandbox.stderr_text();
  auto init_pid = find_host_pid({.inner = 1, .pid_namespace = test->pid_namespace});
  ASSERT_TRUE(init_pid);
  const ObservedProcess init(*init_pid, test->pid_namespace);
  sandbox.send_signal(SIGKILL);
  auto exit = sandbox.wait();
  EXPECT_EQ(exit.signal, SIGKILL) << describe(exit);
  // The kernel delivers the parent-death signal asynchronously; give it time, but not forever.
  EXPECT_TRUE(wait_until([&] { return !process_running(test->host_pid, test->pid_namespace); }))
      << "the test (host PID " << test->host_pid << ") survived isotest's SIGKILL";
  EXPECT_TRUE(wait_until([&] { return !process_running(init.host_pid, init.pid_namespace); }))
      << "the sandbox's init (host PID " << init.host_pid << ") survived isotest's SIGKILL";
}

// The children of a process, from /proc/PID/task/PID/children.
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> children;
  std::istringstream list(
      read_file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children"));
  for (pid_t child = 0; list >> child;) children.push_back(child);
  return children;
}

// ISOTEST_TEST_PAUSE_AT holds isotest at a point of its launch (it stops itself until continued),
// so that the signal arrives there for certain: `launch`, before anything is set up (without
// the signals blocked from the start of `isotest run`, SIGTERM killed isotest there, with no
// result and no message), and `release`, with the sandbox cloned but not yet released.
TEST(RunTest, ATerminationSignalBeforeTheTestStartsEndsTheRunInOrder) {
  for (const std::string point : {"launch", "release"}) {
    for (const int sig : {SIGTERM, SIGINT}) {
      SCOPED_TRACE(point + ", " + sigabbrev_np(sig));
      TempDir dir;
      const auto json = dir / "result.json";
      SpawnedProcess held(isotest_run_probe({"--name", "held", "--json", json}, {"hostname"}),
                          {.extra_environment = {"ISOTEST_TEST_PAUSE_AT=" + point}});
      ASSERT_TRUE(wait_until([&] { return process_state(held.pid()) == 'T'; }, 30s))
          << "isotest did not stop at " << point << ":\n"
          << held.stderr_text();
      const auto sandbox = children_of(held.pid());
      EXPECT_EQ(sandbox.size(), point == "release" ? 1U : 0U);
      held.send_signal(sig);
      held.send_signal(SIGCONT);
      const auto exit = held.wait();
      EXPECT_EQ(exit.exit_code, 128 + sig) << describe(exit) << held.stderr_text();
      EXPECT_EQ(held.stdout_text(), "") << "the test ran";
      EXPECT_EQ(held.stderr_text(), std::string("isotest: held: stopped: isotest received SIG") +
                                        sigabbrev_np(sig) +
                                        " before the test started; the test did not run\n");
      // No polling: the sandbox waiting for its release is gone by the time isotest returns.
      for (const pid_t child : sandbox) {
        EXPECT_FALSE(path_exists("/proc/" + std::to_string(child))) << "sandbox " << child;
      }
      auto result = load_result(json);
      EXPECT_EQ(result["status"], "failed");
      EXPECT_EQ(result["launcher_exit_code"], 128 + sig);
      EXPECT_TRUE(result["exit_code"].is_null());
      EXPECT_TRUE(result["signal"].is_null());
      EXPECT_EQ(result["killed_by_harness"]["reason"], "signal");
      EXPECT_EQ(result["killed_by_harness"]["signal_received"],
                std::string("SIG") + sigabbrev_np(sig));
      EXPECT_EQ(result["killed_by_harness"]["test_started"], false);
      EXPECT_TRUE(results_match_schema({json}));
    }
  }
}

TEST(RunTest, ASignalWhileTheTestRunsIsReportedAsSuch) {
  TempDir dir;
  const auto json = dir / "result.json";
  SpawnedProcess sandbox(isotest_run_probe({"--name", "running", "--json", json}, {"sleep"}));
  auto test = observe(sandbox, "ready");
  ASSERT_TRUE(test) << sandbox.stderr_text();
  sandbox.send_signal(SIGTERM);
  auto exit = sandbox.wait();
  EXPECT_EQ(exit.exit_code, 128 + SIGTERM) << describe(exit);
  EXPECT_EQ(sandbox.stderr_text(), "isotest: running: stopped: isotest received SIGTERM\n");
  auto result = load_result(json);
  EXPECT_EQ(result["killed_by_harness"]["test_started"], true);
  EXPECT_TRUE(results_match_schema({json}));
}

}  // namespace
}  // namespace isotest::integration
