#include "launch.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "cgroup.h"
#include "child_error.h"
#include "exec_plan.h"
#include "forensics.h"
#include "gtest_cases.h"
#include "host_paths.h"
#include "mounts.h"
#include "network_lab.h"
#include "sandbox_child.h"
#include "sandbox_environment.h"
#include "seccomp_filter.h"
#include "unique_fd.h"
#include "user_namespace.h"

namespace isotest {

namespace {

using SteadyClock = std::chrono::steady_clock;

std::uint64_t clone_flags_for(const SandboxSpec& spec) {
  struct FlagFor {
    Namespace ns;
    std::uint64_t flag;
  };
  constexpr FlagFor kFlags[] = {{Namespace::user, CLONE_NEWUSER}, {Namespace::mount, CLONE_NEWNS},
                                {Namespace::pid, CLONE_NEWPID},   {Namespace::net, CLONE_NEWNET},
                                {Namespace::ipc, CLONE_NEWIPC},   {Namespace::uts, CLONE_NEWUTS}};
  // No CLONE_NEWCGROUP: the child unshares it once it sits in its own cgroup (v1 places it only
  // after the clone), so that cgroup -- not isotest's -- is the root the test sees.
  std::uint64_t flags = 0;
  for (const auto& entry : kFlags) {
    if (!spec.shares(entry.ns)) flags |= entry.flag;
  }
  return flags;
}

// The sandbox's init process, owned: killed and reaped if we are left holding it.
class SandboxProcess {
 public:
  SandboxProcess(pid_t pid, int pidfd) : pid_(pid), pidfd_(pidfd) {}
  SandboxProcess(const SandboxProcess&) = delete;
  SandboxProcess& operator=(const SandboxProcess&) = delete;
  ~SandboxProcess() { kill_and_reap(); }
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] int pidfd() const { return pidfd_.get(); }
  void send(int sig) const { ::syscall(SYS_pidfd_send_signal, pidfd_.get(), sig, nullptr, 0); }
  void kill_and_reap() {
    if (reaped_) return;
    send(SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
  }
  // Reaps init; its rusage covers every process it reaped, i.e. the whole test tree.
  int reap(rusage& usage) {
    int status = 0;
    while (::wait4(pid_, &status, 0, &usage) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    return status;
  }

 private:
  pid_t pid_;
  UniqueFd pidfd_;
  bool reaped_ = false;
};

// clone3 where we can; plain clone where a seccomp profile (Docker's) answers clone3 with ENOSYS.
// With a `cgroup_fd` the child starts life in its cgroup (CLONE_INTO_CGROUP, v2 only); `placed`
// tells the caller whether that happened or it has to place the child itself.
pid_t clone_sandbox(std::uint64_t flags, int cgroup_fd, int& pidfd, bool& placed) {
  clone_args args{};
  args.flags = flags | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<std::uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  long pid = -1;
  placed = false;
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<std::uint64_t>(cgroup_fd);
    pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid >= 0) {
      placed = true;
      return static_cast<pid_t>(pid);
    }
    args.flags &= ~static_cast<std::uint64_t>(CLONE_INTO_CGROUP);
    args.cgroup = 0;
  }
  pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0 && errno == ENOSYS) {
    pid = ::syscall(SYS_clone, static_cast<unsigned long>(flags | CLONE_PIDFD | SIGCHLD), nullptr,
                    &pidfd, nullptr, 0);
  }
  return static_cast<pid_t>(pid);
}

std::string resolve_working_directory(const SandboxSpec& spec) {
  std::error_code error;
  auto path = spec.working_directory.empty()
                  ? std::filesystem::current_path(error)
                  : std::filesystem::canonical(spec.working_directory, error);
  if (error) {
    errno = error.value();
    throw_errno("resolve working directory",
                "cannot use `" +
                    (spec.working_directory.empty() ? std::string(".") : spec.working_directory) +
                    "` as working directory",
                "pass an existing directory to --chdir");
  }
  return path.string();
}

std::string hint_for(const ChildError& error) {
  const std::string_view stage = error.stage;
  const int err = error.error_number;
  if (stage == "exec") {
    if (err == ENOENT) {
      return "check the command's name and PATH; inside the sandbox the caller's PATH and file "
             "system apply";
    }
    // execve(2) runs binaries and scripts that start with `#!`; execvp would hand anything else
    // to /bin/sh, isotest does not (docs/cli.md).
    if (err == ENOEXEC) {
      return "the file is neither a binary this machine runs nor a script starting with `#!`: "
             "add a `#!` line (such as #!/bin/sh), or name its interpreter: isotest run -- sh "
             "FILE";
    }
    return "make the file executable (chmod +x) and check that its file system is not mounted "
           "noexec";
  }
  if (stage.starts_with("chdir")) return "pass an existing directory to --chdir";
  if (stage == "install seccomp filter") {
    // The program is compiled when isotest is built; the kernel it runs on may lack user
    // notifications (Linux < 5.0) or forbid filters (a seccomp profile of its own).
    return "this kernel does not accept isotest's seccomp filter; run with --seccomp off "
           "(docs/security.md)";
  }
  if (stage == "mount proc on /proc" && (err == EPERM || err == EACCES)) {
    return "procfs cannot be mounted here, usually because a container masks parts of /proc: "
           "give the container an unmasked /proc (docker --security-opt systempaths=unconfined, "
           "podman --security-opt unmask=ALL) or run with --share pid";
  }
  if ((stage.find("bind") != std::string_view::npos ||
       stage.find("tmpfs on") != std::string_view::npos) &&
      err == ENOENT) {
    return "both the source and the target of a mount must exist; isotest does not create "
           "paths on the host";
  }
  if (err == EPERM || err == EACCES) return explain_namespace_refusal(err);
  return "see docs/troubleshooting.md";
}

SetupError to_setup_error(const ChildError& error, const SandboxSpec& spec) {
  // extension hook (issue 15): the network lab's own steps say what went wrong themselves.
  if (auto described = describe_network_lab_error(error)) return *described;
  SetupError result;
  result.stage = error.stage;
  result.error_number = error.error_number;
  if (result.stage == "exec") {
    const std::string& program = spec.command.front();
    result.message = error.error_number == ENOENT ? "command not found: " + program
                                                  : "cannot execute " + program;
  } else {
    result.message = "could not build the sandbox";
  }
  result.hint = hint_for(error);
  return result;
}

// The record a sandbox that has exited left in the (non-blocking) error pipe, if any.
std::optional<ChildError> pending_child_error(int error_fd) {
  ChildError record;
  if (::read(error_fd, &record, sizeof record) != static_cast<ssize_t>(sizeof record)) {
    return std::nullopt;
  }
  record.stage[sizeof record.stage - 1] = '\0';
  return record;
}

void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;  // a closed stdout must not stop the test or the capture
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
}

struct CaptureStream {
  UniqueFd pipe;
  int passthrough_fd;
  OutputCapture capture;
};

// Everything the supervision loop watches, and what it learned.
class Supervisor {
 public:
  Supervisor(const SandboxSpec& spec, SandboxProcess& sandbox, Cgroup* cgroup, UniqueFd error_pipe,
             UniqueFd status_pipe, UniqueFd signals, std::vector<CaptureStream>& streams,
             GtestSession& gtest, NetworkLab& netlab, Forensics& forensics)
      : spec_(spec),
        sandbox_(sandbox),
        cgroup_(cgroup),
        error_pipe_(std::move(error_pipe)),
        status_pipe_(std::move(status_pipe)),
        signals_(std::move(signals)),
        timer_(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC)),
        streams_(streams),
        gtest_(gtest),
        netlab_(netlab),
        forensics_(forensics) {
    if (!timer_.valid()) throw_errno("supervise", "timerfd_create failed");
    if (spec.timeout_ms) arm(*spec.timeout_ms);
  }

  // Returns init's wait status after it exited and was reaped.
  int run(rusage& usage) {
    while (true) {
      std::array<pollfd, 32> fds{};
      std::size_t count = 0;
      auto watch = [&](int fd) {
        fds[count++] = pollfd{.fd = fd, .events = POLLIN, .revents = 0};
        return count - 1;
      };
      // The error and status pipes are not watched: their writers (init, and the test until
      // execve) are gone once init has exited, so drain() finds all there is to read then.
      // Waking up for each record and each closing end cost the launcher four wake-ups a run.
      const auto exited = watch(sandbox_.pidfd());
      const auto timer = watch(timer_.get());
      const auto signals = watch(signals_.get());
      const auto seccomp_socket = watch(seccomp_socket_.valid() ? seccomp_socket_.get() : -1);
      const auto seccomp_listener = watch(seccomp_ != nullptr ? seccomp_->fd() : -1);
      const auto events = watch(gtest_.events_read_fd());
      const std::size_t first_stream = count;
      for (auto& stream : streams_) watch(stream.pipe.valid() ? stream.pipe.get() : -1);
      const std::size_t first_netlab = count;
      const std::vector<int> netlab_fds = netlab_.watched_fds();  // extension hook (issue 15)
      for (int fd : netlab_fds) watch(fd);

      if (::poll(fds.data(), count, -1) < 0) {
        if (errno == EINTR) continue;
        throw_errno("supervise", "poll failed");
      }
      // Unwatched entries (fd -1) never report events; the checks of seccomp_ say so to readers
      // and to the static analyser.
      if (seccomp_ != nullptr && fds[seccomp_socket].revents != 0 &&
          !seccomp_->receive(seccomp_socket_.get())) {
        seccomp_socket_.reset();
      }
      if (seccomp_ != nullptr && fds[seccomp_listener].revents != 0) {
        answer_seccomp(fds[seccomp_listener].revents);
      }
      if (fds[events].revents != 0) gtest_.read_events();
      for (std::size_t i = 0; i < streams_.size(); ++i) {
        if (fds[first_stream + i].revents != 0) pump(streams_[i]);
      }
      for (std::size_t i = 0; i < netlab_fds.size(); ++i) {
        if (fds[first_netlab + i].revents != 0) netlab_.on_ready(netlab_fds[i]);
      }
      // extension hook (issue 15): a service that exited early stops the test.
      if (auto stop = netlab_.stop_request(); stop && !terminating_) {
        if (!harness_kill_) harness_kill_ = *stop;
        start_termination(SIGTERM);
      }
      if (fds[timer].revents != 0) on_timer();
      if (fds[signals].revents != 0) on_signal();
      if (fds[exited].revents != 0) {
        int init_status = sandbox_.reap(usage);
        drain();
        return init_status;
      }
    }
  }

  [[nodiscard]] const std::optional<ChildError>& child_error() const { return child_error_; }
  [[nodiscard]] const std::optional<int>& test_status() const { return test_status_; }
  [[nodiscard]] const std::optional<HarnessKill>& harness_kill() const { return harness_kill_; }

  // The sandbox hands the seccomp listener over `socket`; refused calls are answered from here.
  void watch_seccomp(UniqueFd socket, SeccompListener* listener, SeccompMode mode) {
    seccomp_socket_ = std::move(socket);
    seccomp_ = listener;
    seccomp_mode_ = mode;
  }

 private:
  void arm(std::int64_t ms) {
    itimerspec when{};
    when.it_value.tv_sec = ms / 1000;
    when.it_value.tv_nsec = (ms % 1000) * 1'000'000;
    if (ms <= 0) when.it_value.tv_nsec = 1;  // zero would disarm
    ::timerfd_settime(timer_.get(), 0, &when, nullptr);
  }

  // First SIGTERM (init forwards it to the test), then after the grace period SIGKILL of init,
  // which makes the kernel kill everything else in the sandbox's PID namespace.
  void start_termination(int sig) {
    terminating_ = true;
    sandbox_.send(sig);
    arm(spec_.kill_after_ms);
  }

  void on_timer() {
    std::uint64_t expirations = 0;
    [[maybe_unused]] auto got = ::read(timer_.get(), &expirations, sizeof expirations);
    if (!terminating_) {
      forensics_.before_stop(sandbox_.pid(), "timeout");  // extension hook (issue 14)
      harness_kill_ = HarnessKill{.reason = "timeout"};
      start_termination(SIGTERM);
      return;
    }
    kill_now();
  }

  void on_signal() {
    signalfd_siginfo info{};
    if (::read(signals_.get(), &info, sizeof info) != static_cast<ssize_t>(sizeof info)) return;
    const int sig = static_cast<int>(info.ssi_signo);
    if (!is_termination_signal(sig)) {
      sandbox_.send(sig);  // SIGUSR1/2 are for the test; they stop nothing
      return;
    }
    if (!harness_kill_) harness_kill_ = HarnessKill{.reason = "signal", .signal_received = sig};
    if (terminating_) {
      kill_now();  // asked twice: stop waiting for the grace period
      return;
    }
    // Ctrl-C from a terminal reaches the test directly (it shares isotest's process group);
    // forwarding it as well would deliver it twice.
    terminating_ = true;
    if (info.ssi_code != SI_KERNEL) sandbox_.send(sig);
    arm(spec_.kill_after_ms);
  }

  void answer_seccomp(short revents) {
    if ((revents & POLLIN) == 0) {
      seccomp_->close();  // POLLHUP: no process uses the filter any more
      return;
    }
    seccomp_->answer_one([this](const std::string& syscall) {
      if (seccomp_mode_ != SeccompMode::kill) return true;
      if (!harness_kill_) harness_kill_ = HarnessKill{.reason = "seccomp", .syscall = syscall};
      terminating_ = true;
      kill_sandbox();
      return false;
    });
  }

  void kill_now() {
    if (harness_kill_) harness_kill_->escalated_to_kill = true;
    kill_sandbox();
  }

  void kill_sandbox() {
    sandbox_.send(SIGKILL);
    // Without a PID namespace init's death does not take the rest along; the cgroup does.
    if (cgroup_ != nullptr) cgroup_->kill_all();
  }

  void read_error_record() {
    ChildError record;
    ssize_t got = ::read(error_pipe_.get(), &record, sizeof record);
    if (got == static_cast<ssize_t>(sizeof record)) {
      record.stage[sizeof record.stage - 1] = '\0';
      if (!child_error_) child_error_ = record;
      return;
    }
    if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) error_pipe_.reset();
  }

  void read_status() {
    int status = 0;
    ssize_t got = ::read(status_pipe_.get(), &status, sizeof status);
    if (got == static_cast<ssize_t>(sizeof status)) {
      test_status_ = status;
      return;
    }
    if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) status_pipe_.reset();
  }

  void pump(CaptureStream& stream) {
    char buffer[64 * 1024];
    ssize_t got = ::read(stream.pipe.get(), buffer, sizeof buffer);
    if (got > 0) {
      std::string_view bytes(buffer, static_cast<std::size_t>(got));
      write_all(stream.passthrough_fd, bytes);
      stream.capture.append(bytes);
      return;
    }
    if (got == 0 || (errno != EAGAIN && errno != EINTR)) stream.pipe.reset();
  }

  // Init has exited, so with a PID namespace every writer is gone; without one (--share pid) a
  // leftover process may hold the pipes, so take only what is already there.
  void drain() {
    while (error_pipe_.valid() && readable(error_pipe_.get())) read_error_record();
    while (status_pipe_.valid() && readable(status_pipe_.get())) read_status();
    while (gtest_.events_read_fd() >= 0 && readable(gtest_.events_read_fd())) gtest_.read_events();
    for (auto& stream : streams_) {
      while (stream.pipe.valid() && readable(stream.pipe.get())) pump(stream);
    }
    netlab_.drain();  // extension hook (issue 15)
  }

  // Data waiting, or end of file to notice; false when a read would only block.
  static bool readable(int fd) {
    pollfd probe{.fd = fd, .events = POLLIN, .revents = 0};
    return ::poll(&probe, 1, 0) > 0 && (probe.revents & (POLLIN | POLLHUP)) != 0;
  }

  const SandboxSpec& spec_;
  SandboxProcess& sandbox_;
  Cgroup* cgroup_;
  UniqueFd error_pipe_;
  UniqueFd status_pipe_;
  UniqueFd signals_;
  UniqueFd timer_;
  std::vector<CaptureStream>& streams_;
  GtestSession& gtest_;
  NetworkLab& netlab_;
  Forensics& forensics_;
  bool terminating_ = false;
  std::optional<ChildError> child_error_;
  std::optional<int> test_status_;
  std::optional<HarnessKill> harness_kill_;
  UniqueFd seccomp_socket_;
  SeccompListener* seccomp_ = nullptr;
  SeccompMode seccomp_mode_ = SeccompMode::off;
};

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// The signals block_forwarded_signals holds back, received through a signalfd from here on;
// those that came before are read from it too.
UniqueFd receive_forwarded_signals() {
  block_forwarded_signals();  // for callers other than `isotest run`
  sigset_t set;
  sigemptyset(&set);
  int count = 0;
  const int* forwarded = forwarded_signals(&count);
  for (int i = 0; i < count; ++i) sigaddset(&set, forwarded[i]);
  UniqueFd fd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!fd.valid()) throw_errno("supervise", "signalfd failed");
  return fd;
}

// A termination signal waiting since before the test was released. It stays pending: isotest
// ends without reading it, with the signal still blocked.
std::optional<int> pending_termination_signal() {
  sigset_t pending;
  if (::sigpending(&pending) != 0) return std::nullopt;
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT}) {
    if (::sigismember(&pending, sig) == 1) return sig;
  }
  return std::nullopt;
}

// True, with the result saying so, when a termination signal came before the test started.
bool stopped_before_start(RunResult& result) {
  const auto sig = pending_termination_signal();
  if (!sig) return false;
  result.killed_by_harness =
      HarnessKill{.reason = "signal", .signal_received = *sig, .test_started = false};
  return true;
}

// For the test suite: ISOTEST_TEST_PAUSE_AT=POINT makes isotest stop itself (SIGSTOP) at that
// point of the launch until it is continued, so that a test can signal it there, where it could
// otherwise only hope to hit a window of a millisecond. Points: `launch` (nothing set up yet),
// `release` (the sandbox is cloned, not yet released).
void pause_for_tests(std::string_view point) {
  const char* wanted = std::getenv("ISOTEST_TEST_PAUSE_AT");
  if (wanted != nullptr && point == wanted) static_cast<void>(::raise(SIGSTOP));
}

}  // namespace

void block_forwarded_signals() {
  sigset_t blocked;
  sigemptyset(&blocked);
  int count = 0;
  const int* forwarded = forwarded_signals(&count);
  for (int i = 0; i < count; ++i) sigaddset(&blocked, forwarded[i]);
  // SIGPIPE too, so that a closed stdout cannot kill isotest while the sandbox runs.
  sigaddset(&blocked, SIGPIPE);
  ::sigprocmask(SIG_BLOCK, &blocked, nullptr);
}

namespace {

void describe_namespaces(const SandboxSpec& spec, Isolation& isolation) {
  for (Namespace ns : kAllNamespaces) {
    auto& list = spec.shares(ns) ? isolation.shared_namespaces : isolation.namespaces;
    list.emplace_back(namespace_name(ns));
  }
  if (spec.time_offset_seconds) isolation.namespaces.emplace_back("time");
  isolation.network = std::string(network_mode_name(spec.network));
  if (!spec.shares(Namespace::uts)) isolation.hostname = spec.hostname;
  isolation.time_offset_seconds = spec.time_offset_seconds;
  isolation.read_only_root = spec.read_only_root;
}

// The plan for this host: what the command needs from it stays visible (host_paths.h), and
// optional mounts (/dev/mqueue, /sys/fs/cgroup) whose target this host lacks are dropped, so the
// plan -- and the result -- list only what is really mounted.
MountPlan plan_mounts_for_host(const SandboxSpec& spec, char* const* environment,
                               const std::string& working_directory) {
  MountPlan plan = plan_mounts(spec, host_paths_needed(spec, environment, working_directory));
  std::erase_if(plan.ops, [](const MountOp& op) {
    return op.skip_if_missing && ::access(op.target.c_str(), F_OK) != 0;
  });
  return plan;
}

// The sandbox's cgroup, or none: policy on missing limits is the spec's (--allow-degraded).
CgroupSetup set_up_cgroup(const SandboxSpec& spec, CgroupIsolation& isolation) {
  CgroupSetup setup = create_sandbox_cgroup(spec.limits);
  isolation.missing_limits = setup.missing;
  isolation.unavailable_reason = setup.reason;
  if (setup.error_number != 0) {
    isolation.unavailable_reason += ": " + errno_name(setup.error_number);
  }
  if (!setup.missing.empty() && !spec.allow_degraded) {
    std::string limits;
    for (const auto& limit : setup.missing) limits += (limits.empty() ? "--" : ", --") + limit;
    throw_error("cgroup", setup.error_number, "cannot apply " + limits + ": " + setup.reason,
                setup.remedy);
  }
  if (!setup.cgroup) return setup;
  isolation.version = std::string(setup.cgroup->version());
  isolation.path = setup.cgroup->path();
  isolation.controllers = setup.cgroup->controllers();
  auto applied = [&](const char* limit) {
    return std::find(setup.missing.begin(), setup.missing.end(), limit) == setup.missing.end();
  };
  if (applied("memory")) isolation.limits.memory_max_bytes = spec.limits.memory_max_bytes;
  if (applied("pids")) isolation.limits.pids_max = spec.limits.pids_max;
  if (applied("cpus")) isolation.limits.cpus = spec.limits.cpus;
  return setup;
}

struct SocketPair {
  UniqueFd launcher_end;
  UniqueFd sandbox_end;
};

// Carries the seccomp listener fd from the sandbox to us (SCM_RIGHTS); close-on-exec on both
// ends, so the test never holds it.
SocketPair make_socket_pair() {
  int ends[2] = {-1, -1};
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) != 0) {
    throw_errno("seccomp", "socketpair for the filter's listener");
  }
  return SocketPair{.launcher_end = UniqueFd(ends[0]), .sandbox_end = UniqueFd(ends[1])};
}

// What the test's process does to itself before execve (init.cc), as the result reports it.
void describe_hardening(const SandboxSpec& spec, const SeccompFilter& seccomp,
                        Isolation& isolation) {
  for (int fd : spec.pass_fds) {
    if (::fcntl(fd, F_GETFD) < 0) {
      throw_error("pass fd", EBADF, "--pass-fd " + std::to_string(fd) + ": fd is not open",
                  "open it in the shell that starts isotest, e.g. `3<file isotest run "
                  "--pass-fd 3 ...`");
    }
  }
  isolation.no_new_privs = true;
  isolation.capabilities_dropped = !spec.map_root;
  isolation.passed_fds = spec.pass_fds;
  isolation.seccomp.mode = std::string(seccomp_mode_name(seccomp.mode));
  isolation.seccomp.syscalls = seccomp.refused;
}

void record_exit(RunResult& result, const Supervisor& supervisor, int init_status,
                 const SandboxSpec& spec) {
  result.killed_by_harness = supervisor.harness_kill();
  if (supervisor.child_error()) {
    result.error = to_setup_error(*supervisor.child_error(), spec);
    return;  // the command never ran (or never started): no status of its own
  }
  // The main test's own status, as init saw it; without it (init was killed or failed) init's
  // status is the best we know.
  const int status = supervisor.test_status().value_or(init_status);
  if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  } else {
    result.exit_code = WEXITSTATUS(status);
  }
  if (!supervisor.test_status() && !result.killed_by_harness && WIFEXITED(init_status) &&
      WEXITSTATUS(init_status) == 125) {
    result.exit_code.reset();
    result.error = SetupError{.stage = "init",
                              .message = "the sandbox's init exited before starting the test",
                              .hint = "see docs/troubleshooting.md"};
  }
}

void record_usage(RunResult& result, const rusage& usage, const Cgroup* cgroup) {
  auto& out = result.usage;
  out.cpu_user_ms = usage.ru_utime.tv_sec * 1000 + usage.ru_utime.tv_usec / 1000;
  out.cpu_system_ms = usage.ru_stime.tv_sec * 1000 + usage.ru_stime.tv_usec / 1000;
  out.max_rss_bytes = static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
  out.peak_memory_bytes = out.max_rss_bytes;  // one process's peak, and it counts our init too
  if (cgroup == nullptr) return;
  const CgroupStats stats = cgroup->read_stats();
  out.source = "cgroup " + std::string(cgroup->version());
  if (stats.cpu_user_ms && stats.cpu_system_ms) {
    out.cpu_user_ms = *stats.cpu_user_ms;
    out.cpu_system_ms = *stats.cpu_system_ms;
  }
  if (stats.peak_memory_bytes) {
    out.peak_memory_bytes = *stats.peak_memory_bytes;
    out.peak_memory_is_approximate = false;
  }
  out.oom_kills = stats.oom_kills;
  out.pids_peak = stats.pids_peak;
  out.pids_limit_hit = stats.pids_limit_hit;
}

void run(const SandboxSpec& requested, char* const* environment, RunResult& result) {
  UniqueFd signals = receive_forwarded_signals();
  pause_for_tests("launch");
  describe_namespaces(requested, result.isolation);
  const std::string working_directory = resolve_working_directory(requested);
  NetworkLab netlab(requested);  // extension hook (issue 15): checks the capture file first
  // What the sandbox really gets: the request, plus what a GoogleTest binary needs and the
  // ISOTEST_* variables.
  SandboxSpec spec = requested;
  GtestSession gtest(spec, find_executable(exec_candidates(spec, environment), working_directory),
                     environment);
  Forensics forensics(spec);  // extension hook (issue 14)
  const MountPlan mounts = plan_mounts_for_host(spec, environment, working_directory);
  for (const auto& op : mounts.ops) result.isolation.mounts.push_back(op.description);
  const bool own_users = !spec.shares(Namespace::user);
  const IdMaps maps = plan_id_maps(spec.map_root);
  if (own_users) {
    result.isolation.uid_map = maps.uid_map;
    result.isolation.gid_map = maps.gid_map;
  }
  const SeccompFilter seccomp = build_seccomp_filter(spec);
  describe_hardening(spec, seccomp, result.isolation);
  CgroupSetup cgroup = set_up_cgroup(spec, result.isolation.cgroup);
  add_sandbox_environment(spec, result.isolation.cgroup);
  const ExecPlan exec(spec, environment, working_directory);
  netlab.adjust(spec, environment, working_directory);

  Pipe release = make_pipe();
  Pipe errors = make_pipe();
  Pipe status = make_pipe();
  std::vector<Pipe> output_pipes;
  if (!spec.json_path.empty()) {
    output_pipes.push_back(make_pipe());
    output_pipes.push_back(make_pipe());
  }
  SocketPair seccomp_channel = seccomp.program.empty() ? SocketPair{} : make_socket_pair();

  SandboxChildPlan child;
  child.release_fd = release.read_end.get();
  child.release_write_fd = release.write_end.get();
  if (!output_pipes.empty()) {
    child.stdout_fd = output_pipes[0].write_end.get();
    child.stderr_fd = output_pipes[1].write_end.get();
  }
  child.new_cgroup_namespace = !spec.shares(Namespace::cgroup);
  child.mounts = spec.shares(Namespace::mount) ? nullptr : &mounts;
  child.network = spec.shares(Namespace::net) ? NetworkMode::host : spec.network;
  child.hostname = spec.shares(Namespace::uts) ? nullptr : spec.hostname.c_str();
  // Only these reach the test besides stdio: --pass-fd, and the plugin's event pipe.
  std::vector<int> keep_fds = spec.pass_fds;
  if (gtest.events_write_fd() >= 0) keep_fds.push_back(gtest.events_write_fd());
  child.init = InitPlan{.exec = &exec,
                        .time_offset_seconds = spec.time_offset_seconds,
                        .error_fd = errors.write_end.get(),
                        .status_fd = status.write_end.get(),
                        .keep_capabilities = spec.map_root,
                        .keep_fds = keep_fds.data(),
                        .keep_fd_count = static_cast<int>(keep_fds.size()),
                        .seccomp = seccomp.program.empty() ? nullptr : &seccomp,
                        .seccomp_socket_fd = seccomp_channel.sandbox_end.get(),
                        .services = netlab.sandbox_services()};
  child.netlab = netlab.sandbox_plan();  // extension hook (issue 15)

  const auto started = SteadyClock::now();
  int pidfd = -1;
  bool placed = false;
  const int cgroup_fd = cgroup.cgroup ? cgroup.cgroup->clone_into_fd() : -1;
  const std::vector<int> join_fds =
      cgroup.cgroup ? cgroup.cgroup->self_placement_fds() : std::vector<int>{};
  child.join_cgroup_fds = join_fds.data();
  child.join_cgroup_count = static_cast<int>(join_fds.size());
  if (stopped_before_start(result)) return;
  const pid_t pid = clone_sandbox(clone_flags_for(spec), cgroup_fd, pidfd, placed);
  placed = placed || !join_fds.empty();
  if (pid < 0) {
    const int error = errno;
    throw_error("create namespaces", error, "clone failed", explain_namespace_refusal(error));
  }
  if (pid == 0) run_sandbox_child(child);

  SandboxProcess sandbox(pid, pidfd);
  release.read_end.reset();
  errors.write_end.reset();
  status.write_end.reset();
  seccomp_channel.sandbox_end.reset();
  gtest.close_write_end();
  netlab.after_clone();  // extension hook (issue 15)
  std::vector<CaptureStream> streams;
  for (std::size_t i = 0; i < output_pipes.size(); ++i) {
    output_pipes[i].write_end.reset();
    set_nonblocking(output_pipes[i].read_end.get());
    streams.push_back(CaptureStream{.pipe = std::move(output_pipes[i].read_end),
                                    .passthrough_fd = i == 0 ? spec.stdout_copy_fd : STDERR_FILENO,
                                    .capture = OutputCapture(spec.output_limit_bytes)});
  }
  set_nonblocking(errors.read_end.get());
  set_nonblocking(status.read_end.get());

  try {
    if (cgroup.cgroup && !placed) cgroup.cgroup->place(pid);
    if (own_users) write_id_maps(pid, maps);
    pause_for_tests("release");
    if (stopped_before_start(result)) return;  // ~SandboxProcess kills the waiting sandbox
    const char go = 1;
    if (::write(release.write_end.get(), &go, 1) != 1) throw_errno("release sandbox", "write");
  } catch (const SetupFailure&) {
    // The sandbox takes its first steps (network, hostname) before its go; a failure there ends
    // it and can make these writes fail too. Its own report says what really went wrong.
    sandbox.kill_and_reap();
    if (auto record = pending_child_error(errors.read_end.get())) {
      throw SetupFailure(to_setup_error(*record, spec));
    }
    throw;
  }
  // The sandbox is on its way and the launcher would only wait: do the chores now.
  if (cgroup.cgroup) {
    cgroup.cgroup->remove_stale_cgroups();
    cgroup.cgroup->open_files_read_at_exit();
  }
  gtest.remove_stale_directories();
  netlab.after_release();  // extension hook (issue 15)

  Supervisor supervisor(spec, sandbox, cgroup.cgroup.get(), std::move(errors.read_end),
                        std::move(status.read_end), std::move(signals), streams, gtest, netlab,
                        forensics);
  SeccompListener seccomp_listener;
  if (seccomp_channel.launcher_end.valid()) {
    supervisor.watch_seccomp(std::move(seccomp_channel.launcher_end), &seccomp_listener,
                             seccomp.mode);
  }
  rusage usage{};
  const int init_status = supervisor.run(usage);
  // Whatever outlived init (possible only without a PID namespace) dies before we measure.
  if (cgroup.cgroup) cgroup.cgroup->kill_all();
  result.duration_ms =
      std::chrono::duration<double, std::milli>(SteadyClock::now() - started).count();
  record_exit(result, supervisor, init_status, spec);
  result.isolation.seccomp.refusals = seccomp_listener.refusals();
  record_usage(result, usage, cgroup.cgroup.get());
  gtest.finish(result);
  netlab.finish(result);     // extension hook (issue 15)
  forensics.finish(result);  // extension hook (issue 14)
  if (cgroup.cgroup) cgroup.cgroup->destroy();
  if (!streams.empty()) {
    result.stdout_output = streams[0].capture.finish();
    result.stderr_output = streams[1].capture.finish();
  }
}

}  // namespace

RunResult run_sandboxed(const SandboxSpec& spec, char* const* environment) {
  RunResult result;
  result.name = spec.display_name();
  result.command = spec.command;
  result.timeout_ms = spec.timeout_ms;
  result.output_limit_bytes = spec.output_limit_bytes;
  result.started_at = std::chrono::system_clock::now();
  try {
    run(spec, environment, result);
  } catch (const SetupFailure& failure) {
    result.error = failure.error();
  }
  classify(result);
  return result;
}

}  // namespace isotest
