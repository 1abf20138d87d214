#include "netlab_sandbox.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <ctime>

#include "capabilities.h"
#include "exec_exit_code.h"
#include "packet_capture.h"

namespace isotest {

namespace {

// Sends the prepared RTM_NEWQDISC and reads the kernel's acknowledgement (NLM_F_ACK).
bool add_qdisc(const NetLabSandboxPlan& plan, ChildError& error) {
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    set_child_error(error, SetupStage::network_netlink_socket, nullptr, errno);
    return false;
  }
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  int failure = 0;
  if (::sendto(fd, plan.qdisc_request, plan.qdisc_request_bytes, 0,
               reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel) < 0) {
    failure = errno;
  } else {
    alignas(nlmsghdr) char reply[4096];
    const ssize_t got = ::recv(fd, reply, sizeof reply, 0);
    const auto* header = reinterpret_cast<const nlmsghdr*>(reply);
    if (got < 0) {
      failure = errno;
    } else if (got >= static_cast<ssize_t>(NLMSG_LENGTH(sizeof(nlmsgerr))) &&
               header->nlmsg_type == NLMSG_ERROR) {
      failure = -static_cast<const nlmsgerr*>(NLMSG_DATA(header))->error;
    }
  }
  ::close(fd);
  if (failure == 0) return true;
  // ENOENT: the kernel has no such discipline (sch_netem / sch_tbf not built or not loadable).
  set_child_error(error, SetupStage::add_qdisc, plan.qdisc_kind, failure);
  return false;
}

double now_ms() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<double>(now.tv_sec) * 1000 + static_cast<double>(now.tv_nsec) / 1e6;
}

void pause_ms(long ms) {
  timespec pause{.tv_sec = 0, .tv_nsec = ms * 1'000'000};
  while (::nanosleep(&pause, &pause) != 0 && errno == EINTR) {
  }
}

void send_event(const SandboxServices& plan, int index, ServiceEvent::Kind kind, int value,
                double ms = 0) {
  const ServiceEvent event{.index = index, .kind = kind, .value = value, .reserved = 0, .ms = ms};
  // Smaller than PIPE_BUF: written whole or not at all.
  [[maybe_unused]] const ssize_t written = ::write(plan.events_fd, &event, sizeof event);
}

// A service's process, or its readiness command's: its own process group (so that stopping it
// reaches what it started), stdin from /dev/null (the terminal is the test's), stdout and
// stderr to its own pipe, the test's working directory, environment and privileges -- no
// capabilities unless --root, no_new_privs. Not the seccomp filter: its listener is the test's
// (one per run, init.cc), so services run without it (docs/cli.md says so).
[[noreturn]] void exec_service(const SandboxServices& plan, const SandboxService& service,
                               const PreparedExec& exec) {
  ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  static_cast<void>(::signal(SIGPIPE, SIG_DFL));
  const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null >= 0) ::dup2(null, STDIN_FILENO);
  ::dup2(service.output_fd, STDOUT_FILENO);
  ::dup2(service.output_fd, STDERR_FILENO);
  ::close_range(3, UINT_MAX, CLOSE_RANGE_CLOEXEC);
  ChildError ignored;
  if (::chdir(exec.working_directory().c_str()) != 0 || !set_no_new_privs(ignored) ||
      (!plan.keep_capabilities && !drop_all_capabilities(ignored))) {
    // Not exit_code_for_exec_error's rule: execve was never tried, so "not found" (127) cannot
    // be said; the service could not be invoked (126, as env(1) says of a command it cannot run).
    ::_exit(126);
  }
  const int error_number = exec.exec();
  ::_exit(exit_code_for_exec_error(error_number));
}

pid_t spawn_service(const SandboxServices& plan, const SandboxService& service,
                    const PreparedExec& exec) {
  const pid_t pid = ::fork();
  if (pid == 0) exec_service(plan, service, exec);
  if (pid > 0) ::setpgid(pid, pid);  // also here: no race with a kill of the group
  return pid;
}

bool tcp_port_accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool accepted =
      ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return accepted;
}

// Runs the readiness command to its end, or kills it at `deadline_ms`; true when it exited 0.
bool ready_command_succeeds(const SandboxServices& plan, const SandboxService& service,
                            double deadline_ms) {
  const pid_t pid = spawn_service(plan, service, *service.ready_exec);
  if (pid < 0) return false;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (now_ms() >= deadline_ms) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return false;
    }
    pause_ms(5);
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool probe(const SandboxServices& plan, const SandboxService& service, double deadline_ms) {
  if (service.ready_port != 0) return tcp_port_accepts(service.ready_port);
  if (service.ready_exec != nullptr) return ready_command_succeeds(plan, service, deadline_ms);
  return true;
}

// Polls every 10 ms: cheap next to a server's start, and fine-grained enough that a test waits
// at most that long after its server is up.
bool wait_until_ready(const SandboxServices& plan, int index, ServicePids& pids,
                      ChildError& error) {
  const SandboxService& service = plan.list[index];
  const double started = now_ms();
  const double deadline = started + static_cast<double>(plan.ready_timeout_ms);
  while (true) {
    int status = 0;
    if (::waitpid(pids.pid[index], &status, WNOHANG) == pids.pid[index]) {
      pids.pid[index] = 0;
      send_event(plan, index, ServiceEvent::exited_early, status);
      set_child_error(error, SetupStage::service, service.name, 0);
      add_child_error_detail(error, "exited before it was ready");
      return false;
    }
    if (probe(plan, service, deadline)) {
      send_event(plan, index, ServiceEvent::ready, 0, now_ms() - started);
      return true;
    }
    if (now_ms() >= deadline) {
      set_child_error(error, SetupStage::service, service.name, ETIMEDOUT);
      add_child_error_detail(error, "was not ready in time (--service-timeout)");
      return false;
    }
    pause_ms(10);
  }
}

void kill_all(const SandboxServices& plan, ServicePids& pids) {
  for (int i = 0; i < plan.count; ++i) {
    if (pids.pid[i] <= 0) continue;
    ::kill(-pids.pid[i], SIGKILL);
    int status = 0;
    ::waitpid(pids.pid[i], &status, 0);
    pids.pid[i] = 0;
    send_event(plan, i, ServiceEvent::stopped, status);
  }
}

}  // namespace

bool set_up_network_lab(void* context, ChildError& error) {
  const auto& plan = *static_cast<const NetLabSandboxPlan*>(context);
  // The qdisc first: no packet the capture records has bypassed the conditions.
  if (plan.qdisc_request != nullptr && !add_qdisc(plan, error)) return false;
  return plan.capture_channel < 0 || open_capture_socket(plan.capture_channel, error);
}

bool start_services(void* context, ChildError& error) {
  const auto& plan = *static_cast<SandboxServices*>(context);
  ServicePids& pids = static_cast<SandboxServices*>(context)->pids;
  for (int i = 0; i < plan.count && i < kMaxServices; ++i) {
    const SandboxService& service = plan.list[i];
    pids.pid[i] = spawn_service(plan, service, *service.exec);
    if (pids.pid[i] < 0) {
      set_child_error(error, SetupStage::service, service.name, errno);
      add_child_error_detail(error, "fork");
      pids.pid[i] = 0;
      kill_all(plan, pids);
      return false;
    }
    send_event(plan, i, ServiceEvent::started, pids.pid[i]);
    if (!wait_until_ready(plan, i, pids, error)) {
      kill_all(plan, pids);
      return false;
    }
  }
  // The write ends are the services' own now: the launcher sees end of file once they are gone.
  for (int i = 0; i < plan.count; ++i) ::close(plan.list[i].output_fd);
  return true;
}

void note_service_exit(void* context, pid_t pid, int status) {
  const auto* plan = static_cast<SandboxServices*>(context);
  ServicePids& pids = static_cast<SandboxServices*>(context)->pids;
  for (int i = 0; i < plan->count; ++i) {
    if (pids.pid[i] != pid) continue;
    pids.pid[i] = 0;
    send_event(*plan, i, ServiceEvent::exited_early, status);
  }
}

void stop_services(void* context) {
  const auto* plan = static_cast<SandboxServices*>(context);
  ServicePids& pids = static_cast<SandboxServices*>(context)->pids;
  for (int i = 0; i < plan->count; ++i) {
    if (pids.pid[i] <= 0) continue;
    ::kill(-pids.pid[i], SIGTERM);
    ::kill(-pids.pid[i], SIGCONT);  // a stopped service acts on SIGTERM only once continued
  }
  const double deadline = now_ms() + static_cast<double>(plan->stop_grace_ms);
  while (now_ms() < deadline) {
    int status = 0;
    pid_t reaped = 0;
    bool any_left = false;
    while ((reaped = ::waitpid(-1, &status, WNOHANG)) > 0) {
      for (int i = 0; i < plan->count; ++i) {
        if (pids.pid[i] != reaped) continue;
        pids.pid[i] = 0;
        send_event(*plan, i, ServiceEvent::stopped, status);
      }
    }
    for (int i = 0; i < plan->count; ++i) any_left = any_left || pids.pid[i] > 0;
    if (!any_left) return;
    pause_ms(5);
  }
  kill_all(*plan, pids);
}

}  // namespace isotest
