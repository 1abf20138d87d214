#include "cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>

#include "mountinfo.h"
#include "unique_dir.h"
#include "unique_fd.h"

namespace isotest {

namespace {

constexpr std::string_view kNamePrefix = "isotest-";

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  while (true) {
    auto at = text.find(separator);
    parts.emplace_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

// Field 22 of /proc/PID/stat: start time in clock ticks since boot. With the pid it names a
// process uniquely, even after the pid is reused.
std::optional<std::uint64_t> process_start_time(const std::string& pid) {
  auto stat = read_cgroup_file("/proc/" + pid + "/stat");
  if (!stat) return std::nullopt;
  auto after_comm = stat->rfind(')');  // the command name may itself contain spaces or ')'
  if (after_comm == std::string::npos) return std::nullopt;
  std::istringstream fields(stat->substr(after_comm + 2));
  std::string field;
  for (int index = 3; index <= 22 && fields >> field; ++index) {
    if (index == 22) return parse_cgroup_number(field);
  }
  return std::nullopt;
}

std::string own_start_time() {
  static const std::string start =
      std::to_string(process_start_time(std::to_string(::getpid())).value_or(0));
  return start;
}

std::string join_path(const std::string& mount_point, const std::string& mount_root,
                      const std::string& path) {
  std::string relative = path;
  if (mount_root != "/" && relative.starts_with(mount_root)) relative.erase(0, mount_root.size());
  if (relative == "/") relative.clear();
  return mount_point + relative;
}

bool is_resource_controller(std::string_view name) {
  return name == "memory" || name == "pids" || name == "cpu" || name == "cpuacct" ||
         name == "freezer";
}

}  // namespace

std::optional<std::uint64_t> parse_cgroup_number(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

int write_cgroup_file(const std::string& path, std::string_view text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return errno;
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return errno != 0 ? errno : EIO;
  }
  return 0;
}

bool swap_is_active() {
  auto swaps = read_cgroup_file("/proc/swaps").value_or("");
  return std::count(swaps.begin(), swaps.end(), '\n') > 1;  // a header line, then areas
}

std::optional<std::string> read_cgroup_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
  std::string text;
  char buffer[4096];
  ssize_t got = 0;
  while ((got = ::read(fd.get(), buffer, sizeof buffer)) > 0) {
    text.append(buffer, static_cast<std::size_t>(got));
  }
  if (got < 0) return std::nullopt;
  return text;
}

void CgroupFiles::open(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.valid()) files_.emplace_back(path, std::move(fd));
}

std::optional<std::string> CgroupFiles::read(const std::string& path) const {
  for (const auto& [opened, fd] : files_) {
    if (opened != path) continue;
    std::string text;
    char buffer[4096];
    ssize_t got = 0;
    while ((got = ::pread(fd.get(), buffer, sizeof buffer, static_cast<off_t>(text.size()))) > 0) {
      text.append(buffer, static_cast<std::size_t>(got));
    }
    if (got < 0) return std::nullopt;
    return text;
  }
  return read_cgroup_file(path);
}

std::vector<pid_t> cgroup_processes(const std::string& dir) {
  return parse_pids(read_cgroup_file(dir + "/cgroup.procs").value_or(""));
}

std::vector<pid_t> parse_pids(std::string_view text) {
  std::vector<pid_t> pids;
  std::string_view rest = text;
  while (!rest.empty()) {
    auto end = rest.find('\n');
    if (auto pid = parse_cgroup_number(rest.substr(0, end))) {
      pids.push_back(static_cast<pid_t>(*pid));
    }
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return pids;
}

std::optional<std::uint64_t> cgroup_key_value(const std::string& text, std::string_view key) {
  std::string_view rest = text;
  while (!rest.empty()) {
    auto end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ' ') {
      return parse_cgroup_number(line.substr(key.size() + 1));
    }
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return std::nullopt;
}

std::string next_cgroup_name() {
  static std::atomic<unsigned> counter{0};
  return std::string(kNamePrefix) + std::to_string(::getpid()) + "-" + own_start_time() + "-" +
         std::to_string(counter++);
}

bool is_stale_cgroup_name(std::string_view name) {
  if (!name.starts_with(kNamePrefix)) return false;
  auto parts = split(name.substr(kNamePrefix.size()), '-');
  if (parts.size() != 3 || !parse_cgroup_number(parts[0]) || !parse_cgroup_number(parts[1])) {
    return false;  // not ours, or not in our naming scheme: leave it alone
  }
  // Our own cgroup (the scan runs once it exists) is known without reading /proc.
  auto start = parts[0] == std::to_string(::getpid()) ? parse_cgroup_number(own_start_time())
                                                      : process_start_time(parts[0]);
  return !start || *start != parse_cgroup_number(parts[1]);
}

void for_each_stale_cgroup(const std::string& parent, void (*remove)(const std::string& dir)) {
  std::vector<std::string> stale;
  {
    const UniqueDir dir(::opendir(parent.c_str()));
    if (!dir) return;
    while (const dirent* entry = ::readdir(dir.get())) {
      if (entry->d_type == DT_DIR && is_stale_cgroup_name(entry->d_name)) {
        stale.emplace_back(parent + "/" + entry->d_name);
      }
    }
  }
  for (const auto& path : stale) remove(path);
}

CgroupHost detect_cgroup_host() {
  CgroupHost host;
  // /proc/self/cgroup: "ID:controller,controller:path", and "0::path" for the unified hierarchy.
  std::vector<std::pair<std::vector<std::string>, std::string>> memberships;
  std::string unified_path;
  {
    std::ifstream in("/proc/self/cgroup");
    for (std::string line; std::getline(in, line);) {
      auto parts = split(line, ':');
      if (parts.size() < 3) continue;
      std::string path = line.substr(parts[0].size() + parts[1].size() + 2);
      if (parts[1].empty()) {
        unified_path = path;
      } else {
        memberships.emplace_back(split(parts[1], ','), path);
      }
    }
  }
  for (const MountInfoEntry& mount : read_mountinfo()) {
    if (mount.fstype == "cgroup2" && !host.unified && !unified_path.empty()) {
      host.unified =
          CgroupHierarchy{{}, join_path(mount.mount_point, mount.root, unified_path), unified_path};
      continue;
    }
    if (mount.fstype != "cgroup") continue;
    std::vector<std::string> controllers;
    for (auto& option : split(mount.super_options, ',')) {
      if (is_resource_controller(option)) controllers.push_back(option);
    }
    if (controllers.empty()) continue;
    for (const auto& [member_of, path] : memberships) {
      bool same = false;
      for (const auto& controller : member_of) {
        if (controller == controllers.front()) same = true;
      }
      if (!same) continue;
      host.v1.push_back(
          CgroupHierarchy{controllers, join_path(mount.mount_point, mount.root, path), path});
      break;
    }
  }
  return host;
}

std::vector<std::string> requested_limits(const CgroupLimits& limits) {
  std::vector<std::string> requested;
  if (limits.memory_max_bytes) requested.emplace_back("memory");
  if (limits.pids_max) requested.emplace_back("pids");
  if (limits.cpus) requested.emplace_back("cpus");
  return requested;
}

std::string limit_options(const std::vector<std::string>& limits) {
  std::string options;
  for (const auto& limit : limits) options += (options.empty() ? "--" : ", --") + limit;
  return options;
}

CgroupSetup create_sandbox_cgroup(const CgroupLimits& limits) {
  // Once per process: `isotest gtest` creates one cgroup per case, and reading /proc/self/cgroup
  // and mountinfo each time cost the runner allocations all over its heap (bench/README.md). On
  // v2 the launcher may have moved itself into its leaf since; create_v2_cgroup reads the leaf
  // as its parent, the base found here.
  static const CgroupHost host = detect_cgroup_host();
  // A hybrid host binds memory, pids and cpu to v1 hierarchies and leaves the unified one
  // without controllers, so v1 wins wherever it has them.
  if (!host.v1.empty()) return create_v1_cgroup(host.v1, limits);
  if (host.unified) return create_v2_cgroup(*host.unified, limits);
  CgroupSetup setup;
  setup.reason = "no cgroup hierarchy is mounted";
  setup.remedy = "mount cgroup2 on /sys/fs/cgroup, or run with --allow-degraded";
  return setup;
}

}  // namespace isotest
