// The escape suite: misbehaving programs (isotest_escapee) run under `isotest run`, each checked
// from outside the sandbox afterwards: no process of the run left (found by a tag in argv and in
// the environment), no mount left or added on the host, no cgroup of the run left, the host
// unchanged (hostname, files, a host process), and the result JSON saying what happened.
// escape.root runs it as root, escape.nobody as user nobody (docs/security.md lists outcomes).
#include <signal.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include <gtest/gtest.h>

#include "host_view.h"
#include "result_file.h"
#include "spawned_process.h"

namespace isotest::integration {
namespace {

namespace fs = std::filesystem;

// The escape tests point ISOTEST_PROBE (and the build-tree default) at isotest_escapee.
const std::string& escapee() {
  return tools().probe;
}

std::string hostname() {
  utsname names{};
  ::uname(&names);
  return names.nodename;
}

bool is_root() {
  return ::geteuid() == 0;
}

// v1, v2 or none: which limits this caller gets (set by the CTest registration, as for the
// limits tests). Empty when unknown: the tests that need to know then fail.
std::string expected_cgroup() {
  const char* value = std::getenv("ISOTEST_EXPECT_CGROUP");
  const std::string expected = value != nullptr ? value : "";
  return expected == "v1" && !is_root() ? "none" : expected;  // v1 limits need root
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Host PIDs of processes whose command line or environment holds `tag`.
std::vector<pid_t> processes_tagged(const std::string& tag) {
  std::vector<pid_t> found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    if (slurp(entry.path() / "cmdline").find(tag) != std::string::npos ||
        slurp(entry.path() / "environ").find(tag) != std::string::npos) {
      found.push_back(static_cast<pid_t>(std::stol(name)));
    }
  }
  return found;
}

// Cgroup directories a given isotest process made (named `isotest-<pid>-...`), in every
// hierarchy mounted under /sys/fs/cgroup.
std::vector<std::string> cgroups_of_launcher(pid_t launcher) {
  const std::string prefix = "isotest-" + std::to_string(launcher) + "-";
  std::vector<std::string> found;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator("/sys/fs/cgroup", error);
       it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (error) break;
    if (it.depth() > 6 || !it->is_directory(error)) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->path().filename().string().starts_with(prefix)) found.push_back(it->path());
  }
  return found;
}

bool traced(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("TracerPid:")) return std::stol(line.substr(10)) != 0;
  }
  return false;
}

struct EscapeRun {
  ExitInfo exit;
  std::string out;
  std::string err;
  std::uint64_t stdout_bytes = 0;
  nlohmann::json result;
};

class EscapeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tag_ = unique_name("isotest-escape");
    secret_ = unique_name("isotest-secret");
    hostname_before_ = hostname();
    mounts_before_ = host_mounts();
    sleeper_ = std::make_unique<SpawnedProcess>(
        std::vector<std::string>{escapee(), "host-sleeper", "sleep"},
        SpawnOptions{.extra_environment = {"ISOTEST_ESCAPE_SECRET=" + secret_}});
    ASSERT_TRUE(sleeper_->wait_for_line("ready")) << sleeper_->stderr_text();
  }

  // Runs `isotest run --json F --env TAG OPTIONS -- escapee TAG ARGS`; `during` runs while it
  // is alive (stdin open), then stdin is closed and the run waited for.
  EscapeRun run(const std::vector<std::string>& options, const std::vector<std::string>& args,
                const std::function<void(SpawnedProcess&)>& during = {},
                Milliseconds deadline = 60s) {
    std::vector<std::string> argv{tools().isotest, "run",   "--json",
                                  json_,           "--env", "ISOTEST_ESCAPE_TAG=" + tag_};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.insert(argv.end(), {"--", escapee(), tag_});
    argv.insert(argv.end(), args.begin(), args.end());
    SpawnedProcess isotest(argv, SpawnOptions{.working_directory = "/", .deadline = deadline});
    launcher_ = isotest.pid();
    if (during) during(isotest);
    isotest.close_stdin();
    EscapeRun outcome;
    outcome.exit = isotest.wait();
    outcome.out = isotest.stdout_text();
    outcome.err = isotest.stderr_text();
    outcome.stdout_bytes = isotest.stdout_bytes();
    if (path_exists(json_)) {
      outcome.result = load_result(json_);
      EXPECT_TRUE(results_match_schema({json_}));
    }
    return outcome;
  }

  // What every escape must leave behind: nothing.
  void expect_contained(const EscapeRun& run) {
    const auto left = processes_tagged(tag_);
    EXPECT_TRUE(left.empty()) << left.size() << " process(es) of the run left, first host PID "
                              << left.front();
    for (pid_t pid : left) ::kill(pid, SIGKILL);
    EXPECT_EQ(host_mounts(), mounts_before_) << "the host's mount table changed";
    const auto cgroups = cgroups_of_launcher(launcher_);
    EXPECT_TRUE(cgroups.empty()) << "cgroup left: " << cgroups.front();
    if (run.result.is_object() && run.result["isolation"]["cgroup"]["path"].is_string()) {
      const std::string path = run.result["isolation"]["cgroup"]["path"];
      for (const char* hierarchy : {"pids", "memory", "cpu,cpuacct", "unified"}) {
        EXPECT_FALSE(path_exists("/sys/fs/cgroup/" + std::string(hierarchy) + path)) << path;
      }
    }
    EXPECT_EQ(hostname(), hostname_before_);
    EXPECT_TRUE(process_running(sleeper_->pid(), host_namespace("pid"))) << "the host sleeper died";
    EXPECT_FALSE(traced(sleeper_->pid())) << "the host sleeper is being traced";
    EXPECT_TRUE(run.result.is_object()) << "no result file\n" << run.err;
  }

  std::string tag_;
  std::string secret_;
  TempDir dir_;
  std::string json_ = dir_ / "result.json";
  pid_t launcher_ = -1;
  std::string hostname_before_;
  std::vector<std::string> mounts_before_;
  std::unique_ptr<SpawnedProcess> sleeper_;
};

bool has_line(const EscapeRun& run, const std::string& line) {
  const auto lines = lines_of(run.out);
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

#define EXPECT_LINE(run, line) \
  EXPECT_TRUE(has_line(run, line)) << "no `" << (line) << "` in:\n" << (run).out

TEST_F(EscapeTest, ForkBombIsHeldByThePidsLimit) {
  ASSERT_FALSE(expected_cgroup().empty())
      << "set ISOTEST_EXPECT_CGROUP to the limits this caller gets: v1, v2 or none";
  const std::vector<std::string> limits = {"--pids",    "32", "--cpus",       "0.5",
                                           "--timeout", "2s", "--kill-after", "500ms"};
  auto bomb = run(limits, {"fork-bomb"});
  if (expected_cgroup() == "none") {
    // Without a cgroup there is no pids limit; isotest refuses rather than run the bomb.
    EXPECT_EQ(bomb.exit.exit_code, 125) << describe(bomb.exit) << bomb.err;
    EXPECT_NE(bomb.err.find("--pids"), std::string::npos) << bomb.err;
    EXPECT_EQ(bomb.out, "") << "the bomb ran";
    EXPECT_EQ(bomb.result["status"], "sandbox_error");
  } else {
    EXPECT_EQ(bomb.exit.exit_code, 124) << describe(bomb.exit) << bomb.err;
    EXPECT_EQ(bomb.result["status"], "timeout");
    EXPECT_EQ(bomb.result["usage"]["pids_limit_hit"], true);
    EXPECT_LE(bomb.result["usage"]["pids_peak"].get<int>(), 32);
  }
  expect_contained(bomb);
}

TEST_F(EscapeTest, MemoryBombIsKilledAtTheMemoryLimit) {
  ASSERT_FALSE(expected_cgroup().empty())
      << "set ISOTEST_EXPECT_CGROUP to the limits this caller gets: v1, v2 or none";
  auto bomb = run({"--memory", "64M", "--timeout", "30s"}, {"memory-bomb"});
  if (expected_cgroup() == "none") {
    EXPECT_EQ(bomb.exit.exit_code, 125) << describe(bomb.exit) << bomb.err;
    EXPECT_NE(bomb.err.find("--memory"), std::string::npos) << bomb.err;
    EXPECT_EQ(bomb.out, "") << "the bomb ran";
  } else {
    EXPECT_EQ(bomb.exit.exit_code, 137) << describe(bomb.exit) << bomb.err;
    EXPECT_EQ(bomb.result["status"], "oom");
    EXPECT_GE(bomb.result["usage"]["oom_kills"].get<int>(), 1);
    EXPECT_LE(bomb.result["usage"]["peak_memory_bytes"].get<double>(), 64.0 * 1024 * 1024);
  }
  expect_contained(bomb);
}

TEST_F(EscapeTest, SetsidDaemonThatClosedItsFdsDiesWithTheSandbox) {
  auto daemon = run({}, {"daemon"});
  EXPECT_EQ(daemon.exit.exit_code, 0) << describe(daemon.exit) << daemon.err;
  EXPECT_NE(daemon.out.find("daemon pid="), std::string::npos) << daemon.out;
  EXPECT_EQ(daemon.result["status"], "passed");
  expect_contained(daemon);
}

TEST_F(EscapeTest, ProcessIgnoringSigtermIsKilledAfterTheGracePeriod) {
  auto stubborn = run({"--timeout", "500ms", "--kill-after", "500ms"}, {"ignore-term"});
  EXPECT_EQ(stubborn.exit.exit_code, 124) << describe(stubborn.exit) << stubborn.err;
  EXPECT_LT(stubborn.exit.elapsed, 10s);
  EXPECT_EQ(stubborn.result["status"], "timeout");
  EXPECT_EQ(stubborn.result["killed_by_harness"]["escalated_to_sigkill"], true);
  expect_contained(stubborn);
}

TEST_F(EscapeTest, KillMinusOneReachesOnlyTheSandbox) {
  auto killer = run({}, {"kill-everyone"});
  EXPECT_EQ(killer.exit.exit_code, 0) << describe(killer.exit) << killer.err;
  EXPECT_LINE(killer, "kill(-1, SIGKILL): ok");
  EXPECT_LINE(killer, "still here");
  expect_contained(killer);
}

TEST_F(EscapeTest, HostProcessCannotBeSignalledTracedOrOpened) {
  auto attacker = run({}, {"attack-host-process", std::to_string(sleeper_->pid())});
  EXPECT_EQ(attacker.exit.exit_code, 0) << describe(attacker.exit) << attacker.err;
  EXPECT_LINE(attacker, "kill: ESRCH");
  EXPECT_LINE(attacker, "ptrace: ESRCH");
  EXPECT_LINE(attacker, "pidfd_open: ESRCH");
  expect_contained(attacker);
}

TEST_F(EscapeTest, HostProcessesProcEntriesCannotBeRead) {
  auto reader = run({}, {"read-host-proc", std::to_string(sleeper_->pid()), secret_});
  EXPECT_EQ(reader.exit.exit_code, 0) << describe(reader.exit) << reader.err;
  EXPECT_LINE(reader, "secret seen 0 times");
  EXPECT_LINE(reader, "open /proc/PID/environ: ENOENT");
  expect_contained(reader);
}

TEST_F(EscapeTest, ProcSysAndSysrqTriggerCannotBeWritten) {
  const std::string sysctl = "/proc/sys/fs/lease-break-time";
  const std::string before = read_file(sysctl);
  const std::string changed = std::to_string(std::stol(before) + 1);
  for (const auto& options : {std::vector<std::string>{}, {"--root"}}) {
    auto writer = run(options, {"write-file", sysctl, changed});
    EXPECT_EQ(writer.exit.exit_code, 0) << describe(writer.exit) << writer.err;
    // A root caller's test owns the host's sysctl files (uid 0 is uid 0): only the read-only
    // mount stops it. nobody's test is refused by the file's permissions first.
    EXPECT_LINE(writer, "open " + sysctl + (is_root() ? ": EROFS" : ": EACCES"));
    if (read_file(sysctl) != before) {
      write_file(sysctl, before);
      ADD_FAILURE() << "the sandbox changed the host's " << sysctl;
    }
    auto sysrq = run(options, {"open-for-writing", "/proc/sysrq-trigger"});
    const std::string expected = path_exists("/proc/sysrq-trigger")
                                     ? (is_root() ? ": EROFS" : ": EACCES")
                                     : ": ENOENT";  // a kernel without CONFIG_MAGIC_SYSRQ
    EXPECT_LINE(sysrq, "open /proc/sysrq-trigger" + expected);
    expect_contained(sysrq);
  }
}

TEST_F(EscapeTest, MountOverAHostPathStaysInsideTheSandbox) {
  TempDir target("/var/tmp");
  write_file(target / "host-file", "host");
  auto refused = run({}, {"mount-over", target.path()});
  EXPECT_LINE(refused, "mount tmpfs: EPERM");
  expect_contained(refused);
  // Nothing was mounted, so that file went into the host's directory, which the caller may
  // write to (no --read-only): expected, and removed for the next step.
  EXPECT_TRUE(path_exists(target / "escaped"));
  ::unlink((target / "escaped").c_str());
  // With --root the mounts succeed, in the sandbox's own mount namespace only.
  auto mounted = run({"--root"}, {"mount-over", target.path()});
  EXPECT_LINE(mounted, "mount tmpfs: ok");
  EXPECT_LINE(mounted, "create " + target.path() + "/escaped: ok");
  EXPECT_EQ(read_file(target / "host-file"), "host");
  EXPECT_FALSE(path_exists(target / "escaped")) << "the sandbox's mount showed on the host";
  expect_contained(mounted);
}

TEST_F(EscapeTest, ReadOnlyRootKeepsHostFilesUnchanged) {
  TempDir area("/var/tmp");
  const std::string file = area / "precious";
  write_file(file, "original");
  auto tamperer = run({"--read-only"}, {"tamper", file});
  EXPECT_EQ(tamperer.exit.exit_code, 0) << describe(tamperer.exit) << tamperer.err;
  for (const char* step : {"truncate", "append", "chmod", "rename", "unlink", "create beside"}) {
    EXPECT_LINE(tamperer, std::string(step) + ": EROFS");
  }
  EXPECT_EQ(read_file(file), "original");
  EXPECT_FALSE(path_exists(file + ".new"));
  EXPECT_FALSE(path_exists(file + ".moved"));
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::others_exec, fs::perms::none);
  expect_contained(tamperer);
}

TEST_F(EscapeTest, OwnCgroupLimitsCannotBeRaised) {
  const bool limited = expected_cgroup() == "v1" || expected_cgroup() == "v2";
  std::vector<std::string> options;
  if (limited) options = {"--pids", "64", "--memory", "128M"};
  std::string pids_max_during;
  auto raiser = run(options, {"raise-limits"}, [&](SpawnedProcess& isotest) {
    auto line = isotest.wait_for_line("ready");
    ASSERT_TRUE(line) << isotest.stderr_text();
    auto inside = parse_sandboxed_pid(*line);
    ASSERT_TRUE(inside);
    auto host_pid = find_host_pid(*inside);
    ASSERT_TRUE(host_pid);
    // The limit as the host sees it, while the test is still running.
    for (const auto& entry :
         lines_of(read_file("/proc/" + std::to_string(*host_pid) + "/cgroup"))) {
      const auto colon = entry.find(":pids:");
      if (colon != std::string::npos) {
        pids_max_during = read_file("/sys/fs/cgroup/pids" + entry.substr(colon + 6) + "/pids.max");
      }
    }
  });
  EXPECT_EQ(raiser.exit.exit_code, 0) << describe(raiser.exit) << raiser.err;
  if (limited) {
    EXPECT_LINE(raiser, "pids.max: EROFS");
    EXPECT_LINE(raiser, "memory.limit_in_bytes: EROFS");
  } else {
    // Without a cgroup of its own the test sits in a hierarchy's root, which has no pids.max
    // (ENOENT), and root's files refuse nobody (EACCES) before the read-only mount would.
    EXPECT_FALSE(has_line(raiser, "pids.max: ok")) << raiser.out;
    EXPECT_FALSE(has_line(raiser, "memory.limit_in_bytes: ok")) << raiser.out;
  }
  EXPECT_LINE(raiser, "mkdir: EROFS");
  EXPECT_LINE(raiser, "remount rw: EPERM");
  if (limited && expected_cgroup() == "v1") {
    EXPECT_EQ(pids_max_during, "64\n");
  }
  expect_contained(raiser);
}

TEST_F(EscapeTest, HostnameChangeStaysInsideTheSandbox) {
  const std::string name = unique_name("escaped").substr(0, 60);
  auto refused = run({}, {"change-hostname", name});
  EXPECT_LINE(refused, "sethostname: EPERM");
  expect_contained(refused);
  auto changed = run({"--root"}, {"change-hostname", name});
  EXPECT_LINE(changed, "sethostname: ok");
  expect_contained(changed);  // includes: the host's hostname is unchanged
}

TEST_F(EscapeTest, GigabyteOutputFloodIsPassedThroughAndBoundedInTheResult) {
  constexpr std::uint64_t kGigabyte = 1ULL << 30;
  auto flood = run({}, {"flood", std::to_string(kGigabyte)}, {}, 180s);
  EXPECT_EQ(flood.exit.exit_code, 0) << describe(flood.exit) << flood.err;
  EXPECT_EQ(flood.stdout_bytes, kGigabyte) << "isotest did not pass all of it through";
  const auto& captured = flood.result["output"]["stdout"];
  EXPECT_EQ(captured["bytes"], kGigabyte);
  EXPECT_EQ(captured["truncated"], true);
  // 64 KiB kept (head and tail) plus the line that marks the cut.
  EXPECT_LE(captured["text"].get<std::string>().size(), 64U * 1024 + 200);
  EXPECT_LT(fs::file_size(json_), 1U << 20);
  expect_contained(flood);
}

TEST_F(EscapeTest, ClosingStdoutAndStderrDoesNotHangIsotest) {
  auto closer = run({"--timeout", "20s"}, {"close-stdio"});
  EXPECT_EQ(closer.exit.exit_code, 0) << describe(closer.exit) << closer.err;
  EXPECT_LT(closer.exit.elapsed, 10s);
  EXPECT_EQ(closer.result["status"], "passed");
  expect_contained(closer);
}

TEST_F(EscapeTest, SelfStoppedTestIsEndedAtTheTimeout) {
  auto stopped = run({"--timeout", "500ms", "--kill-after", "20s"}, {"stop-self"});
  EXPECT_EQ(stopped.exit.exit_code, 124) << describe(stopped.exit) << stopped.err;
  EXPECT_LT(stopped.exit.elapsed, 10s) << "waited for --kill-after";
  EXPECT_EQ(stopped.result["status"], "timeout");
  EXPECT_EQ(stopped.result["signal_name"], "SIGTERM");
  expect_contained(stopped);
}

TEST_F(EscapeTest, KillingIsotestsInitFromInsideFails) {
  auto attacker = run({}, {"attack-init"});
  EXPECT_EQ(attacker.exit.exit_code, 0) << describe(attacker.exit) << attacker.err;
  // kill(2) succeeds, but the kernel drops signals to a PID namespace's init that it has no
  // handler for when they come from inside; ptrace needs capabilities the test does not have.
  EXPECT_LINE(attacker, "kill(1, SIGKILL): ok");
  EXPECT_LINE(attacker, "ptrace(1): EPERM");
  EXPECT_LINE(attacker, "init still there: ok");
  EXPECT_EQ(attacker.result["status"], "passed");
  expect_contained(attacker);
}

TEST_F(EscapeTest, RefusedSystemCallsFailAndAreNamedInTheResult) {
  auto caller = run({}, {"refused-calls"});
  EXPECT_EQ(caller.exit.exit_code, 0) << describe(caller.exit) << caller.err;
  std::map<std::string, int> refused;
  for (const auto& entry : caller.result["isolation"]["seccomp"]["refusals"]) {
    refused[entry["syscall"]] = entry["count"];
  }
  for (const char* call : {"keyctl", "bpf", "perf_event_open", "userfaultfd", "init_module",
                           "kexec_load", "settimeofday"}) {
    EXPECT_LINE(caller, std::string(call) + ": EPERM");
    EXPECT_EQ(refused[call], 1) << call;
  }
  EXPECT_LINE(caller, "vsock: EPERM");
  EXPECT_EQ(refused["socket(AF_VSOCK)"], 1);
  expect_contained(caller);

  auto killed = run({"--seccomp", "kill"}, {"refused-calls"});
  EXPECT_EQ(killed.exit.exit_code, 128 + SIGSYS) << describe(killed.exit) << killed.err;
  EXPECT_EQ(killed.result["killed_by_harness"]["syscall"], "keyctl");
  EXPECT_EQ(killed.out.find("keyctl:"), std::string::npos) << "the refused call returned";
  expect_contained(killed);
}

}  // namespace
}  // namespace isotest::integration
