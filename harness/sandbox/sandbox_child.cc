#include "sandbox_child.h"

#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "network.h"

namespace isotest {

namespace {

[[noreturn]] void fail(const SandboxChildPlan& plan, const ChildError& error) {
  send_child_error(plan.init.error_fd, error);
  ::_exit(125);
}

// Dies with the launcher, without the classic race: the death signal is armed first thing, and
// once we have our own copy of the launcher's end of the release pipe closed, that pipe shows
// whether the launcher is still there: EOF, or POLLHUP after its byte, if it died before prctl
// took effect.
void arm_death_signal(const SandboxChildPlan& plan) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ::_exit(125);
  if (plan.release_write_fd >= 0) ::close(plan.release_write_fd);
}

// The launcher's go: it has written our id maps and, where it has to, placed us in our cgroup.
void wait_for_launcher(const SandboxChildPlan& plan) {
  char go = 0;
  ssize_t got = 0;
  do {
    got = ::read(plan.release_fd, &go, 1);
  } while (got < 0 && errno == EINTR);
  if (got != 1) ::_exit(125);  // launcher gone or gave up: it reports, not us
  pollfd launcher{.fd = plan.release_fd, .events = POLLIN, .revents = 0};
  if (::poll(&launcher, 1, 0) < 0 || (launcher.revents & POLLHUP) != 0) ::_exit(125);
}

// The signal state `isotest run` gives its sandboxes, whatever the launching process had: every
// disposition the default (a handler of the launcher's, an Asio signal set's, must never run in
// here: it would write into the launcher's own pipes), and blocked only what init takes through
// its signalfd, and SIGPIPE, as until now. The launcher blocks every signal across the clone, so
// none can arrive before this.
void reset_signals() {
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) static_cast<void>(::signal(sig, SIG_DFL));
  }
  const sigset_t blocked = launcher_blocked_signals();
  ::sigprocmask(SIG_SETMASK, &blocked, nullptr);
}

void redirect(int from, int to, const SandboxChildPlan& plan) {
  if (from < 0) return;
  if (::dup2(from, to) < 0) {
    ChildError error;
    set_child_error(error, SetupStage::redirect_output, nullptr, errno);
    fail(plan, error);
  }
}

}  // namespace

void run_sandbox_child(const SandboxChildPlan& plan) {
  arm_death_signal(plan);
  for (int i = 0; i < plan.close_fd_count; ++i) ::close(plan.close_fds[i]);
  reset_signals();
  redirect(plan.stdout_fd, STDOUT_FILENO, plan);
  redirect(plan.stderr_fd, STDERR_FILENO, plan);

  // Steps that need neither id maps nor the cgroup come first, while the launcher writes the
  // maps: by the time they are done the go is usually waiting, so the child does not sleep.
  // (Mounts wait: with no maps yet the kernel treats our ids as unmapped, which disables
  // CAP_DAC_OVERRIDE on the host's files and creating files in our own tmpfs.)
  ChildError error;
  if (!configure_network(plan.network, error)) fail(plan, error);
  // The extensions' first steps (a qdisc, a capture socket): in our network namespace, before
  // anything else happens in it.
  for (int i = 0; i < plan.init.step_count; ++i) {
    const SandboxStep& step = plan.init.steps[i];
    if (step.phase == SandboxStepPhase::before_release && !step.run(step.context, error)) {
      fail(plan, error);
    }
  }
  if (plan.hostname != nullptr && ::sethostname(plan.hostname, std::strlen(plan.hostname)) != 0) {
    set_child_error(error, SetupStage::set_hostname, nullptr, errno);
    fail(plan, error);
  }
  wait_for_launcher(plan);

  for (int i = 0; i < plan.join_cgroup_count; ++i) {
    if (::write(plan.join_cgroup_fds[i], "0", 1) != 1) {
      set_child_error(error, SetupStage::join_cgroup, nullptr, errno);
      fail(plan, error);
    }
  }
  if (plan.new_cgroup_namespace && ::unshare(CLONE_NEWCGROUP) != 0) {
    set_child_error(error, SetupStage::create_cgroup_namespace, nullptr, errno);
    fail(plan, error);
  }
  if (plan.mounts != nullptr && !apply_mount_plan(*plan.mounts, error)) fail(plan, error);
  run_init(plan.init);
}

}  // namespace isotest
