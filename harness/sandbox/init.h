// PID 1 inside the sandbox. It forks the test, reaps every orphan that the kernel hands to it,
// forwards SIGTERM/SIGINT/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2 to the test, and exits as soon as the
// main test process exits -- never waiting for the rest, which the kernel kills when PID 1 of a
// PID namespace exits. The test is never PID 1 itself: PID 1 ignores signals it has no handler
// for, so a test that is PID 1 would not get our SIGTERM, and nothing would reap its zombies.
#pragma once

#include <csignal>

#include <cstdint>
#include <optional>

#include "launch_plan.h"
#include "prepared_exec.h"
#include "seccomp_filter.h"

namespace isotest {

struct InitPlan {
  const PreparedExec* exec = nullptr;
  std::optional<std::int64_t> time_offset_seconds;
  int error_fd = -1;   // ChildError records go here; close-on-exec
  int status_fd = -1;  // the main test's wait status (an int) is written here before init exits
  // --root: the test keeps its capabilities (in the sandbox's user namespace); otherwise it
  // starts with none, bounding set included.
  bool keep_capabilities = false;
  const int* keep_fds = nullptr;  // fds the test inherits besides stdio
  int keep_fd_count = 0;
  const SeccompFilter* seccomp = nullptr;  // null: no filter
  int seccomp_socket_fd = -1;              // where the filter's listener fd goes (the launcher)
  // The extensions' steps (launch_plan.h): init runs those of phase before_test just before it
  // starts the test, and calls every step's reaped and test_ended.
  const SandboxStep* steps = nullptr;
  int step_count = 0;
};

// Sandbox side; never returns. Also used without a PID namespace (--share pid), where it is
// simply the test's parent and the same rules apply.
[[noreturn]] void run_init(const InitPlan& plan);

// The signals init forwards to the test. The launcher blocks them in itself for the same set.
const int* forwarded_signals(int* count);

// The signals `isotest run` keeps blocked while it launches and supervises: the forwarded ones
// (init and the launcher take them through a signalfd) and SIGPIPE. Async-signal-safe.
sigset_t launcher_blocked_signals();
// Of those, the ones that mean "stop the test" (a grace period, then SIGKILL) when isotest
// receives them; SIGUSR1/SIGUSR2 are only passed on.
bool is_termination_signal(int sig);

}  // namespace isotest
