// isotest_escapee: misbehaving test programs for the escape suite (tests/escape). Each
// subcommand tries one way out of the sandbox, or one way to disturb the host or isotest, and
// prints what the kernel answered, so the suite can compare that with what it sees from outside.
//
// usage: isotest_escapee TAG SUBCOMMAND [ARGS...]
// TAG is only carried in argv (it is how the suite finds leftovers in /proc/*/cmdline).
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace {

using Args = std::vector<std::string>;

void say(const std::string& line) {
  std::cout << line << std::endl;
}

std::string outcome(long result) {
  return result >= 0 ? "ok" : strerrorname_np(errno);
}

long number(const std::string& text) {
  return std::strtol(text.c_str(), nullptr, 10);
}

std::string identity() {
  std::error_code error;
  auto ns = std::filesystem::read_symlink("/proc/self/ns/pid", error);
  return "pid=" + std::to_string(::getpid()) + " pidns=" + (error ? "?" : ns.string());
}

[[noreturn]] void sleep_forever() {
  while (true) ::pause();
}

void hold_until_stdin_closes() {
  char buffer[64];
  while (::read(STDIN_FILENO, buffer, sizeof buffer) > 0) {
  }
}

int fork_bomb(const Args&) {
  say("ready " + identity());
  while (true) {
    if (::fork() < 0) ::usleep(1000);  // refused: keep trying, as a real bomb would
  }
}

int memory_bomb(const Args&) {
  say("ready " + identity());
  constexpr std::size_t kChunk = 1 << 20;
  std::size_t total = 0;
  while (true) {
    auto* chunk = static_cast<char*>(std::malloc(kChunk));
    if (chunk == nullptr) continue;
    std::memset(chunk, 1, kChunk);
    total += kChunk;
    if (total % (64 * kChunk) == 0) say("allocated " + std::to_string(total >> 20) + " MiB");
  }
}

// Double fork, setsid, close every fd: the classic daemon, which nothing but the PID namespace
// (or a cgroup) can find again.
int daemon(const Args&) {
  int ready[2];
  if (::pipe(ready) != 0) return 1;
  const pid_t child = ::fork();
  if (child == 0) {
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    say("daemon " + identity());
    static_cast<void>(::write(ready[1], "x", 1));
    ::close_range(0, UINT_MAX, 0);
    sleep_forever();
  }
  ::close(ready[1]);
  char byte = 0;
  static_cast<void>(::read(ready[0], &byte, 1));
  ::waitpid(child, nullptr, 0);
  say("parent exits");
  return 0;
}

int ignore_term(const Args&) {
  ::signal(SIGTERM, SIG_IGN);
  if (::fork() == 0) sleep_forever();  // a child that ignores it too
  say("ready " + identity());
  sleep_forever();
}

int kill_everyone(const Args&) {
  if (::fork() == 0) sleep_forever();
  say("kill(-1, SIGKILL): " + outcome(::kill(-1, SIGKILL)));
  ::wait(nullptr);
  say("still here");
  return 0;
}

int attack_host_process(const Args& args) {
  const auto pid = static_cast<pid_t>(number(args.at(0)));
  say("kill: " + outcome(::kill(pid, SIGKILL)));
  say("ptrace: " + outcome(::ptrace(PTRACE_ATTACH, pid, nullptr, nullptr)));
  say("pidfd_open: " + outcome(::syscall(SYS_pidfd_open, pid, 0)));
  return 0;
}

// Looks for SECRET in every process's environment it can see, and tries the
// host process's /proc entries by its host PID.
int read_host_proc(const Args& args) {
  const std::string& pid = args.at(0);
  const std::string& secret = args.at(1);
  int found = 0;
  const std::string self = std::to_string(::getpid());  // our own argv holds it, of course
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    if (entry.path().filename() == self || entry.path().filename() == "self" ||
        entry.path().filename() == "thread-self") {
      continue;
    }
    // Environments only: the secret is in the host process's, and also in our own argv and in
    // init's (a copy of isotest's command line, which the test knows anyway).
    std::ifstream in(entry.path() / "environ", std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.find(secret) != std::string::npos) ++found;
  }
  say("secret seen " + std::to_string(found) + " times");
  say("open /proc/PID/environ: " +
      outcome(::open(("/proc/" + pid + "/environ").c_str(), O_RDONLY | O_CLOEXEC)));
  return 0;
}

// Opens the file for writing; if that works, writes NEW_VALUE (so the suite sees it outside).
int write_file(const Args& args) {
  const int fd = ::open(args.at(0).c_str(), O_WRONLY | O_CLOEXEC);
  say("open " + args.at(0) + ": " + outcome(fd));
  if (fd < 0) return 0;
  say("write: " + outcome(::write(fd, args.at(1).data(), args.at(1).size())));
  ::close(fd);
  return 0;
}

// Opens for writing and never writes: a successful open is already the escape.
int open_for_writing(const Args& args) {
  const int fd = ::open(args.at(0).c_str(), O_WRONLY | O_CLOEXEC);
  say("open " + args.at(0) + ": " + outcome(fd));
  if (fd >= 0) ::close(fd);
  return 0;
}

int mount_over(const Args& args) {
  const std::string& dir = args.at(0);
  say("mount tmpfs: " + outcome(::mount("tmpfs", dir.c_str(), "tmpfs", 0, nullptr)));
  say("create " + dir + "/escaped: " +
      outcome(::open((dir + "/escaped").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644)));
  return 0;
}

// Every way to change a host file: truncate, append, remove, rename, chmod.
int tamper(const Args& args) {
  const std::string& file = args.at(0);
  say("truncate: " + outcome(::open(file.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC)));
  say("append: " + outcome(::open(file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC)));
  say("chmod: " + outcome(::chmod(file.c_str(), 0777)));
  say("rename: " + outcome(::rename(file.c_str(), (file + ".moved").c_str())));
  say("unlink: " + outcome(::unlink(file.c_str())));
  say("create beside: " +
      outcome(::open((file + ".new").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644)));
  return 0;
}

// The directory of the v1 or v2 cgroup holding this process, found by its PID in cgroup.procs
// (the cgroup namespace hides the path).
std::string own_cgroup_directory(const std::string& root) {
  const std::string self = std::to_string(::getpid());
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(root, error);
       it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (error || it.depth() > 4) continue;
    if (it->path().filename() != "cgroup.procs") continue;
    std::ifstream in(it->path());
    for (std::string line; std::getline(in, line);) {
      if (line == self) return it->path().parent_path().string();
    }
  }
  return root;
}

int raise_limits(const Args&) {
  const std::string pids = own_cgroup_directory("/sys/fs/cgroup/pids");
  const std::string memory = own_cgroup_directory("/sys/fs/cgroup/memory");
  auto try_write = [](const std::string& path, const char* value) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return outcome(fd);
    const long written = ::write(fd, value, std::strlen(value));
    ::close(fd);
    return outcome(written);
  };
  say("pids.max: " + try_write(pids + "/pids.max", "max"));
  say("memory.limit_in_bytes: " + try_write(memory + "/memory.limit_in_bytes", "-1"));
  say("mkdir: " + outcome(::mkdir((pids + "/escape").c_str(), 0755)));
  say("remount rw: " +
      outcome(::mount(nullptr, "/sys/fs/cgroup", nullptr, MS_REMOUNT | MS_BIND, nullptr)));
  say("ready " + identity());
  hold_until_stdin_closes();
  return 0;
}

int change_hostname(const Args& args) {
  say("sethostname: " + outcome(::sethostname(args.at(0).data(), args.at(0).size())));
  return 0;
}

int flood(const Args& args) {
  const long long total = number(args.at(0));
  static char block[1 << 16];
  std::memset(block, 'x', sizeof block);
  for (long long left = total; left > 0;) {
    const auto size = static_cast<std::size_t>(std::min<long long>(left, sizeof block));
    const ssize_t written = ::write(STDOUT_FILENO, block, size);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return 1;
    left -= written;
  }
  return 0;
}

int close_stdio(const Args&) {
  ::close(STDIN_FILENO);
  ::close(STDOUT_FILENO);
  ::close(STDERR_FILENO);
  if (::fork() == 0) sleep_forever();  // a child holding nothing either
  return 0;
}

int stop_self(const Args&) {
  say("stopping " + identity());
  ::raise(SIGSTOP);
  say("continued");
  sleep_forever();
}

int attack_init(const Args&) {
  say("kill(1, SIGKILL): " + outcome(::kill(1, SIGKILL)));
  say("kill(1, SIGTERM): " + outcome(::kill(1, SIGTERM)));
  say("kill(1, SIGSTOP): " + outcome(::kill(1, SIGSTOP)));
  say("ptrace(1): " + outcome(::ptrace(PTRACE_ATTACH, 1, nullptr, nullptr)));
  ::usleep(200 * 1000);  // give a delivered signal time to act
  say("init still there: " + outcome(::kill(1, 0)));
  return 0;
}

// Calls the seccomp filter refuses, each harmless even if it were let through: they query, or
// fail on their arguments, or need capabilities the test does not have.
int refused_calls(const Args&) {
  say("keyctl: " + outcome(::syscall(SYS_keyctl, 0, -3, 0)));
  unsigned map[32] = {2, 4, 4, 1};  // BPF_MAP_CREATE of a one-entry array
  say("bpf: " + outcome(::syscall(SYS_bpf, 0, map, sizeof map)));
  char attr[128] = {};
  const unsigned size = sizeof attr;
  std::memcpy(attr + 4, &size, sizeof size);
  say("perf_event_open: " + outcome(::syscall(SYS_perf_event_open, attr, 0, -1, -1, 0)));
  say("userfaultfd: " + outcome(::syscall(SYS_userfaultfd, O_CLOEXEC | 1)));
  say("init_module: " + outcome(::syscall(SYS_init_module, nullptr, 0, "")));
  say("kexec_load: " + outcome(::syscall(SYS_kexec_load, 0, 0, nullptr, 0)));
  say("settimeofday: " + outcome(::syscall(SYS_settimeofday, nullptr, nullptr)));
  say("vsock: " + outcome(::socket(40, SOCK_STREAM | SOCK_CLOEXEC, 0)));
  say("done");
  return 0;
}

struct Subcommand {
  std::size_t arg_count;
  std::function<int(const Args&)> run;
};

const std::map<std::string, Subcommand>& subcommands() {
  static const std::map<std::string, Subcommand> kSubcommands = {
      {"fork-bomb", {0, fork_bomb}},
      {"memory-bomb", {0, memory_bomb}},
      {"daemon", {0, daemon}},
      {"ignore-term", {0, ignore_term}},
      {"kill-everyone", {0, kill_everyone}},
      {"attack-host-process", {1, attack_host_process}},
      {"read-host-proc", {2, read_host_proc}},
      {"write-file", {2, write_file}},
      {"open-for-writing", {1, open_for_writing}},
      {"mount-over", {1, mount_over}},
      {"tamper", {1, tamper}},
      {"raise-limits", {0, raise_limits}},
      {"change-hostname", {1, change_hostname}},
      {"flood", {1, flood}},
      {"close-stdio", {0, close_stdio}},
      {"stop-self", {0, stop_self}},
      {"attack-init", {0, attack_init}},
      {"refused-calls", {0, refused_calls}},
      // Not an escape: the host process the suite attacks. Prints its pid, then sleeps.
      {"sleep",
       {0,
        [](const Args&) {
          say("ready " + identity());
          sleep_forever();
          return 0;
        }}},
  };
  return kSubcommands;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: isotest_escapee TAG SUBCOMMAND [ARGS...]\n");
    return 2;
  }
  auto found = subcommands().find(argv[2]);
  const Args args(argv + 3, argv + argc);
  if (found == subcommands().end() || args.size() != found->second.arg_count) {
    std::fprintf(stderr, "isotest_escapee: unknown subcommand or wrong arguments: %s\n", argv[2]);
    return 2;
  }
  return found->second.run(args);
}
