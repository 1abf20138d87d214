#include "launch.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <span>
#include <vector>

#include "cgroup.h"
#include "child_error.h"
#include "host_paths.h"
#include "launch_plan.h"
#include "once_per_process.h"
#include "prepared_exec.h"
#include "sandbox_child.h"
#include "sandbox_environment.h"
#include "unique_dir.h"
#include "unique_fd.h"
#include "user_namespace.h"

namespace isotest {

namespace {

using SteadyClock = std::chrono::steady_clock;

// The sandbox's init process, owned: killed and reaped if we are left holding it.
class SandboxProcess {
 public:
  SandboxProcess(pid_t pid, int pidfd) : pid_(pid), pidfd_(pidfd) {}
  SandboxProcess(const SandboxProcess&) = delete;
  SandboxProcess& operator=(const SandboxProcess&) = delete;
  ~SandboxProcess() { kill_and_reap(); }
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] int pidfd() const { return pidfd_.get(); }
  [[nodiscard]] SandboxHandle handle(const Cgroup* cgroup) const {
    return SandboxHandle{.init_pid = pid_, .pidfd = pidfd_.get(), .cgroup = cgroup};
  }
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
    throw_errno(SetupStage::resolve_working_directory,
                "cannot use `" +
                    (spec.working_directory.empty() ? std::string(".") : spec.working_directory) +
                    "` as working directory",
                "pass an existing directory to --chdir");
  }
  return path.string();
}

// execve(2) failed: the command's name, its mode or its format.
std::string exec_hint(int err) {
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

std::string hint_for(const ChildError& error) {
  const int err = error.error_number;
  switch (error.step) {
    case SetupStage::exec:
      return exec_hint(err);
    case SetupStage::chdir:
      return "pass an existing directory to --chdir";
    case SetupStage::install_seccomp_filter:
      // The program is compiled when isotest is built; the kernel it runs on may lack user
      // notifications (Linux < 5.0) or forbid filters (a seccomp profile of its own).
      return "this kernel does not accept isotest's seccomp filter; run with --seccomp off "
             "(docs/security.md)";
    case SetupStage::mount_proc:
      if (err != EPERM && err != EACCES) break;
      return "procfs cannot be mounted here, usually because a container masks parts of /proc: "
             "give the container an unmasked /proc (docker --security-opt "
             "systempaths=unconfined, podman --security-opt unmask=ALL) or run with --share pid";
    case SetupStage::mount_bind:
    case SetupStage::mount_tmpfs:
      if (err != ENOENT) break;
      return "both the source and the target of a mount must exist; isotest does not create "
             "paths on the host";
    default:  // the other steps have no hint of their own
      break;
  }
  if (err == EPERM || err == EACCES) return explain_namespace_refusal(err);
  return "see docs/troubleshooting.md";
}

// An extension's own sandbox steps say what went wrong themselves (LaunchExtension::explain).
SetupError to_setup_error(const ChildError& error, const LaunchPlan& plan,
                          std::span<LaunchExtension* const> extensions) {
  for (const LaunchExtension* extension : extensions) {
    if (auto explained = extension->explain(error)) return *explained;
  }
  SetupError result;
  result.stage = child_error_stage_text(error);
  result.step = error.step;
  result.error_number = error.error_number;
  if (error.step == SetupStage::exec) {
    const std::string& program = plan.exec.argv.front();
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
  record.detail[sizeof record.detail - 1] = '\0';
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
  const std::function<void(std::string_view)>* sink;  // takes the place of the passthrough
  OutputCapture capture;
};

// Everything the supervision loop watches, and what it learned.
class Supervisor {
 public:
  Supervisor(const SupervisionPlan& plan, SandboxProcess& sandbox, Cgroup* cgroup,
             UniqueFd error_pipe, UniqueFd status_pipe, UniqueFd signals,
             std::vector<CaptureStream>& streams, FdWatchList& watched,
             std::span<LaunchExtension* const> extensions)
      : plan_(plan),
        sandbox_(sandbox),
        cgroup_(cgroup),
        error_pipe_(std::move(error_pipe)),
        status_pipe_(std::move(status_pipe)),
        signals_(std::move(signals)),
        timer_(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)),
        streams_(streams),
        watched_(watched),
        extensions_(extensions) {
    if (!timer_.valid()) throw_errno("supervise", "timerfd_create failed");
    if (plan.timeout_ms) arm(*plan.timeout_ms);
  }

  // One round: waits up to `timeout_ms` (-1: until something happens) for an event, handles
  // what is there; init's wait status once it has exited and was reaped.
  std::optional<int> step(int timeout_ms, rusage& usage) {
    std::vector<pollfd> fds;
    auto watch = [&](int fd) {
      fds.push_back(pollfd{.fd = fd, .events = POLLIN, .revents = 0});
      return fds.size() - 1;
    };
    const auto exited = watch(sandbox_.pidfd());
    const auto timer = watch(timer_.get());
    const auto signals = watch(signals_.valid() ? signals_.get() : -1);
    const auto seccomp_socket = watch(seccomp_socket_.valid() ? seccomp_socket_.get() : -1);
    const auto seccomp_listener = watch(seccomp_ != nullptr ? seccomp_->fd() : -1);
    const std::size_t first_stream = fds.size();
    for (auto& stream : streams_) watch(stream.pipe.valid() ? stream.pipe.get() : -1);
    const std::size_t first_watched = fds.size();
    for (auto& watched : watched_) watch(watched.fd);

    if (::poll(fds.data(), fds.size(), timeout_ms) < 0) {
      if (errno == EINTR) return std::nullopt;
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
    for (std::size_t i = 0; i < streams_.size(); ++i) {
      if (fds[first_stream + i].revents != 0) pump(streams_[i]);
    }
    for (std::size_t i = 0; i < watched_.size(); ++i) {
      if (fds[first_watched + i].revents != 0 && !watched_[i].on_readable()) watched_[i].fd = -1;
    }
    for (LaunchExtension* extension : extensions_) {
      if (auto stop = extension->stop_request(); stop && !terminating_) on_stop_request(*stop);
    }
    if (fds[timer].revents != 0) on_timer();
    if (fds[signals].revents != 0) on_signal();
    if (fds[exited].revents == 0) return std::nullopt;
    const int init_status = sandbox_.reap(usage);
    drain();
    return init_status;
  }

  // The fds step() watches (the error and status pipes are not among them: their writers, init
  // and the test until execve, are gone once init has exited, so drain() finds all there is to
  // read then; waking up for each record and each closing end cost four wake-ups a run).
  [[nodiscard]] std::vector<int> watched_fds() const {
    std::vector<int> fds = {sandbox_.pidfd(), timer_.get()};
    if (signals_.valid()) fds.push_back(signals_.get());
    if (seccomp_socket_.valid()) fds.push_back(seccomp_socket_.get());
    if (seccomp_ != nullptr && seccomp_->fd() >= 0) fds.push_back(seccomp_->fd());
    for (const auto& stream : streams_) {
      if (stream.pipe.valid()) fds.push_back(stream.pipe.get());
    }
    for (const auto& watched : watched_) {
      if (watched.fd >= 0) fds.push_back(watched.fd);
    }
    return fds;
  }

  // A termination signal the caller received for this sandbox (`isotest gtest`'s Ctrl-C), acted
  // on as one isotest received itself; it was not the terminal's, so the test gets it from us.
  void stop(int sig) { on_termination_signal(sig, true); }

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
    // Unchecked, a failed timer would be a --timeout that never fires.
    if (::timerfd_settime(timer_.get(), 0, &when, nullptr) != 0) {
      throw_errno("supervise", "timerfd_settime failed");
    }
  }

  // First SIGTERM (init forwards it to the test), then after the grace period SIGKILL of init,
  // which makes the kernel kill everything else in the sandbox's PID namespace.
  void start_termination(int sig) {
    terminating_ = true;
    sandbox_.send(sig);
    arm(plan_.kill_after_ms);
  }

  // Each extension sees the sandbox as it was, before the first signal (launch_extension.h).
  void before_stop(KillReason why) {
    const SandboxHandle handle = sandbox_.handle(cgroup_);
    for (LaunchExtension* extension : extensions_) extension->before_stop(handle, why);
  }

  // An extension's reason to stop the test (a service it needs has exited).
  void on_stop_request(const HarnessKill& stop) {
    if (!harness_kill_) harness_kill_ = stop;
    before_stop(KillReason::service);
    start_termination(SIGTERM);
  }

  void on_timer() {
    std::uint64_t expirations = 0;
    [[maybe_unused]] auto got = ::read(timer_.get(), &expirations, sizeof expirations);
    if (!terminating_) {
      harness_kill_ = HarnessKill{.reason = KillReason::timeout};
      before_stop(KillReason::timeout);
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
    // Ctrl-C from a terminal reaches the test directly (it shares isotest's process group);
    // forwarding it as well would deliver it twice.
    on_termination_signal(sig, info.ssi_code != SI_KERNEL);
  }

  void on_termination_signal(int sig, bool forward) {
    if (!harness_kill_)
      harness_kill_ = HarnessKill{.reason = KillReason::signal, .signal_received = sig};
    if (terminating_) {
      kill_now();  // asked twice: stop waiting for the grace period
      return;
    }
    before_stop(KillReason::signal);
    terminating_ = true;
    if (forward) sandbox_.send(sig);
    arm(plan_.kill_after_ms);
  }

  void answer_seccomp(short revents) {
    if ((revents & POLLIN) == 0) {
      seccomp_->close();  // POLLHUP: no process uses the filter any more
      return;
    }
    seccomp_->answer_one([this](const std::string& syscall) {
      if (seccomp_mode_ != SeccompMode::kill) return true;
      if (!harness_kill_)
        harness_kill_ = HarnessKill{.reason = KillReason::seccomp, .syscall = syscall};
      if (!terminating_) before_stop(KillReason::seccomp);
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
      record.detail[sizeof record.detail - 1] = '\0';
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
      if (stream.sink != nullptr && *stream.sink) {
        (*stream.sink)(bytes);
      } else {
        write_all(stream.passthrough_fd, bytes);
      }
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
    for (auto& watched : watched_) {
      while (watched.fd >= 0 && readable(watched.fd)) {
        if (!watched.on_readable()) watched.fd = -1;
      }
    }
    for (auto& stream : streams_) {
      while (stream.pipe.valid() && readable(stream.pipe.get())) pump(stream);
    }
  }

  // Data waiting, or end of file to notice; false when a read would only block.
  static bool readable(int fd) {
    pollfd probe{.fd = fd, .events = POLLIN, .revents = 0};
    return ::poll(&probe, 1, 0) > 0 && (probe.revents & (POLLIN | POLLHUP)) != 0;
  }

  const SupervisionPlan& plan_;
  SandboxProcess& sandbox_;
  Cgroup* cgroup_;
  UniqueFd error_pipe_;
  UniqueFd status_pipe_;
  UniqueFd signals_;
  UniqueFd timer_;
  std::vector<CaptureStream>& streams_;
  FdWatchList& watched_;
  std::span<LaunchExtension* const> extensions_;
  bool terminating_ = false;
  std::optional<ChildError> child_error_;
  std::optional<int> test_status_;
  std::optional<HarnessKill> harness_kill_;
  UniqueFd seccomp_socket_;
  SeccompListener* seccomp_ = nullptr;
  SeccompMode seccomp_mode_ = SeccompMode::off;
};

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
      HarnessKill{.reason = KillReason::signal, .signal_received = *sig, .test_started = false};
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
  // SIGPIPE too, so that a closed stdout cannot kill isotest while the sandbox runs.
  const sigset_t blocked = launcher_blocked_signals();
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

// What plan_launch() needs to know about this host, read before anything is set up. Throws
// SetupFailure for what the command line names that the host does not have.
HostFacts read_host_facts(const SandboxSpec& spec, char* const* environment) {
  for (int fd : spec.pass_fds) {
    if (::fcntl(fd, F_GETFD) < 0) {
      throw_error("pass fd", EBADF, "--pass-fd " + std::to_string(fd) + ": fd is not open",
                  "open it in the shell that starts isotest, e.g. `3<file isotest run "
                  "--pass-fd 3 ...`");
    }
  }
  HostFacts host;
  host.environment = environment;
  host.working_directory = resolve_working_directory(spec);
  host.executable = find_executable(exec_candidates(spec, environment), host.working_directory);
  host.needed = host_paths_needed(spec, environment, host.working_directory);
  host.exists = [](const std::string& path) { return ::access(path.c_str(), F_OK) == 0; };
  host.uid = ::geteuid();
  host.gid = ::getegid();
  return host;
}

// The sandbox's cgroup as set up: what the result reports, and the limits really applied.
CgroupIsolation describe_cgroup(const SandboxSpec& spec, const CgroupSetup& setup) {
  CgroupIsolation isolation;
  isolation.missing_limits = setup.missing;
  isolation.unavailable_reason = setup.reason;
  if (setup.error_number != 0) {
    isolation.unavailable_reason += ": " + errno_name(setup.error_number);
  }
  if (!setup.cgroup) return isolation;
  isolation.version = std::string(setup.cgroup->version());
  isolation.path = setup.cgroup->path();
  isolation.controllers = setup.cgroup->controllers();
  auto applied = [&](const char* limit) {
    return std::find(setup.missing.begin(), setup.missing.end(), limit) == setup.missing.end();
  };
  if (applied("memory")) isolation.limits.memory_max_bytes = spec.limits.memory_max_bytes;
  if (applied("pids")) isolation.limits.pids_max = spec.limits.pids_max;
  if (applied("cpus")) isolation.limits.cpus = spec.limits.cpus;
  return isolation;
}

// Policy on missing limits is the spec's (--allow-degraded).
void refuse_missing_limits(const SandboxSpec& spec, const CgroupSetup& setup) {
  if (setup.missing.empty() || spec.allow_degraded) return;
  throw_error("cgroup", setup.error_number,
              "cannot apply " + limit_options(setup.missing) + ": " + setup.reason, setup.remedy);
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

void record_exit(RunResult& result, const Supervisor& supervisor, int init_status,
                 const LaunchPlan& plan, std::span<LaunchExtension* const> extensions) {
  result.killed_by_harness = supervisor.harness_kill();
  if (supervisor.child_error()) {
    result.error = to_setup_error(*supervisor.child_error(), plan, extensions);
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

// The pipes and the socket between the launcher and the sandbox.
struct Channels {
  Pipe release = make_pipe();  // the launcher's go
  Pipe errors = make_pipe();   // ChildError records
  Pipe status = make_pipe();   // the main test's wait status, from init
  std::vector<Pipe> output;    // stdout and stderr, when captured
  SocketPair seccomp;          // the filter's listener, when there is a filter
};

Channels open_channels(const LaunchPlan& plan) {
  Channels channels;
  if (plan.supervision.capture_output) {
    channels.output.push_back(make_pipe());
    channels.output.push_back(make_pipe());
  }
  if (!plan.seccomp.program.empty()) channels.seccomp = make_socket_pair();
  return channels;
}

// What the sandbox side gets: plain pointers into `plan`, `exec`, `channels` and `keep_fds`,
// which outlive the clone.
SandboxChildPlan child_plan(const LaunchPlan& plan, const PreparedExec& exec,
                            const Channels& channels, const std::vector<int>& keep_fds,
                            const std::vector<int>& join_cgroup_fds,
                            const std::vector<int>& close_fds) {
  SandboxChildPlan child;
  child.close_fds = close_fds.data();
  child.close_fd_count = static_cast<int>(close_fds.size());
  child.release_fd = channels.release.read_end.get();
  child.release_write_fd = channels.release.write_end.get();
  if (!channels.output.empty()) {
    child.stdout_fd = channels.output[0].write_end.get();
    child.stderr_fd = channels.output[1].write_end.get();
  }
  child.new_cgroup_namespace = plan.new_cgroup_namespace;
  child.mounts = plan.own_mount_namespace ? &plan.mounts : nullptr;
  child.network = plan.network;
  child.hostname = plan.hostname.empty() ? nullptr : plan.hostname.c_str();
  child.join_cgroup_fds = join_cgroup_fds.data();
  child.join_cgroup_count = static_cast<int>(join_cgroup_fds.size());
  child.init = InitPlan{.exec = &exec,
                        .time_offset_seconds = plan.time_offset_seconds,
                        .error_fd = channels.errors.write_end.get(),
                        .status_fd = channels.status.write_end.get(),
                        .keep_capabilities = plan.keep_capabilities,
                        .keep_fds = keep_fds.data(),
                        .keep_fd_count = static_cast<int>(keep_fds.size()),
                        .seccomp = plan.seccomp.program.empty() ? nullptr : &plan.seccomp,
                        .seccomp_socket_fd = channels.seccomp.sandbox_end.get(),
                        .steps = plan.sandbox_steps.data(),
                        .step_count = static_cast<int>(plan.sandbox_steps.size())};
  return child;
}

// After the clone the launcher keeps only its own ends; the output pipes become the streams the
// supervision copies and captures.
std::vector<CaptureStream> keep_launcher_ends(Channels& channels, const SupervisionPlan& plan,
                                              const LaunchOptions& options) {
  channels.release.read_end.reset();
  channels.errors.write_end.reset();
  channels.status.write_end.reset();
  channels.seccomp.sandbox_end.reset();
  std::vector<CaptureStream> streams;
  for (std::size_t i = 0; i < channels.output.size(); ++i) {
    channels.output[i].write_end.reset();
    set_nonblocking(channels.output[i].read_end.get(), "supervise");
    streams.push_back(CaptureStream{
        .pipe = std::move(channels.output[i].read_end),
        .passthrough_fd = i == 0 ? plan.stdout_copy_fd : STDERR_FILENO,
        .sink = i == 1 && options.error_output ? &options.error_output : &options.output,
        .capture = OutputCapture(plan.output_limit_bytes)});
  }
  set_nonblocking(channels.errors.read_end.get(), "supervise");
  set_nonblocking(channels.status.read_end.get(), "supervise");
  return streams;
}

// Places the waiting sandbox in its cgroup (unless the clone did), writes its id maps and lets
// it go. False, with the result saying so, when a termination signal came first.
bool release_sandbox(const LaunchPlan& plan, SandboxProcess& sandbox, Cgroup* cgroup, bool placed,
                     Channels& channels, std::span<LaunchExtension* const> extensions,
                     RunResult& result) {
  try {
    if (cgroup != nullptr && !placed) cgroup->place(sandbox.pid());
    if (plan.id_maps) write_id_maps(sandbox.pid(), *plan.id_maps);
    pause_for_tests("release");
    if (stopped_before_start(result)) return false;  // ~SandboxProcess kills the waiting sandbox
    const char go = 1;
    if (::write(channels.release.write_end.get(), &go, 1) != 1) {
      throw_errno("release sandbox", "write");
    }
  } catch (const SetupFailure&) {
    // The sandbox takes its first steps (network, hostname) before its go; a failure there ends
    // it and can make these writes fail too. Its own report says what really went wrong.
    sandbox.kill_and_reap();
    if (auto record = pending_child_error(channels.errors.read_end.get())) {
      throw SetupFailure(to_setup_error(*record, plan, extensions));
    }
    throw;
  }
  return true;
}

// The fds open now, but stdio and those the spec passes to the test (LaunchOptions).
std::vector<int> earlier_fds(const SandboxSpec& spec) {
  std::vector<int> fds;
  const UniqueDir listing(::opendir("/proc/self/fd"));
  if (!listing) throw_errno("list open fds", "opendir /proc/self/fd");
  const int own = ::dirfd(listing.get());
  while (const dirent* entry = ::readdir(listing.get())) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd <= STDERR_FILENO || fd == own) continue;
    if (std::find(spec.pass_fds.begin(), spec.pass_fds.end(), fd) != spec.pass_fds.end()) continue;
    fds.push_back(static_cast<int>(fd));
  }
  return fds;
}

// Every signal blocked while the clone happens: a handler of the caller's must not run in the
// sandbox child before it has reset them (sandbox_child.cc), nor on the caller's side meanwhile
// see a half-made launch. The previous mask comes back when this goes.
class SignalsHeld {
 public:
  SignalsHeld() {
    sigset_t all;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &previous_);
  }
  SignalsHeld(const SignalsHeld&) = delete;
  SignalsHeld& operator=(const SignalsHeld&) = delete;
  ~SignalsHeld() { ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }

 private:
  sigset_t previous_{};
};

}  // namespace

// Everything of one launch, from the request to the result; the steps of RunningSandbox.
struct RunningSandbox::Launch {
  Launch(const SandboxSpec& requested, char* const* environ_block,
         std::span<LaunchExtension* const> extension_list, LaunchOptions launch_options)
      : spec(requested),
        environment(environ_block),
        extensions(extension_list),
        options(std::move(launch_options)) {
    result.name = spec.display_name();
    result.command = spec.command;
    result.timeout_ms = spec.timeout_ms;
    result.output_limit_bytes = spec.output_limit_bytes;
    result.started_at = std::chrono::system_clock::now();
  }

  // Host facts, cgroup, plan, the extensions' changes, then the clone and the release. False
  // when the sandbox was not started (a termination signal came first).
  bool start() {
    std::vector<int> close_fds;
    if (options.close_earlier_fds) close_fds = earlier_fds(spec);
    UniqueFd signals;
    if (options.take_signals) signals = receive_forwarded_signals();
    pause_for_tests("launch");
    describe_namespaces(spec, result.isolation);
    HostFacts host = read_host_facts(spec, environment);
    cgroup = create_sandbox_cgroup(spec.limits);
    host.cgroup = describe_cgroup(spec, cgroup);
    plan = plan_launch(spec, host);
    // Output that goes to the caller is captured as for a result file.
    if (options.output || options.error_output) plan->supervision.capture_output = true;
    for (LaunchExtension* extension : extensions) extension->adjust(*plan);
    describe_plan(*plan, result.isolation);
    result.isolation.cgroup.missing_limits = host.cgroup.missing_limits;
    result.isolation.cgroup.unavailable_reason = host.cgroup.unavailable_reason;
    refuse_missing_limits(spec, cgroup);
    result.isolation.cgroup = host.cgroup;
    return clone_and_release(close_fds, std::move(signals));
  }

  bool clone_and_release(const std::vector<int>& close_fds, UniqueFd signals) {
    const PreparedExec exec(plan->exec);
    Channels channels = open_channels(*plan);
    // Only these reach the test besides stdio: --pass-fd, and the extensions' own.
    std::vector<int> keep_fds = plan->passed_fds;
    keep_fds.insert(keep_fds.end(), plan->extension_fds.begin(), plan->extension_fds.end());
    Cgroup* own_cgroup = cgroup.cgroup.get();
    const std::vector<int> join_fds =
        own_cgroup != nullptr ? own_cgroup->self_placement_fds() : std::vector<int>{};
    const SandboxChildPlan child = child_plan(*plan, exec, channels, keep_fds, join_fds, close_fds);

    started_at = SteadyClock::now();
    int pidfd = -1;
    bool placed = false;
    if (stopped_before_start(result)) return false;
    pid_t pid = -1;
    {
      const SignalsHeld held;
      pid = clone_sandbox(plan->clone_flags,
                          own_cgroup != nullptr ? own_cgroup->clone_into_fd() : -1, pidfd, placed);
      if (pid == 0) run_sandbox_child(child);
    }
    if (pid < 0) {
      const int error = errno;
      throw_error("create namespaces", error, "clone failed", explain_namespace_refusal(error));
    }
    sandbox.emplace(pid, pidfd);
    streams = keep_launcher_ends(channels, plan->supervision, options);
    if (!release_sandbox(*plan, *sandbox, own_cgroup, placed || !join_fds.empty(), channels,
                         extensions, result)) {
      return false;
    }
    // Held while the sandbox runs: the sandbox reads its closing as the launcher's death.
    release_write = std::move(channels.release.write_end);
    // The sandbox is on its way and the launcher would only wait: do the chores now.
    if (own_cgroup != nullptr) {
      if (first_time_in_process("remove stale cgroups")) own_cgroup->remove_stale_cgroups();
      own_cgroup->open_files_read_at_exit();
    }
    for (LaunchExtension* extension : extensions) extension->watch(watched);
    supervisor.emplace(plan->supervision, *sandbox, own_cgroup, std::move(channels.errors.read_end),
                       std::move(channels.status.read_end), std::move(signals), streams, watched,
                       extensions);
    if (channels.seccomp.launcher_end.valid()) {
      supervisor->watch_seccomp(std::move(channels.seccomp.launcher_end), &seccomp_listener,
                                plan->seccomp.mode);
    }
    return true;
  }

  // One round of supervision; true once the run is over and recorded.
  bool step(int timeout_ms) {
    rusage usage{};
    const std::optional<int> init_status = supervisor->step(timeout_ms, usage);
    if (!init_status) return false;
    supervisor_done = true;
    record_end(*init_status, usage);
    return true;
  }

  void record_end(int init_status, const rusage& usage) {
    Cgroup* own_cgroup = cgroup.cgroup.get();
    // Whatever outlived init (possible only without a PID namespace) dies before we measure.
    if (own_cgroup != nullptr) own_cgroup->kill_all();
    result.duration_ms =
        std::chrono::duration<double, std::milli>(SteadyClock::now() - started_at).count();
    record_exit(result, *supervisor, init_status, *plan, extensions);
    result.isolation.seccomp.refusals = seccomp_listener.refusals();
    record_usage(result, usage, own_cgroup);
    if (own_cgroup != nullptr) own_cgroup->destroy();
    if (!streams.empty()) {
      result.stdout_output = streams[0].capture.finish();
      result.stderr_output = streams[1].capture.finish();
    }
  }

  // Runs `call`; a setup failure ends the run there, as a sandbox_error.
  template <typename Call>
  void guarded(Call call) {
    try {
      call();
    } catch (const SetupFailure& failure) {
      result.error = failure.error();
      finished = true;
    }
  }

  // One round of supervision, waiting up to `timeout_ms`. A failure of the supervision itself
  // ends the run as one whose sandbox never started: the extensions add nothing to it.
  void supervise(int timeout_ms) {
    guarded([&] {
      if (step(timeout_ms)) finished = true;
    });
    if (finished && result.error && !supervisor_done) started = false;
  }

  // As supervise(): a failure ends the run as one whose sandbox never started.
  void resync_event_fd() {
    guarded([&] { sync_event_fd(); });
    if (finished) started = false;
  }

  // The kernel's readiness of the supervised fds, gathered in one fd for the caller's loop.
  int sync_event_fd() {
    if (!events.valid()) {
      events = UniqueFd(::epoll_create1(EPOLL_CLOEXEC));
      if (!events.valid()) throw_errno("supervise", "epoll_create1 failed");
    }
    const std::vector<int> wanted = supervisor->watched_fds();
    for (int fd : registered) {
      if (std::find(wanted.begin(), wanted.end(), fd) == wanted.end()) {
        // Already gone when its owner closed it; nothing to undo then.
        static_cast<void>(::epoll_ctl(events.get(), EPOLL_CTL_DEL, fd, nullptr));
      }
    }
    for (int fd : wanted) {
      if (std::find(registered.begin(), registered.end(), fd) != registered.end()) continue;
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.fd = fd;
      if (::epoll_ctl(events.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
        throw_errno("supervise", "epoll_ctl failed");
      }
    }
    registered = wanted;
    return events.get();
  }

  const SandboxSpec spec;
  char* const* environment;
  std::span<LaunchExtension* const> extensions;
  LaunchOptions options;
  RunResult result;
  bool started = false;
  bool finished = false;
  bool supervisor_done = false;  // init was reaped and the end recorded
  CgroupSetup cgroup;
  std::optional<LaunchPlan> plan;
  SteadyClock::time_point started_at;
  std::optional<SandboxProcess> sandbox;  // after cgroup: killed before the cgroup goes
  UniqueFd release_write;                 // the launcher's end of the release pipe
  std::vector<CaptureStream> streams;
  FdWatchList watched;
  SeccompListener seccomp_listener;
  std::optional<Supervisor> supervisor;
  UniqueFd events;
  std::vector<int> registered;
};

RunningSandbox::RunningSandbox(std::unique_ptr<Launch> launch) : launch_(std::move(launch)) {}

// The members' own owners do the rest: the sandbox's init is killed and reaped, then its cgroup
// removed.
RunningSandbox::~RunningSandbox() {
  if (launch_ == nullptr || launch_->finished || !launch_->cgroup.cgroup) return;
  launch_->cgroup.cgroup->kill_all();  // without a PID namespace, init's death is not enough
}

std::unique_ptr<RunningSandbox> RunningSandbox::start(const SandboxSpec& spec,
                                                      char* const* environment,
                                                      std::span<LaunchExtension* const> extensions,
                                                      LaunchOptions options) {
  auto launch = std::make_unique<Launch>(spec, environment, extensions, std::move(options));
  Launch& state = *launch;
  state.guarded([&state] {
    state.started = state.start();
    if (!state.started) state.finished = true;
  });
  return std::unique_ptr<RunningSandbox>(new RunningSandbox(std::move(launch)));
}

int RunningSandbox::event_fd() {
  if (launch_->finished) return -1;
  launch_->resync_event_fd();
  return launch_->events.get();
}

bool RunningSandbox::on_event() {
  if (launch_->finished) return true;
  launch_->supervise(0);
  if (!launch_->finished && launch_->events.valid()) launch_->resync_event_fd();
  return launch_->finished;
}

void RunningSandbox::run_to_end() {
  while (!launch_->finished) launch_->supervise(-1);
}

bool RunningSandbox::finished() const {
  return launch_->finished;
}

void RunningSandbox::stop(int sig) {
  if (launch_->finished || !launch_->supervisor) return;
  launch_->guarded([&] { launch_->supervisor->stop(sig); });
}

RunResult RunningSandbox::take_result() {
  Launch& state = *launch_;
  classify(state.result);
  if (state.started) {
    for (LaunchExtension* extension : state.extensions) extension->finish(state.result);
  }
  return std::move(state.result);
}

RunResult run_sandboxed(const SandboxSpec& spec, char* const* environment,
                        std::span<LaunchExtension* const> extensions) {
  auto sandbox = RunningSandbox::start(spec, environment, extensions, LaunchOptions{});
  sandbox->run_to_end();
  return sandbox->take_result();
}

}  // namespace isotest
