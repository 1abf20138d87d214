// isotest_probe: what the integration tests run inside the sandbox. Each subcommand does one
// observable thing and prints what it saw, so the tests judge isolation by observation rather
// than by trusting isotest's own report. Subcommands that must stay alive while the test looks
// from outside print one line and then hold until their stdin reaches end of file.
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

namespace {

using Args = std::vector<std::string>;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "isotest_probe: %s: %s\n", what.c_str(), strerrorname_np(errno));
  std::exit(1);
}

long number(const std::string& text) {
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0') {
    std::fprintf(stderr, "isotest_probe: not a number: %s\n", text.c_str());
    std::exit(2);
  }
  return value;
}

std::string read_link(const std::string& path) {
  std::error_code error;
  auto target = std::filesystem::read_symlink(path, error);
  return error ? "?" : target.string();
}

// Identifies this process from outside: the PID namespace and the PID inside it.
std::string identity(pid_t pid) {
  return "pid=" + std::to_string(pid) + " pidns=" + read_link("/proc/self/ns/pid");
}

void say(const std::string& line) {
  std::cout << line << std::endl;  // flushed: the test waits for this line
}

// The test closes our stdin to let us go; a dead test closes it too, so we never outlive it.
int hold_until_stdin_closes() {
  char buffer[256];
  while (true) {
    const ssize_t got = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (got == 0 || (got < 0 && errno != EINTR)) return 0;
  }
}

[[noreturn]] void sleep_forever() {
  while (true) ::pause();
}

void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) die("write");
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
}

int exit_with(const Args& args) {
  return static_cast<int>(number(args.at(0)));
}

int kill_self(const Args& args) {
  const int sig = static_cast<int>(number(args.at(0)));
  rlimit no_core{0, 0};  // a core file must not land in the working directory
  ::setrlimit(RLIMIT_CORE, &no_core);
  ::signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
  ::raise(sig);
  return 1;
}

int print_namespaces(const Args&) {
  for (const char* name : {"user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time"}) {
    std::cout << name << " " << read_link(std::string("/proc/self/ns/") + name) << "\n";
  }
  return 0;
}

int print_pids(const Args&) {
  std::vector<long> pids;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (std::all_of(name.begin(), name.end(), ::isdigit)) pids.push_back(std::stol(name));
  }
  std::sort(pids.begin(), pids.end());
  std::cout << "pids";
  for (long pid : pids) std::cout << " " << pid;
  std::cout << "\n";
  return 0;
}

int send_signal(const Args& args) {
  const auto pid = static_cast<pid_t>(number(args.at(0)));
  if (::kill(pid, static_cast<int>(number(args.at(1)))) == 0) {
    say("kill " + args.at(0) + ": ok");
    return 0;
  }
  say("kill " + args.at(0) + ": " + strerrorname_np(errno));
  return 1;
}

std::string nodename() {
  utsname names{};
  ::uname(&names);
  return names.nodename;
}

int print_hostname(const Args&) {
  say(nodename());
  return 0;
}

int set_hostname(const Args& args) {
  if (::sethostname(args.at(0).data(), args.at(0).size()) != 0) die("sethostname");
  say(nodename());
  return 0;
}

int create_shm(const Args& args) {
  const auto key = static_cast<key_t>(number(args.at(0)));
  const int id = ::shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
  if (id < 0) die("shmget create");
  if (::shmget(key, 0, 0) != id) die("shmget lookup");
  say("shm id=" + std::to_string(id) + " key=" + args.at(0));
  return hold_until_stdin_closes();
}

int hold_port(const Args& args) {
  const int sock = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) die("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(number(args.at(0))));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(sock, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) die("bind");
  if (::listen(sock, 1) != 0) die("listen");
  say("bound 127.0.0.1:" + args.at(0));
  return hold_until_stdin_closes();
}

int print_interfaces(const Args&) {
  const int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) die("socket");
  struct if_nameindex* names = ::if_nameindex();
  if (names == nullptr) die("if_nameindex");
  for (struct if_nameindex* entry = names; entry->if_index != 0; ++entry) {
    ifreq request{};
    std::strncpy(request.ifr_name, entry->if_name, IFNAMSIZ - 1);
    if (::ioctl(sock, SIOCGIFFLAGS, &request) != 0) die("SIOCGIFFLAGS");
    std::cout << "interface " << entry->if_name << " "
              << ((request.ifr_flags & IFF_UP) != 0 ? "up" : "down") << "\n";
  }
  ::if_freenameindex(names);
  ::close(sock);
  std::ifstream routes("/proc/net/route");
  std::string line;
  std::getline(routes, line);  // column headings
  while (std::getline(routes, line)) std::cout << "route " << line << "\n";
  return 0;
}

int print_ids(const Args&) {
  std::cout << "uid=" << ::getuid() << " euid=" << ::geteuid() << " gid=" << ::getgid()
            << " egid=" << ::getegid() << "\n";
  return 0;
}

int print_environment(const Args&) {
  for (char** entry = environ; *entry != nullptr; ++entry) std::cout << *entry << "\n";
  return 0;
}

int print_working_directory(const Args&) {
  say(std::filesystem::current_path().string());
  return 0;
}

double clock_seconds(clockid_t clock) {
  timespec now{};
  ::clock_gettime(clock, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

int print_clocks(const Args&) {
  double uptime = 0;
  std::ifstream("/proc/uptime") >> uptime;
  std::printf("uptime %.3f\nmonotonic %.3f\nboottime %.3f\n", uptime,
              clock_seconds(CLOCK_MONOTONIC), clock_seconds(CLOCK_BOOTTIME));
  return 0;
}

// Alternates 64 KiB chunks on stdout and stderr, so a reader that drains one stream while
// ignoring the other deadlocks.
int flood(const Args& args) {
  const auto stdout_bytes = static_cast<std::size_t>(number(args.at(0)));
  const auto stderr_bytes = static_cast<std::size_t>(number(args.at(1)));
  std::string chunk(64 * 1024, 'x');
  chunk.back() = '\n';
  std::size_t left[2] = {stdout_bytes, stderr_bytes};
  while (left[0] + left[1] > 0) {
    for (int stream = 0; stream < 2; ++stream) {
      const std::size_t size = std::min(left[stream], chunk.size());
      write_all(stream == 0 ? STDOUT_FILENO : STDERR_FILENO,
                std::string_view(chunk).substr(0, size));
      left[stream] -= size;
    }
  }
  return 0;
}

// Bytes that are not UTF-8: a stray continuation byte, an overlong encoding, a truncated
// sequence, 0xff, and a NUL, between plain ASCII the test looks for.
constexpr char kInvalidUtf8[] = "begin \x80 \xc0\xaf \xe2\x82 \xff \0 end\n";

int print_invalid_utf8(const Args&) {
  const std::string_view bytes(kInvalidUtf8, sizeof kInvalidUtf8 - 1);
  write_all(STDOUT_FILENO, bytes);
  write_all(STDERR_FILENO, bytes);
  return 0;
}

// Double fork and setsid: the daemon is nobody's child, in its own session, with no fds, so only
// the PID namespace can take it down. It reports its PID through a file, as daemons do; we relay
// that to stdout (it has no stdout) and hold until the test has looked.
int daemonize(const Args& args) {
  const std::string pid_file = args.at(0);
  const pid_t child = ::fork();
  if (child < 0) die("fork");
  if (child == 0) {
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    ::close_range(0, UINT_MAX, 0);
    const std::string temporary = pid_file + ".tmp";
    {
      std::ofstream out(temporary);
      out << ::getpid() << "\n";
    }
    ::rename(temporary.c_str(), pid_file.c_str());
    sleep_forever();
  }
  ::waitpid(child, nullptr, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  long daemon_pid = 0;
  while (!(std::ifstream(pid_file) >> daemon_pid)) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "isotest_probe: the daemon never wrote %s\n", pid_file.c_str());
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  say("daemon " + identity(static_cast<pid_t>(daemon_pid)));
  return hold_until_stdin_closes();
}

int sleep_reporting(const Args&) {
  say("ready " + identity(::getpid()));
  sleep_forever();
}

int ignore_term(const Args&) {
  ::signal(SIGTERM, SIG_IGN);
  say("ready " + identity(::getpid()));
  sleep_forever();
}

void exit_zero_on_term(int) {
  constexpr char kMessage[] = "got SIGTERM\n";
  [[maybe_unused]] auto written = ::write(STDOUT_FILENO, kMessage, sizeof kMessage - 1);
  ::_exit(0);
}

int exit_on_term(const Args&) {
  ::signal(SIGTERM, exit_zero_on_term);
  say("ready " + identity(::getpid()));
  sleep_forever();
}

// Touches every page, so the memory is really charged (to the cgroup too), not just reserved.
// An allocation over --memory never gets to print.
int touch_memory(const Args& args) {
  const auto bytes = static_cast<std::size_t>(number(args.at(0))) << 20;
  void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) die("mmap");
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  auto* bytes_at = static_cast<volatile char*>(memory);
  for (std::size_t offset = 0; offset < bytes; offset += page) bytes_at[offset] = 1;
  say("touched " + args.at(0) + " MB " + identity(::getpid()));
  return hold_until_stdin_closes();
}

// Forks until the kernel refuses (pids.max), at most kMaxForks times. The children only sleep,
// then exit, so the bomb ends by itself even where nothing limits it.
int fork_bomb(const Args&) {
  constexpr int kMaxForks = 5000;
  constexpr unsigned kChildSleepSeconds = 30;
  say("ready " + identity(::getpid()));
  for (int forked = 0; forked < kMaxForks; ++forked) {
    const pid_t child = ::fork();
    if (child == 0) {
      ::sleep(kChildSleepSeconds);
      ::_exit(0);
    }
    if (child < 0) {
      say("fork refused after " + std::to_string(forked) + " forks: " + strerrorname_np(errno));
      // Not a normal exit: the sleepers still fill pids.max, and exit handlers may need a new
      // task (LeakSanitizer's does). Leaving them to the sandbox is the point of the test.
      ::_exit(0);
    }
  }
  say("fork never refused in " + std::to_string(kMaxForks) + " forks");
  return 1;
}

double cpu_time_ms() {
  timespec used{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &used);
  return static_cast<double>(used.tv_sec) * 1e3 + static_cast<double>(used.tv_nsec) / 1e6;
}

// Spins for SECONDS of wall time, reports how much of it this process was on a CPU, then holds
// so that the test can read the cgroup's figures before the sandbox goes away.
int busy(const Args& args) {
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::seconds(number(args.at(0)));
  while (std::chrono::steady_clock::now() < end) {
  }
  const std::chrono::duration<double, std::milli> wall = std::chrono::steady_clock::now() - start;
  say("wall_ms " + std::to_string(std::llround(wall.count())));
  say("cpu_ms " + std::to_string(std::llround(cpu_time_ms())));
  say("done " + identity(::getpid()));
  return hold_until_stdin_closes();
}

// NoNewPrivs, the capability sets and the seccomp mode, as /proc/self/status shows them.
int print_privileges(const Args&) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("Cap") || line.starts_with("NoNewPrivs") || line.starts_with("Seccomp:")) {
      std::replace(line.begin(), line.end(), '\t', ' ');
      line.erase(line.find(':'), 1);
      say(line);
    }
  }
  return 0;
}

// The open fds, except the one the listing itself uses.
int print_fds(const Args&) {
  std::vector<int> fds;
  for (int fd = 0; fd < 1024; ++fd) {
    if (::fcntl(fd, F_GETFD) >= 0) fds.push_back(fd);
  }
  std::string line = "fds";
  for (int fd : fds) line += " " + std::to_string(fd);
  say(line);
  return 0;
}

// One call the default seccomp filter refuses, made harmlessly: reads or creations that change
// nothing outside the process. Prints `NAME: ok` or `NAME: ERRNO`.
int refused_call(const Args& args) {
  const std::string& name = args.at(0);
  long result = -1;
  if (name == "keyctl") {
    result = ::syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0);
  } else if (name == "add_key") {
    result = ::syscall(SYS_add_key, "user", "isotest-probe", "x", 1, -3);
  } else if (name == "bpf") {
    union {
      struct {
        unsigned map_type, key_size, value_size, max_entries;
      } map;
      char bytes[128];
    } attr{};
    attr.map = {2 /* BPF_MAP_TYPE_ARRAY */, 4, 4, 1};
    result = ::syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, &attr, sizeof attr);
  } else if (name == "perf_event_open") {
    char attr[128] = {};
    unsigned size = sizeof attr;
    std::memcpy(attr + 4, &size, sizeof size);  // type 0 (hardware), config 0 (cycles)
    result = ::syscall(SYS_perf_event_open, attr, 0, -1, -1, 0);
  } else if (name == "userfaultfd") {
    result = ::syscall(SYS_userfaultfd, O_CLOEXEC | 1 /* UFFD_USER_MODE_ONLY */);
  } else if (name == "vsock") {
    result = ::socket(40 /* AF_VSOCK */, SOCK_STREAM, 0);
  } else {
    std::fprintf(stderr, "isotest_probe: no harmless way to call %s\n", name.c_str());
    return 2;
  }
  say(name + ": " + (result >= 0 ? std::string("ok") : strerrorname_np(errno)));
  return 0;
}

// Opens PATH for writing (never writes), prints `PATH: ok` or `PATH: ERRNO`.
int open_for_writing(const Args& args) {
  const int fd = ::open(args.at(0).c_str(), O_WRONLY | O_CLOEXEC);
  say(args.at(0) + ": " + (fd >= 0 ? std::string("ok") : strerrorname_np(errno)));
  if (fd >= 0) ::close(fd);
  return 0;
}

// Whether the mount holding PATH is read-only (statvfs ST_RDONLY), as `PATH: ro` or `PATH: rw`.
int print_mount_flags(const Args& args) {
  struct statvfs info {};
  if (::statvfs(args.at(0).c_str(), &info) != 0) die("statvfs " + args.at(0));
  say(args.at(0) + ": " + ((info.f_flag & ST_RDONLY) != 0 ? "ro" : "rw"));
  return 0;
}

sockaddr_in loopback(const std::string& port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(number(port)));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

int connect_to(const std::string& port) {
  const int sock = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) die("socket");
  const sockaddr_in address = loopback(port);
  if (::connect(sock, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    die("connect 127.0.0.1:" + port);
  }
  return sock;
}

int listen_on(const std::string& port) {
  const int sock = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) die("socket");
  const int on = 1;
  ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  const sockaddr_in address = loopback(port);
  if (::bind(sock, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) die("bind");
  if (::listen(sock, 4) != 0) die("listen");
  return sock;
}

std::string read_to_end(int sock) {
  std::string text;
  char buffer[65536];
  ssize_t got = 0;
  while ((got = ::read(sock, buffer, sizeof buffer)) > 0) text.append(buffer, got);
  return text;
}

// Connects to 127.0.0.1:PORT, sends TEXT and a newline, half-closes, prints `reply TEXT`.
int tcp_request(const Args& args) {
  const int sock = connect_to(args.at(0));
  const std::string line = args.at(1) + "\n";
  write_all(sock, line);
  ::shutdown(sock, SHUT_WR);
  std::string reply = read_to_end(sock);
  ::close(sock);
  while (!reply.empty() && reply.back() == '\n') reply.pop_back();
  say("reply " + reply);
  return 0;
}

// A server on 127.0.0.1:PORT and a client in one process: the client sends BYTES, the server
// counts them; prints `bulk BYTES ms=N`, the time from connect to the server's end of file.
int tcp_bulk(const Args& args) {
  const int server = listen_on(args.at(0));
  const auto bytes = static_cast<std::size_t>(number(args.at(1)));
  std::size_t received = 0;
  std::thread receiver([&] {
    const int connection = ::accept(server, nullptr, nullptr);
    received = read_to_end(connection).size();
    ::close(connection);
  });
  const auto started = std::chrono::steady_clock::now();
  const int client = connect_to(args.at(0));
  write_all(client, std::string(bytes, 'x'));
  ::close(client);
  receiver.join();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  say("bulk " + std::to_string(received) + " ms=" + std::to_string(ms));
  return received == bytes ? 0 : 1;
}

// A server: answers each connection's first line with `NAME LINE`, forever. Prints `serving`.
int tcp_serve(const Args& args) {
  const int server = listen_on(args.at(0));
  say("serving " + args.at(1));
  while (true) {
    const int connection = ::accept(server, nullptr, nullptr);
    if (connection < 0) continue;
    std::string line = read_to_end(connection);
    while (!line.empty() && line.back() == '\n') line.pop_back();
    write_all(connection, args.at(1) + " " + line + "\n");
    ::close(connection);
  }
}

// COUNT one-byte round trips to an echo server of its own on PORT; prints `rtt min_ms=X`.
int tcp_round_trips(const Args& args) {
  const int server = listen_on(args.at(0));
  const long count = number(args.at(1));
  std::thread echo([&] {
    const int connection = ::accept(server, nullptr, nullptr);
    char byte = 0;
    while (::read(connection, &byte, 1) == 1) write_all(connection, std::string(1, byte));
    ::close(connection);
  });
  const int client = connect_to(args.at(0));
  double fastest = 1e9;
  for (long i = 0; i < count; ++i) {
    const auto started = std::chrono::steady_clock::now();
    write_all(client, "p");
    char byte = 0;
    if (::read(client, &byte, 1) != 1) die("read echo");
    fastest = std::min(fastest, std::chrono::duration<double, std::milli>(
                                    std::chrono::steady_clock::now() - started)
                                    .count());
  }
  ::close(client);
  echo.join();
  say("rtt min_ms=" + std::to_string(fastest));
  return 0;
}

// COUNT datagrams from a client socket to an echo server of its own on PORT, all sent at once;
// the server echoes what reaches it. Ends when every echo is back or after 2 s without one
// (loss shows as silence). Prints `udp sent=N received=M`: each datagram crossed lo twice.
int udp_echo(const Args& args) {
  const int server = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const int client = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (server < 0 || client < 0) die("socket");
  const sockaddr_in address = loopback(args.at(0));
  if (::bind(server, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    die("bind");
  }
  if (::connect(client, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    die("connect");
  }
  const long count = number(args.at(1));
  long sent = 0;
  for (long i = 0; i < count; ++i) {
    const std::string datagram = "datagram " + std::to_string(i);
    if (::send(client, datagram.data(), datagram.size(), 0) >= 0) ++sent;
  }
  long received = 0;
  pollfd sockets[2] = {{.fd = server, .events = POLLIN, .revents = 0},
                       {.fd = client, .events = POLLIN, .revents = 0}};
  while (received<sent&& ::poll(sockets, 2, 2000)> 0) {
    char buffer[64];
    sockaddr_in peer{};
    socklen_t peer_size = sizeof peer;
    const ssize_t got = ::recvfrom(server, buffer, sizeof buffer, MSG_DONTWAIT,
                                   reinterpret_cast<sockaddr*>(&peer), &peer_size);
    if (got > 0) {
      ::sendto(server, buffer, static_cast<std::size_t>(got), 0,
               reinterpret_cast<const sockaddr*>(&peer), peer_size);
    }
    if (::recv(client, buffer, sizeof buffer, MSG_DONTWAIT) > 0) ++received;
  }
  ::close(client);
  ::close(server);
  say("udp sent=" + std::to_string(sent) + " received=" + std::to_string(received));
  return 0;
}

struct Subcommand {
  std::size_t arg_count;
  const char* usage;
  std::function<int(const Args&)> run;
};

const std::map<std::string, Subcommand>& subcommands() {
  static const std::map<std::string, Subcommand> kSubcommands = {
      {"exit", {1, "CODE: exit with CODE", exit_with}},
      {"kill-self", {1, "SIGNAL: die of SIGNAL (no core file)", kill_self}},
      {"namespaces", {0, ": print `NAME LINK` for each /proc/self/ns entry", print_namespaces}},
      {"pids", {0, ": print the PIDs in /proc", print_pids}},
      {"kill", {2, "PID SIGNAL: send SIGNAL to PID, print ok or the errno", send_signal}},
      {"hostname", {0, ": print the node name", print_hostname}},
      {"set-hostname", {1, "NAME: sethostname, then print the node name", set_hostname}},
      {"shm", {1, "KEY: create a SysV shm segment with KEY, hold", create_shm}},
      {"hold-port", {1, "PORT: bind and listen on 127.0.0.1:PORT, hold", hold_port}},
      {"tcp-request",
       {2, "PORT TEXT: send TEXT to 127.0.0.1:PORT, print `reply ...`", tcp_request}},
      {"tcp-serve", {2, "PORT NAME: answer each request with `NAME TEXT`, forever", tcp_serve}},
      {"tcp-bulk", {2, "PORT BYTES: send BYTES over lo to itself, print the time", tcp_bulk}},
      {"tcp-rtt", {2, "PORT COUNT: COUNT 1-byte round trips, print the fastest", tcp_round_trips}},
      {"udp-echo",
       {2, "PORT COUNT: COUNT datagrams echoed over lo, print `udp sent=N received=M`", udp_echo}},
      {"interfaces",
       {0, ": print interfaces with up/down, then /proc/net/route", print_interfaces}},
      {"ids", {0, ": print real and effective uid and gid", print_ids}},
      {"env", {0, ": print the environment", print_environment}},
      {"cwd", {0, ": print the working directory", print_working_directory}},
      {"clocks", {0, ": print /proc/uptime, CLOCK_MONOTONIC, CLOCK_BOOTTIME", print_clocks}},
      {"flood", {2, "STDOUT_BYTES STDERR_BYTES: write that much, interleaved", flood}},
      {"invalid-utf8",
       {0, ": print bytes that are not UTF-8 on stdout and stderr", print_invalid_utf8}},
      {"daemonize", {1, "PID_FILE: leak a setsid double-forked daemon, hold", daemonize}},
      {"sleep", {0, ": print `ready pid=N pidns=LINK`, sleep forever", sleep_reporting}},
      {"ignore-term", {0, ": like sleep, ignoring SIGTERM", ignore_term}},
      {"exit-on-term",
       {0, ": like sleep; on SIGTERM print `got SIGTERM` and exit 0", exit_on_term}},
      {"touch-memory",
       {1, "MB: allocate and touch MB MiB, print `touched MB MB pid=N pidns=LINK`, hold",
        touch_memory}},
      {"fork-bomb",
       {0, ": print `ready pid=N pidns=LINK`, fork sleepers until refused (at most 5000)",
        fork_bomb}},
      {"privileges",
       {0, ": print NoNewPrivs, the Cap* sets and Seccomp from /proc/self/status",
        print_privileges}},
      {"fds", {0, ": print `fds N...`, the open fds", print_fds}},
      {"refused-call",
       {1,
        "NAME: make a harmless keyctl, add_key, bpf, perf_event_open, userfaultfd or vsock "
        "call, print `NAME: ok` or the errno",
        refused_call}},
      {"open-write",
       {1, "PATH: open PATH for writing, print `PATH: ok` or the errno", open_for_writing}},
      {"mount-flags",
       {1, "PATH: print `PATH: ro` or `PATH: rw` for the mount holding PATH", print_mount_flags}},
      {"busy",
       {1, "SECONDS: spin, print `wall_ms N`, `cpu_ms N`, `done pid=N pidns=LINK`, hold", busy}},
  };
  return kSubcommands;
}

int usage() {
  std::fprintf(stderr, "usage: isotest_probe SUBCOMMAND [ARGS...]\n");
  for (const auto& [name, subcommand] : subcommands()) {
    std::fprintf(stderr, "  %s %s\n", name.c_str(), subcommand.usage);
  }
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  auto found = subcommands().find(argv[1]);
  if (found == subcommands().end()) return usage();
  const Args args(argv + 2, argv + argc);
  if (args.size() != found->second.arg_count) return usage();
  return found->second.run(args);
}
