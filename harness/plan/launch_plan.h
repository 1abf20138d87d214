// What one launch will do, decided before anything is touched: plan_launch() turns the request
// (SandboxSpec) and what the host is like (HostFacts) into a LaunchPlan value; the launch's
// extensions adjust it (launcher/launch_extension.h); the launcher carries it out and edits
// nothing. Pure: tested without privileges (tests/unit/launch_plan_test.cc).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "child_error.h"
#include "exec_plan.h"
#include "host_paths.h"
#include "id_maps.h"
#include "mount_plan.h"
#include "result.h"
#include "seccomp_filter.h"
#include "spec.h"

namespace isotest {

// What plan_launch() needs to know about the host, read by read_host_facts() (launcher).
struct HostFacts {
  char* const* environment = nullptr;  // the caller's (environ)
  std::string working_directory;       // absolute, existing: where the test starts
  std::string executable;              // the file the sandbox will execute; empty if none found
  std::vector<NeededPath> needed;      // what the command line needs from the host (host_paths.h)
  std::function<bool(const std::string&)> exists;  // whether a path exists on the host
  uid_t uid = 0;                                   // the caller's effective ids
  gid_t gid = 0;
  CgroupIsolation cgroup;  // the sandbox's cgroup as really set up: the limits applied
};

// When a sandbox step runs (sandbox_child.h).
enum class SandboxStepPhase {
  // In the sandbox child, in its new namespaces, right after lo is up and before the launcher's
  // go: no id maps yet (the kernel treats our ids as unmapped), no mounts, no cgroup. For what
  // needs only the network namespace and must be there before anything else (a qdisc, a packet
  // socket).
  before_release,
  // In the sandbox's init, just before it starts the test: after the mounts and the cgroup, in
  // the time namespace, with init's signals blocked. What it forks is init's child: init reaps it.
  before_test,
};

// A step the sandbox takes inside its new namespaces, as the process that becomes the sandbox's
// init: PID 1 of the new PID namespace, with every capability in the new user namespace. It runs
// between clone and execve in a copy of the launcher's memory, so it must be async-signal-safe
// and allocation-free: all it needs is prepared before the clone and reached through `context`,
// which must outlive the launch (and which the sandbox may change: it is its own copy). It
// reports failure through `error` (set_child_error) and returns false, which ends the run as a
// sandbox_error (LaunchExtension::explain may word it). To hand something out (an AF_PACKET
// socket, say), send it over a socket whose other end the extension watches (FdWatchList).
//
// A step that leaves processes behind (services) follows them through init's two optional
// callbacks, both on init's side and allocation-free too: `reaped` for each process init reaps
// that is not the test, `test_ended` once the test has exited, before init reports and exits.
struct SandboxStep {
  SandboxStepPhase phase = SandboxStepPhase::before_test;
  bool (*run)(void* context, ChildError& error) = nullptr;
  void (*reaped)(void* context, pid_t pid, int status) = nullptr;
  void (*test_ended)(void* context) = nullptr;
  void* context = nullptr;
};

// How the launcher watches the run.
struct SupervisionPlan {
  std::optional<std::int64_t> timeout_ms;
  std::int64_t kill_after_ms = 2000;
  bool capture_output = false;  // stdout and stderr through pipes into the result
  std::uint64_t output_limit_bytes = 0;
  int stdout_copy_fd = 1;  // where the captured stdout is copied as it arrives
};

struct LaunchPlan {
  std::string name;
  std::uint64_t clone_flags = 0;      // CLONE_NEW* for the namespaces created at the clone
  bool new_cgroup_namespace = false;  // unshared by the sandbox once it is in its cgroup
  bool own_mount_namespace = false;
  std::optional<IdMaps> id_maps;  // unset: the user namespace is shared
  MountPlan mounts;               // empty with a shared mount namespace
  NetworkMode network = NetworkMode::host;
  std::string hostname;  // empty: the UTS namespace is shared
  std::optional<std::int64_t> time_offset_seconds;
  ExecPlan exec;
  std::string executable;  // host path of what the sandbox will execute; empty if none found
  bool keep_capabilities = false;  // --root
  SeccompFilter seccomp;
  std::vector<int> passed_fds;             // --pass-fd: inherited by the test besides stdio
  std::vector<int> extension_fds;          // the extensions' own, inherited too, not reported
  std::vector<SandboxStep> sandbox_steps;  // the extensions' steps inside the sandbox
  SupervisionPlan supervision;
};

// Pure: decides everything from `spec` and `host`. Throws SetupFailure only when libseccomp
// cannot build the filter.
LaunchPlan plan_launch(const SandboxSpec& spec, const HostFacts& host);

// What the result says of the plan: mounts, id maps, hardening, seccomp.
void describe_plan(const LaunchPlan& plan, Isolation& isolation);

}  // namespace isotest
