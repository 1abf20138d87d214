#include "spawned_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace isotest::integration {

namespace {

std::string from_environment(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

std::string_view key_of(std::string_view entry) {
  return entry.substr(0, entry.find('='));
}

// The test's environment minus what the sandbox is expected to set itself (TMPDIR, TEST_TMPDIR)
// and what the extras replace, plus the extras.
std::vector<std::string> child_environment(const std::vector<std::string>& extra) {
  auto replaced = [&](std::string_view entry) {
    if (key_of(entry) == "TMPDIR" || key_of(entry) == "TEST_TMPDIR") return true;
    return std::any_of(extra.begin(), extra.end(),
                       [&](const std::string& added) { return key_of(added) == key_of(entry); });
  };
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (!replaced(*entry)) env.emplace_back(*entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (auto& text : strings) pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

const ToolPaths& tools() {
  static const ToolPaths kPaths{
      .isotest = from_environment("ISOTEST_BIN", ISOTEST_DEFAULT_BIN),
      .probe = from_environment("ISOTEST_PROBE", ISOTEST_DEFAULT_PROBE),
      .schema = from_environment("ISOTEST_SCHEMA", ISOTEST_DEFAULT_SCHEMA),
      .validator = from_environment("ISOTEST_VALIDATOR", ISOTEST_DEFAULT_VALIDATOR),
  };
  return kPaths;
}

SpawnedProcess::SpawnedProcess(std::vector<std::string> argv, SpawnOptions options)
    : argv_(std::move(argv)), options_(std::move(options)) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    fail("pipe2");
  }
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (stop_fd_ < 0) fail("eventfd");

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  posix_spawn_file_actions_addchdir_np(&actions, options_.working_directory.c_str());
  // The child starts with a clean signal state whatever gtest or a parent shell left us.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigfillset(&defaults);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  auto env = child_environment(options_.extra_environment);
  auto env_pointers = pointers_to(env);
  auto argv_pointers = pointers_to(argv_);
  started_ = std::chrono::steady_clock::now();
  const int error = ::posix_spawn(&pid_, argv_pointers[0], &actions, &attributes,
                                  argv_pointers.data(), env_pointers.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  stdin_fd_ = in[1];
  out_.fd = out[0];
  err_.fd = err[0];
  if (error != 0) {
    errno = error;
    fail("spawn " + argv_.front());
  }
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd_ < 0) fail("pidfd_open");
  reader_ = std::thread([this] { read_output(); });
}

SpawnedProcess::~SpawnedProcess() {
  if (!exit_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(stop_fd_, &one, sizeof one);
  if (reader_.joinable()) reader_.join();
  close_fd(stdin_fd_);
  close_fd(pidfd_);
  close_fd(stop_fd_);
  close_fd(out_.fd);
  close_fd(err_.fd);
}

void SpawnedProcess::read_output() {
  char buffer[64 * 1024];
  while (true) {
    pollfd fds[3] = {{.fd = stop_fd_, .events = POLLIN, .revents = 0},
                     {.fd = out_.closed ? -1 : out_.fd, .events = POLLIN, .revents = 0},
                     {.fd = err_.closed ? -1 : err_.fd, .events = POLLIN, .revents = 0}};
    if (out_.closed && err_.closed) return;
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents != 0) return;
    for (int i = 1; i < 3; ++i) {
      if (fds[i].revents == 0) continue;
      Stream& stream = i == 1 ? out_ : err_;
      const ssize_t got = ::read(stream.fd, buffer, sizeof buffer);
      if (got < 0 && errno == EINTR) continue;
      std::lock_guard lock(mutex_);
      if (got <= 0) {
        stream.closed = true;
        stream.closed_at = std::chrono::steady_clock::now();
      } else {
        stream.total += static_cast<std::uint64_t>(got);
        const auto room = kKeptBytes - std::min(kKeptBytes, stream.kept.size());
        stream.kept.append(buffer, std::min(room, static_cast<std::size_t>(got)));
      }
      output_changed_.notify_all();
    }
  }
}

std::optional<std::string> SpawnedProcess::wait_for_line(std::string_view prefix,
                                                         Milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::optional<std::string> found;
  auto look = [&] {
    std::string_view text = out_.kept;
    while (!text.empty()) {
      const auto end = text.find('\n');
      if (end == std::string_view::npos) break;
      if (text.starts_with(prefix)) {
        found = std::string(text.substr(0, end));
        return true;
      }
      text.remove_prefix(end + 1);
    }
    return out_.closed;
  };
  output_changed_.wait_for(lock, timeout, look);
  return found;
}

void SpawnedProcess::close_stdin() {
  close_fd(stdin_fd_);
}

void SpawnedProcess::send_signal(int sig) const {
  ::kill(pid_, sig);
}

ExitInfo SpawnedProcess::wait() {
  if (exit_) return *exit_;
  ExitInfo info;
  const auto deadline = started_ + options_.deadline;
  while (true) {
    const auto left =
        std::chrono::duration_cast<Milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd exited{.fd = pidfd_, .events = POLLIN, .revents = 0};
    const int ready = ::poll(&exited, 1, static_cast<int>(std::max<long>(left.count(), 0)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready > 0) break;
    info.hit_deadline = true;
    ::kill(pid_, SIGKILL);
    break;
  }
  info.exited_at = std::chrono::steady_clock::now();
  info.elapsed = std::chrono::duration_cast<Milliseconds>(info.exited_at - started_);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) info.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) info.signal = WTERMSIG(status);
  exit_ = info;
  close_stdin();
  // The output pipes close when the last writer goes; a process isotest failed to kill may still
  // hold them, and that must not hang the suite.
  std::unique_lock lock(mutex_);
  output_changed_.wait_for(lock, 5s, [this] { return out_.closed && err_.closed; });
  return info;
}

std::string SpawnedProcess::stdout_text() const {
  std::lock_guard lock(mutex_);
  return out_.kept;
}

std::string SpawnedProcess::stderr_text() const {
  std::lock_guard lock(mutex_);
  return err_.kept;
}

std::uint64_t SpawnedProcess::stdout_bytes() const {
  std::lock_guard lock(mutex_);
  return out_.total;
}

std::uint64_t SpawnedProcess::stderr_bytes() const {
  std::lock_guard lock(mutex_);
  return err_.total;
}

std::optional<std::chrono::steady_clock::time_point> SpawnedProcess::stderr_closed_at() const {
  std::lock_guard lock(mutex_);
  if (!err_.closed) return std::nullopt;
  return err_.closed_at;
}

Finished run_to_end(std::vector<std::string> argv, SpawnOptions options) {
  SpawnedProcess process(std::move(argv), std::move(options));
  process.close_stdin();
  Finished finished;
  finished.exit = process.wait();
  finished.out = process.stdout_text();
  finished.err = process.stderr_text();
  return finished;
}

std::vector<std::string> isotest_run(const std::vector<std::string>& options,
                                     const std::vector<std::string>& command) {
  std::vector<std::string> argv{tools().isotest, "run"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back("--");
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

std::vector<std::string> isotest_run_probe(const std::vector<std::string>& options,
                                           const std::vector<std::string>& probe_args) {
  std::vector<std::string> command{tools().probe};
  command.insert(command.end(), probe_args.begin(), probe_args.end());
  return isotest_run(options, command);
}

std::string describe(const ExitInfo& exit) {
  std::string text;
  if (exit.exit_code) text += "exit code " + std::to_string(*exit.exit_code);
  if (exit.signal) text += "killed by signal " + std::to_string(*exit.signal);
  if (exit.hit_deadline) text += " (hit the test's deadline and was killed)";
  return text + " after " + std::to_string(exit.elapsed.count()) + " ms";
}

std::string describe(const Finished& run) {
  auto clip = [](const std::string& text) {
    return text.size() <= 2000 ? text : text.substr(0, 2000) + "...";
  };
  return describe(run.exit) + "\n--- stdout ---\n" + clip(run.out) + "\n--- stderr ---\n" +
         clip(run.err);
}

}  // namespace isotest::integration
