// Checks facts about the sandbox it runs in and exits 0 when all hold, or 1 saying which did
// not. Checks are separated by a lone "+", as in `probe hostname box + env A 1`. Checks:
//
//   hostname NAME          not-hostname NAME       env VAR VALUE        file-contains PATH TEXT
//   writable DIR           not-writable DIR        empty-dir DIR        cwd DIR
//   loopback-down          uptime-above SECONDS    fork-limited N       args-are A|B|C ARGS...
//   alloc-mib N            sleep SECONDS           print-bytes N        fail
//   serve PORT (listens on 127.0.0.1:PORT, accepts forever: a service)
//   accepts PORT (a connection to 127.0.0.1:PORT succeeds)
//
// It also passes for a GoogleTest binary with one case, Probe.InSandbox, which holds when the
// hostname is isotest's default: enough for gtest_discover_tests() and isotest_discover_tests().
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Words = std::span<char*>;

bool fail(const std::string& message) {
  std::cerr << "probe: " << message << "\n";
  return false;
}

std::string hostname() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

bool can_create_file_in(const std::string& dir) {
  const std::string path = dir + "/.probe-" + std::to_string(getpid());
  std::ofstream file(path);
  if (!file) return false;
  file.close();
  std::filesystem::remove(path);
  return true;
}

bool loopback_is_up() {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return false;
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  const bool up = ioctl(fd, SIOCGIFFLAGS, &request) == 0 && (request.ifr_flags & IFF_UP) != 0;
  close(fd);
  return up;
}

// True when the sandbox's task limit stops fork() before `count` children exist.
bool fork_is_limited(int count) {
  std::vector<pid_t> children;
  bool limited = false;
  for (int i = 0; i < count; ++i) {
    const pid_t child = fork();
    if (child < 0) {
      limited = errno == EAGAIN;
      break;
    }
    if (child == 0) {
      pause();
      _exit(0);
    }
    children.push_back(child);
  }
  for (pid_t child : children) {
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
  }
  return limited;
}

bool allocate_mib(long mib) {
  std::vector<std::vector<char>> blocks;
  for (long i = 0; i < mib; ++i) blocks.emplace_back(1 << 20, 'x');
  return true;
}

sockaddr_in loopback(const std::string& port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(std::stoi(port)));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

bool serve(const std::string& port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_in address = loopback(port);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      listen(fd, 16) != 0) {
    return fail("cannot listen on 127.0.0.1:" + port + ": " + std::strerror(errno));
  }
  while (true) {
    const int connection = accept(fd, nullptr, nullptr);
    if (connection >= 0) close(connection);
  }
}

bool accepts(const std::string& port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_in address = loopback(port);
  const bool connected =
      connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return connected;
}

bool check(Words words) {
  const std::string_view name = words[0];
  auto arg = [&](std::size_t index) { return std::string(words[index]); };
  if (name == "hostname") return hostname() == arg(1) || fail("hostname is " + hostname());
  if (name == "not-hostname") return hostname() != arg(1) || fail("hostname is " + arg(1));
  if (name == "env") {
    const char* value = std::getenv(words[1]);
    return (value && value == arg(2)) || fail(arg(1) + " is " + (value ? value : "unset"));
  }
  if (name == "file-contains") {
    std::ifstream file(arg(1));
    const std::string text{std::istreambuf_iterator<char>(file), {}};
    return text.find(arg(2)) != std::string::npos || fail(arg(1) + " holds `" + text + "`");
  }
  if (name == "writable") return can_create_file_in(arg(1)) || fail(arg(1) + " is read-only");
  if (name == "not-writable") return !can_create_file_in(arg(1)) || fail(arg(1) + " is writable");
  if (name == "empty-dir") {
    return std::filesystem::is_empty(arg(1)) || fail(arg(1) + " is not empty");
  }
  if (name == "cwd") {
    const auto cwd = std::filesystem::current_path().string();
    return cwd == arg(1) || fail("working directory is " + cwd);
  }
  if (name == "loopback-down") return !loopback_is_up() || fail("lo is up");
  if (name == "uptime-above") {
    timespec now{};
    clock_gettime(CLOCK_BOOTTIME, &now);
    return now.tv_sec > std::stol(arg(1)) || fail("uptime is " + std::to_string(now.tv_sec));
  }
  if (name == "fork-limited") return fork_is_limited(std::stoi(arg(1))) || fail("fork not limited");
  if (name == "args-are") {
    std::string joined;
    for (std::size_t i = 2; i < words.size(); ++i) joined += (i > 2 ? "|" : "") + arg(i);
    return joined == arg(1) || fail("arguments are `" + joined + "`, expected `" + arg(1) + "`");
  }
  if (name == "alloc-mib") return allocate_mib(std::stol(arg(1)));
  if (name == "sleep") return sleep(static_cast<unsigned>(std::stoul(arg(1)))) == 0;
  if (name == "print-bytes") {
    std::cout << std::string(std::stoul(arg(1)), 'p') << std::endl;
    return true;
  }
  if (name == "fail") return fail("failing as asked");
  if (name == "serve") return serve(arg(1));
  if (name == "accepts") return accepts(arg(1)) || fail("nothing accepts on 127.0.0.1:" + arg(1));
  return fail("unknown check " + std::string(name));
}

}  // namespace

int main(int argc, char** argv) {
  Words words(argv + 1, static_cast<std::size_t>(argc - 1));
  if (!words.empty() && std::string_view(words[0]) == "--gtest_list_tests") {
    std::cout << "Probe.\n  InSandbox\n";
    return 0;
  }
  if (!words.empty() && std::string_view(words[0]).starts_with("--gtest_filter=")) {
    return hostname() == "isotest" ? 0 : (fail("hostname is " + hostname()), 1);
  }
  bool all_hold = true;
  while (!words.empty()) {
    std::size_t end = 0;
    while (end < words.size() && std::string_view(words[end]) != "+") ++end;
    all_hold = check(words.first(end)) && all_hold;
    words = words.subspan(end == words.size() ? end : end + 1);
  }
  return all_hold ? 0 : 1;
}
