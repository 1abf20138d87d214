#include "init.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "capabilities.h"
#include "child_error.h"
#include "exec_exit_code.h"
#include "time_namespace.h"

namespace isotest {

namespace {

constexpr int kForwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

[[noreturn]] void fail(int error_fd, const ChildError& error) {
  send_child_error(error_fd, error);
  ::_exit(125);
}

// Only stdio and the fds passed on purpose reach the test: everything else (our pipes, the
// caller's stray fds) closes at execve. CLOEXEC rather than close keeps error_fd and the seccomp
// socket usable until then.
bool close_inherited_fds(const InitPlan& plan, ChildError& error) {
  ::close_range(3, UINT_MAX, CLOSE_RANGE_CLOEXEC);
  for (int i = 0; i < plan.keep_fd_count; ++i) {
    if (::fcntl(plan.keep_fds[i], F_SETFD, 0) != 0) {
      set_child_error(error, SetupStage::pass_fd, nullptr, errno);
      return false;
    }
  }
  return true;
}

// The test's privileges, last thing before execve: the filter goes in after the capabilities
// are gone, so nothing the test inherits can remove it.
bool harden(const InitPlan& plan, ChildError& error) {
  if (!set_no_new_privs(error) || !close_inherited_fds(plan, error)) return false;
  // Without CAP_SYS_ADMIN the test cannot remount what we made read-only (/sys, /proc/sys, and
  // with them its own limits) nor undo any other mount: those mounts live in a user namespace
  // the test would otherwise own.
  if (!plan.keep_capabilities && !drop_all_capabilities(error)) return false;
  return plan.seccomp == nullptr ||
         install_seccomp_filter(*plan.seccomp, plan.seccomp_socket_fd, error);
}

[[noreturn]] void exec_test(const InitPlan& plan) {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  static_cast<void>(::signal(SIGPIPE, SIG_DFL));
  ChildError error;
  if (::chdir(plan.exec->working_directory().c_str()) != 0) {
    set_child_error(error, SetupStage::chdir, plan.exec->working_directory().c_str(), errno);
    fail(plan.error_fd, error);
  }
  if (!harden(plan, error)) fail(plan.error_fd, error);
  int error_number = plan.exec->exec();
  set_child_error(error, SetupStage::exec, nullptr, error_number);
  send_child_error(plan.error_fd, error);
  ::_exit(exit_code_for_exec_error(error_number));
}

int test_main(void* plan) {
  exec_test(*static_cast<const InitPlan*>(plan));
}

// Starts the test as posix_spawn does: the child borrows init's memory (CLONE_VM) on a stack of
// its own, and init waits (CLONE_VFORK) until it has called execve or exited. That spares
// copying init's page tables and the copy-on-write faults that follow a fork. The child only
// touches its own stack, its own kernel state (mask, cwd, caps, fd flags) and errno, and no
// signal handler is installed that could run on its stack. Plain fork where that does not hold:
// a time namespace is only entered by children that do not share the parent's memory, and
// AddressSanitizer cannot follow a child running on a foreign stack in its parent's memory.
pid_t spawn_test(const InitPlan& plan) {
#if defined(__SANITIZE_ADDRESS__)
  constexpr bool kShareMemory = false;
#else
  constexpr bool kShareMemory = true;
#endif
  if (!kShareMemory || plan.time_offset_seconds) return ::fork();
  alignas(64) static char stack[64 * 1024];
  return ::clone(test_main, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD,
                 const_cast<InitPlan*>(&plan));
}

[[noreturn]] void report_and_exit(int status_fd, int wait_status) {
  [[maybe_unused]] ssize_t written = ::write(status_fd, &wait_status, sizeof wait_status);
  if (WIFEXITED(wait_status)) ::_exit(WEXITSTATUS(wait_status));
  ::_exit(128 + WTERMSIG(wait_status));
}

template <typename Call>
void for_each_step(const InitPlan& plan, Call call) {
  for (int i = 0; i < plan.step_count; ++i) call(plan.steps[i]);
}

}  // namespace

bool is_termination_signal(int sig) {
  return sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT;
}

const int* forwarded_signals(int* count) {
  *count = static_cast<int>(sizeof kForwarded / sizeof kForwarded[0]);
  return kForwarded;
}

sigset_t launcher_blocked_signals() {
  sigset_t blocked;
  sigemptyset(&blocked);
  for (int sig : kForwarded) sigaddset(&blocked, sig);
  sigaddset(&blocked, SIGPIPE);
  return blocked;
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
    set_child_error(error, SetupStage::init_signalfd, nullptr, errno);
    fail(plan.error_fd, error);
  }
  if (plan.time_offset_seconds &&
      !enter_time_namespace_for_children(*plan.time_offset_seconds, error)) {
    fail(plan.error_fd, error);
  }

  const bool own_pid_namespace = ::getpid() == 1;
  // The extensions' steps (services that must be ready before the test): their processes are
  // ours to reap.
  for (int i = 0; i < plan.step_count; ++i) {
    const SandboxStep& step = plan.steps[i];
    if (step.phase == SandboxStepPhase::before_test && !step.run(step.context, error)) {
      fail(plan.error_fd, error);
    }
  }
  pid_t test = spawn_test(plan);
  if (test < 0) {
    set_child_error(error, SetupStage::init_fork_test, nullptr, errno);
    fail(plan.error_fd, error);
  }
  if (test == 0) exec_test(plan);
  ::close(plan.error_fd);
  // The passed fds are the test's alone: the GoogleTest plugin's event pipe, for one, must read
  // EOF once the test is gone.
  for (int i = 0; i < plan.keep_fd_count; ++i) ::close(plan.keep_fds[i]);

  while (true) {
    signalfd_siginfo info{};
    if (::read(signals, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) {
      if (errno == EINTR) continue;
      ::kill(test, SIGKILL);  // cannot supervise any more: take the test down with us
      ::_exit(125);
    }
    if (info.ssi_signo != SIGCHLD) {
      // As PID 1 of the sandbox, a signal from outside (the launcher, a terminal) carries no
      // sender PID; one from the sandbox's own processes does, and is not ours to pass on: the
      // test could otherwise kill itself through us, where the kernel protects init.
      if (own_pid_namespace && info.ssi_pid != 0) continue;
      // A terminal's signal (SI_KERNEL) went to the whole foreground process group, the test
      // included; passing it on would deliver it twice.
      if (info.ssi_code != SI_KERNEL) ::kill(test, static_cast<int>(info.ssi_signo));
      // A stopped test would keep a SIGTERM pending until the grace period ran out; wake it so
      // it can act on it, as timeout(1) does.
      if (is_termination_signal(static_cast<int>(info.ssi_signo))) ::kill(test, SIGCONT);
      continue;
    }
    // One SIGCHLD may stand for many exits; reap them all, orphans included.
    int status = 0;
    pid_t reaped = 0;
    while ((reaped = ::waitpid(-1, &status, WNOHANG)) > 0) {
      if (reaped == test) {
        for_each_step(plan, [](const SandboxStep& step) {
          if (step.test_ended != nullptr) step.test_ended(step.context);
        });
        report_and_exit(plan.status_fd, status);
      }
      for_each_step(plan, [reaped, status](const SandboxStep& step) {
        if (step.reaped != nullptr) step.reaped(step.context, reaped, status);
      });
    }
  }
}

}  // namespace isotest
