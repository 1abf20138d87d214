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

// Dies with the launcher, without the classic race: the death signal is armed first, then we
// wait for the launcher's go, then check that the launcher's end of the pipe is still open. If
// the launcher died before prctl took effect, the pipe shows it (EOF or POLLHUP).
void wait_for_launcher(const SandboxChildPlan& plan) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ::_exit(125);
  char go = 0;
  ssize_t got = 0;
  do {
    got = ::read(plan.release_fd, &go, 1);
  } while (got < 0 && errno == EINTR);
  if (got != 1) ::_exit(125);  // launcher gone or gave up: it reports, not us
  pollfd launcher{.fd = plan.release_fd, .events = POLLIN, .revents = 0};
  if (::poll(&launcher, 1, 0) < 0 || (launcher.revents & POLLHUP) != 0) ::_exit(125);
}

void redirect(int from, int to, const SandboxChildPlan& plan) {
  if (from < 0) return;
  if (::dup2(from, to) < 0) {
    ChildError error;
    set_child_error(error, "redirect output", nullptr, errno);
    fail(plan, error);
  }
}

}  // namespace

void run_sandbox_child(const SandboxChildPlan& plan) {
  wait_for_launcher(plan);
  redirect(plan.stdout_fd, STDOUT_FILENO, plan);
  redirect(plan.stderr_fd, STDERR_FILENO, plan);

  ChildError error;
  for (int i = 0; i < plan.join_cgroup_count; ++i) {
    if (::write(plan.join_cgroup_fds[i], "0", 1) != 1) {
      set_child_error(error, "join cgroup", nullptr, errno);
      fail(plan, error);
    }
  }
  if (plan.new_cgroup_namespace && ::unshare(CLONE_NEWCGROUP) != 0) {
    set_child_error(error, "create cgroup namespace", nullptr, errno);
    fail(plan, error);
  }
  if (plan.mounts != nullptr && !apply_mount_plan(*plan.mounts, error)) fail(plan, error);
  if (!configure_network(plan.network, error)) fail(plan, error);
  if (plan.hostname != nullptr && ::sethostname(plan.hostname, std::strlen(plan.hostname)) != 0) {
    set_child_error(error, "set hostname", nullptr, errno);
    fail(plan, error);
  }
  run_init(plan.init);
}

}  // namespace isotest
