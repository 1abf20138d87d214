#include "init.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "child_error.h"
#include "time_namespace.h"

namespace isotest {

namespace {

constexpr int kForwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

[[noreturn]] void fail(int error_fd, const ChildError& error) {
  send_child_error(error_fd, error);
  ::_exit(125);
}

// Without CAP_SYS_ADMIN the test cannot remount what we made read-only (/sys/fs/cgroup, and
// with it its own limits) nor undo any other mount: those mounts live in a user namespace the
// test would otherwise own. Failure is fine: without caps (--share user) there is nothing to drop.
void drop_sys_admin() {
  ::prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0);
  __user_cap_header_struct header{.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return;
  const unsigned bit = 1U << (CAP_SYS_ADMIN % 32);
  auto& word = data[CAP_SYS_ADMIN / 32];
  word.effective &= ~bit;
  word.permitted &= ~bit;
  word.inheritable &= ~bit;
  ::syscall(SYS_capset, &header, data);
}

[[noreturn]] void exec_test(const InitPlan& plan) {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  static_cast<void>(::signal(SIGPIPE, SIG_DFL));
  ChildError error;
  if (::chdir(plan.exec->working_directory().c_str()) != 0) {
    set_child_error(error, "chdir to", plan.exec->working_directory().c_str(), errno);
    fail(plan.error_fd, error);
  }
  // Only stdio reaches the test: everything else (our pipes, the caller's stray fds) closes at
  // execve. CLOEXEC rather than close keeps error_fd usable until then.
  ::close_range(3, UINT_MAX, CLOSE_RANGE_CLOEXEC);
  if (plan.events_fd >= 0) ::fcntl(plan.events_fd, F_SETFD, 0);
  if (!plan.keep_sys_admin) drop_sys_admin();
  int error_number = plan.exec->exec();
  set_child_error(error, "exec", nullptr, error_number);
  send_child_error(plan.error_fd, error);
  ::_exit(exit_code_for_exec_error(error_number));
}

[[noreturn]] void report_and_exit(int status_fd, int wait_status) {
  [[maybe_unused]] ssize_t written = ::write(status_fd, &wait_status, sizeof wait_status);
  if (WIFEXITED(wait_status)) ::_exit(WEXITSTATUS(wait_status));
  ::_exit(128 + WTERMSIG(wait_status));
}

}  // namespace

bool is_termination_signal(int sig) {
  return sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT;
}

const int* forwarded_signals(int* count) {
  *count = static_cast<int>(sizeof kForwarded / sizeof kForwarded[0]);
  return kForwarded;
}

void run_init(const InitPlan& plan) {
  sigset_t handled;
  sigemptyset(&handled);
  sigaddset(&handled, SIGCHLD);
  for (int sig : kForwarded) sigaddset(&handled, sig);
  ::sigprocmask(SIG_BLOCK, &handled, nullptr);
  ChildError error;
  int signals = ::signalfd(-1, &handled, SFD_CLOEXEC);
  if (signals < 0) {
    set_child_error(error, "init: signalfd", nullptr, errno);
    fail(plan.error_fd, error);
  }
  if (plan.time_offset_seconds &&
      !enter_time_namespace_for_children(*plan.time_offset_seconds, error)) {
    fail(plan.error_fd, error);
  }

  pid_t test = ::fork();
  if (test < 0) {
    set_child_error(error, "init: fork the test", nullptr, errno);
    fail(plan.error_fd, error);
  }
  if (test == 0) exec_test(plan);
  ::close(plan.error_fd);
  if (plan.events_fd >= 0) ::close(plan.events_fd);  // the test's alone: EOF when it is gone

  while (true) {
    signalfd_siginfo info{};
    if (::read(signals, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) {
      if (errno == EINTR) continue;
      ::kill(test, SIGKILL);  // cannot supervise any more: take the test down with us
      ::_exit(125);
    }
    if (info.ssi_signo != SIGCHLD) {
      // A terminal's signal (SI_KERNEL) went to the whole foreground process group, the test
      // included; passing it on would deliver it twice.
      if (info.ssi_code != SI_KERNEL) ::kill(test, static_cast<int>(info.ssi_signo));
      continue;
    }
    // One SIGCHLD may stand for many exits; reap them all, orphans included.
    int status = 0;
    pid_t reaped = 0;
    while ((reaped = ::waitpid(-1, &status, WNOHANG)) > 0) {
      if (reaped == test) report_and_exit(plan.status_fd, status);
    }
  }
}

}  // namespace isotest
