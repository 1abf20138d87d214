#include "host_view.h"

#include <signal.h>
#include <sys/shm.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace isotest::integration {

namespace fs = std::filesystem;

TempDir::TempDir(const std::string& parent) {
  std::string pattern = parent + "/isotest-it.XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp " + pattern + ": " + std::strerror(errno));
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

std::string unique_name(const std::string& stem) {
  static std::atomic<int> counter{0};
  static const auto salt = std::random_device{}();
  return stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(salt % 100000) + "-" +
         std::to_string(counter++);
}

// A /proc file of a process that exits while it is read fails with ESRCH, which libstdc++'s
// filebuf reports by throwing even without an exception mask: what was read so far counts.
std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  try {
    text << in.rdbuf();
  } catch (const std::ios_base::failure&) {
  }
  return text.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

bool path_exists(const std::string& path) {
  std::error_code ignored;
  return fs::symlink_status(path, ignored).type() != fs::file_type::not_found;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::map<std::string, std::string> parse_name_value_lines(const std::string& text) {
  std::map<std::string, std::string> values;
  for (const auto& line : lines_of(text)) {
    const auto space = line.find(' ');
    if (space != std::string::npos) values[line.substr(0, space)] = line.substr(space + 1);
  }
  return values;
}

std::string host_namespace(const std::string& name) {
  std::error_code error;
  auto link = fs::read_symlink("/proc/self/ns/" + name, error);
  return error ? "unreadable: " + error.message() : link.string();
}

std::optional<SandboxedPid> parse_sandboxed_pid(const std::string& line) {
  const auto pid_at = line.find("pid=");
  const auto ns_at = line.find(" pidns=");
  if (pid_at == std::string::npos || ns_at == std::string::npos) return std::nullopt;
  SandboxedPid process;
  process.inner = static_cast<pid_t>(std::atol(line.c_str() + pid_at + 4));
  process.pid_namespace = line.substr(ns_at + 7);
  return process;
}

namespace {

std::optional<std::string> status_field(pid_t pid, const std::string& field) {
  for (const auto& line : lines_of(read_file("/proc/" + std::to_string(pid) + "/status"))) {
    if (line.starts_with(field + ":")) return line.substr(field.size() + 1);
  }
  return std::nullopt;
}

std::string pid_namespace_of(pid_t pid) {
  std::error_code error;
  auto link = fs::read_symlink("/proc/" + std::to_string(pid) + "/ns/pid", error);
  return error ? std::string() : link.string();
}

}  // namespace

std::optional<pid_t> find_host_pid(const SandboxedPid& process) {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto pid = static_cast<pid_t>(std::stol(name));
    auto nspid = status_field(pid, "NSpid");
    if (!nspid) continue;
    std::istringstream ids(*nspid);
    long last = -1;
    for (long id; ids >> id;) last = id;
    if (last == process.inner && pid_namespace_of(pid) == process.pid_namespace) return pid;
  }
  return std::nullopt;
}

bool process_running(pid_t host_pid, const std::string& pid_namespace) {
  auto state = status_field(host_pid, "State");
  if (!state) return false;
  if (state->find('Z') != std::string::npos || state->find('X') != std::string::npos) return false;
  // An unreadable namespace link means the PID now belongs to a stranger: not ours.
  return pid_namespace_of(host_pid) == pid_namespace;
}

std::vector<std::string> host_mounts() {
  std::vector<std::string> mounts;
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string id, parent, device, root, mount_point;
    fields >> id >> parent >> device >> root >> mount_point;
    mounts.push_back(id + " " + mount_point);
  }
  return mounts;
}

bool shm_key_exists(key_t key) {
  return ::shmget(key, 0, 0) >= 0 || errno != ENOENT;
}

char process_state(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto name_end = stat.rfind(')');
  return name_end == std::string::npos || name_end + 2 >= stat.size() ? '?' : stat[name_end + 2];
}

bool wait_until(const std::function<bool()>& condition, Milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

}  // namespace isotest::integration
