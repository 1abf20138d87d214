// What the test may do to the machine beyond its namespaces: no new privileges, no capabilities
// (unless --root), no inherited fds but those passed on purpose, a seccomp filter that refuses
// calls reaching unisolated kernel state, and a read-only /proc/sys, /sys and cgroupfs. Each is
// observed from inside with the probe; the refusals are also checked in the result.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "host_view.h"
#include "result_file.h"
#include "spawned_process.h"

namespace isotest::integration {
namespace {

std::map<std::string, std::string> privileges(const std::vector<std::string>& options) {
  auto run = run_to_end(isotest_run_probe(options, {"privileges"}));
  EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
  return parse_name_value_lines(run.out);
}

std::string probe_line(const std::vector<std::string>& options,
                       const std::vector<std::string>& probe_args) {
  auto run = run_to_end(isotest_run_probe(options, probe_args));
  EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
  auto lines = lines_of(run.out);
  return lines.empty() ? std::string() : lines.front();
}

TEST(HardeningTest, TestStartsWithNoNewPrivsAndNoCapabilities) {
  TempDir dir;
  const auto json = dir / "result.json";
  auto inside = privileges({"--json", json});
  EXPECT_EQ(inside["NoNewPrivs"], "1");
  for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
    EXPECT_EQ(inside[set], "0000000000000000") << set;
  }
  auto result = load_result(json);
  EXPECT_EQ(result["isolation"]["no_new_privs"], true);
  EXPECT_EQ(result["isolation"]["capabilities_dropped"], true);
  EXPECT_TRUE(results_match_schema({json}));
}

TEST(HardeningTest, RootKeepsItsCapabilitiesButNotNewPrivileges) {
  auto inside = privileges({"--root"});
  EXPECT_EQ(inside["NoNewPrivs"], "1");
  EXPECT_NE(inside["CapEff"], "0000000000000000");
  EXPECT_NE(inside["CapBnd"], "0000000000000000");
}

TEST(HardeningTest, InheritedFdsAreClosedExceptThosePassedOnPurpose) {
  // fds 7 and 8 are open in isotest without close-on-exec, as a careless caller leaves them.
  auto command = [](const std::vector<std::string>& options) {
    std::string line = "exec 7</dev/null 8</dev/null; exec \"$0\" run";
    for (const auto& option : options) line += " " + option;
    return std::vector<std::string>{"/bin/sh", "-c", line + " -- \"$1\" fds", tools().isotest,
                                    tools().probe};
  };
  auto closed = run_to_end(command({}));
  EXPECT_EQ(closed.out, "fds 0 1 2\n") << describe(closed);
  auto passed = run_to_end(command({"--pass-fd", "8"}));
  EXPECT_EQ(passed.out, "fds 0 1 2 8\n") << describe(passed);
}

TEST(HardeningTest, PassingAnFdThatIsNotOpenIsRefused) {
  auto run = run_to_end(isotest_run_probe({"--pass-fd", "900"}, {"fds"}));
  EXPECT_EQ(run.exit.exit_code, 125) << describe(run);
  EXPECT_NE(run.err.find("--pass-fd 900"), std::string::npos) << run.err;
  EXPECT_EQ(run.out, "");
}

TEST(HardeningTest, RefusedCallsFailWithEpermAndTheResultNamesThem) {
  TempDir dir;
  std::vector<std::string> files;
  for (const char* call : {"keyctl", "add_key", "bpf", "perf_event_open", "userfaultfd"}) {
    const auto json = dir / (std::string(call) + ".json");
    EXPECT_EQ(probe_line({"--json", json}, {"refused-call", call}), std::string(call) + ": EPERM");
    auto result = load_result(json);
    const auto& seccomp = result["isolation"]["seccomp"];
    EXPECT_EQ(seccomp["mode"], "errno");
    ASSERT_EQ(seccomp["refusals"].size(), 1U) << seccomp.dump();
    EXPECT_EQ(seccomp["refusals"][0]["syscall"], call);
    EXPECT_EQ(seccomp["refusals"][0]["count"], 1);
    EXPECT_EQ(result["status"], "passed") << "errno mode lets the test go on";
    files.push_back(json);
  }
  const auto json = dir / "vsock.json";
  EXPECT_EQ(probe_line({"--json", json}, {"refused-call", "vsock"}), "vsock: EPERM");
  EXPECT_EQ(load_result(json)["isolation"]["seccomp"]["refusals"][0]["syscall"],
            "socket(AF_VSOCK)");
  files.push_back(json);
  EXPECT_TRUE(results_match_schema(files));
}

TEST(HardeningTest, WithoutTheFilterTheKernelDecides) {
  // keyctl on the session keyring is allowed to anyone by the kernel: only the filter refuses it.
  TempDir dir;
  const auto json = dir / "result.json";
  EXPECT_EQ(probe_line({"--seccomp", "off", "--json", json}, {"refused-call", "keyctl"}),
            "keyctl: ok");
  auto result = load_result(json);
  EXPECT_EQ(result["isolation"]["seccomp"]["mode"], "off");
  EXPECT_TRUE(result["isolation"]["seccomp"]["syscalls"].empty());
  EXPECT_TRUE(results_match_schema({json}));
}

TEST(HardeningTest, SeccompAllowLetsOneCallThrough) {
  TempDir dir;
  const auto json = dir / "result.json";
  EXPECT_EQ(probe_line({"--seccomp-allow", "keyctl", "--json", json}, {"refused-call", "keyctl"}),
            "keyctl: ok");
  EXPECT_EQ(probe_line({"--seccomp-allow", "keyctl"}, {"refused-call", "bpf"}), "bpf: EPERM");
  auto result = load_result(json);
  for (const auto& name : result["isolation"]["seccomp"]["syscalls"]) {
    EXPECT_NE(name, "keyctl");
  }
  EXPECT_TRUE(result["isolation"]["seccomp"]["refusals"].empty());
}

TEST(HardeningTest, SeccompOptionsRefuseWhatTheyCannotDo) {
  auto unknown = run_to_end(isotest_run_probe({"--seccomp-allow", "read"}, {"exit", "0"}));
  EXPECT_EQ(unknown.exit.exit_code, 125) << describe(unknown);
  EXPECT_NE(unknown.err.find("`read` is not refused by default"), std::string::npos) << unknown.err;
  auto mode = run_to_end(isotest_run_probe({"--seccomp", "trap"}, {"exit", "0"}));
  EXPECT_EQ(mode.exit.exit_code, 125) << describe(mode);
  EXPECT_NE(mode.err.find("use errno, kill or off"), std::string::npos) << mode.err;
}

TEST(HardeningTest, KillModeEndsTheRunAndNamesTheCall) {
  TempDir dir;
  const auto json = dir / "result.json";
  auto run = run_to_end(
      isotest_run_probe({"--seccomp", "kill", "--json", json}, {"refused-call", "keyctl"}));
  EXPECT_EQ(run.exit.exit_code, 128 + SIGSYS) << describe(run);
  EXPECT_EQ(run.out, "") << "the call returned to the test";
  EXPECT_NE(run.err.find(": stopped: the seccomp filter refused keyctl (--seccomp kill)\n"),
            std::string::npos)
      << run.err;
  auto result = load_result(json);
  EXPECT_EQ(result["status"], "crashed");
  EXPECT_EQ(result["killed_by_harness"]["reason"], "seccomp");
  EXPECT_EQ(result["killed_by_harness"]["syscall"], "keyctl");
  EXPECT_EQ(result["isolation"]["seccomp"]["refusals"][0]["syscall"], "keyctl");
  EXPECT_TRUE(results_match_schema({json}));
}

TEST(HardeningTest, ProcSysSysAndCgroupfsAreReadOnly) {
  for (const char* path : {"/proc/sys/fs/lease-break-time", "/proc/sys/kernel/hostname",
                           "/sys/kernel/uevent_helper", "/sys/fs/cgroup/pids/tasks"}) {
    if (!path_exists(path)) continue;
    for (const auto& options : {std::vector<std::string>{}, {"--root"}}) {
      const char* with = options.empty() ? "" : " with --root";
      EXPECT_EQ(probe_line(options, {"mount-flags", path}), std::string(path) + ": ro") << with;
      // Root's files: a root caller's test is their owner and only the mount stops it (EROFS);
      // nobody's is stopped by the permission check first (EACCES).
      EXPECT_EQ(probe_line(options, {"open-write", path}),
                std::string(path) + (::geteuid() == 0 ? ": EROFS" : ": EACCES"))
          << with;
    }
  }
}

TEST(HardeningTest, TheSandboxsOwnNetworkSettingsStayWritableWithRoot) {
  const std::string path = "/proc/sys/net/ipv4/ip_unprivileged_port_start";
  EXPECT_EQ(probe_line({"--root"}, {"open-write", path}), path + ": ok");
}

TEST(HardeningTest, StoppedTestIsWokenToActOnSigterm) {
  // A test stopped by SIGSTOP would hold its SIGTERM until --kill-after ran out; it gets SIGCONT.
  TempDir dir;
  const auto json = dir / "result.json";
  auto run =
      run_to_end(isotest_run_probe({"--timeout", "300ms", "--kill-after", "20s", "--json", json},
                                   {"kill-self", std::to_string(SIGSTOP)}));
  EXPECT_EQ(run.exit.exit_code, 124) << describe(run);
  EXPECT_LT(run.exit.elapsed, 10s) << "waited for --kill-after";
  auto result = load_result(json);
  EXPECT_EQ(result["killed_by_harness"]["escalated_to_sigkill"], false);
  EXPECT_EQ(result["signal"], SIGTERM);
}

}  // namespace
}  // namespace isotest::integration
