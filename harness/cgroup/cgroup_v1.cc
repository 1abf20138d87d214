// The v1 backend: one directory per controller hierarchy (memory, pids, cpuacct, freezer, and
// cpu when --cpus asks for it), the same name in each, the child placed in all of them before
// it is released. Killing goes through the freezer so nothing can fork while we kill.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <thread>

#include "cgroup.h"
#include "setup_error.h"
#include "unique_fd.h"

namespace isotest {

namespace {

using namespace std::chrono_literals;

void kill_cgroup_processes(const std::string& dir) {
  for (int round = 0; round < 100; ++round) {
    auto pids = cgroup_processes(dir);
    if (pids.empty()) return;
    for (pid_t pid : pids) ::kill(pid, SIGKILL);
    std::this_thread::sleep_for(1ms);
  }
}

// rmdir succeeds once the last task has left the cgroup, which trails its exit a little.
void remove_directory(const std::string& dir) {
  for (int attempt = 0; attempt < 2000; ++attempt) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
    if (errno != EBUSY) return;
    kill_cgroup_processes(dir);
    std::this_thread::sleep_for(1ms);
  }
}

void remove_stale(const std::string& dir) {
  write_cgroup_file(dir + "/freezer.state", "THAWED");
  kill_cgroup_processes(dir);
  remove_directory(dir);
}

bool has(const CgroupHierarchy& hierarchy, std::string_view controller) {
  for (const auto& name : hierarchy.controllers) {
    if (name == controller) return true;
  }
  return false;
}

std::int64_t nanoseconds_to_ms(std::optional<std::uint64_t> ns) {
  return static_cast<std::int64_t>(ns.value_or(0) / 1'000'000);
}

class CgroupV1 final : public Cgroup {
 public:
  CgroupV1(std::string name, std::string relative_path, std::vector<std::string> siblings_in)
      : name_(std::move(name)),
        relative_path_(std::move(relative_path)),
        siblings_in_(std::move(siblings_in)) {}
  ~CgroupV1() override { destroy(); }

  // mkdir in `hierarchy`; returns the errno on failure.
  int add(const CgroupHierarchy& hierarchy) {
    std::string dir = hierarchy.own_directory + "/" + name_;
    if (::mkdir(dir.c_str(), 0755) != 0) return errno;
    created_.push_back(dir);
    // `tasks` moves one thread (the sandbox's init is single-threaded when it writes).
    UniqueFd tasks(::open((dir + "/tasks").c_str(), O_WRONLY | O_CLOEXEC));
    if (!tasks.valid()) return errno;
    tasks_files_.push_back(std::move(tasks));
    for (const auto& controller : hierarchy.controllers) {
      controllers_.push_back(controller);
      directories_.emplace_back(controller, dir);
    }
    return 0;
  }

  [[nodiscard]] std::string directory_of(std::string_view controller) const {
    for (const auto& [name, dir] : directories_) {
      if (name == controller) return dir;
    }
    return {};
  }

  void set(std::string_view controller, const std::string& file, const std::string& value) const {
    std::string path = directory_of(controller) + "/" + file;
    if (int error = write_cgroup_file(path, value); error != 0) {
      errno = error;
      throw_errno("cgroup v1: set " + file, "cannot write `" + value + "` to " + path,
                  "check that the value is within what the kernel accepts");
    }
  }

  [[nodiscard]] std::string_view version() const override { return "v1"; }
  [[nodiscard]] std::vector<std::string> controllers() const override { return controllers_; }
  [[nodiscard]] std::string path() const override { return relative_path_; }
  [[nodiscard]] std::vector<int> self_placement_fds() const override {
    std::vector<int> fds;
    fds.reserve(tasks_files_.size());
    for (const auto& file : tasks_files_) fds.push_back(file.get());
    return fds;
  }

  void place(pid_t pid) override {
    for (const auto& dir : created_) {
      if (int error = write_cgroup_file(dir + "/cgroup.procs", std::to_string(pid)); error != 0) {
        errno = error;
        throw_errno("cgroup v1: place sandbox", "cannot move the sandbox into " + dir);
      }
    }
  }

  // Stale cgroups of killed launchers go everywhere, even from hierarchies this run skips.
  void remove_stale_cgroups() const noexcept override {
    for (const auto& parent : siblings_in_) for_each_stale_cgroup(parent, remove_stale);
  }

  void kill_all() noexcept override {
    std::string freezer = directory_of("freezer");
    if (freezer.empty()) {
      for (const auto& dir : created_) kill_cgroup_processes(dir);
      return;
    }
    // An empty cgroup stays empty (nothing inside can fork), so there is nothing to freeze: the
    // usual case, as init's death took its PID namespace down. Freezing is not free: each
    // FROZEN/THAWED pair flips a kernel static key, patching code on every CPU.
    if (parse_pids(files_.read(freezer + "/cgroup.procs").value_or("")).empty()) return;
    // Frozen tasks cannot fork, so one pass over cgroup.procs gets them all; SIGKILL is
    // delivered to frozen tasks once they thaw.
    write_cgroup_file(freezer + "/freezer.state", "FROZEN");
    for (int wait = 0; wait < 100; ++wait) {
      auto state = read_cgroup_file(freezer + "/freezer.state");
      if (!state || state->starts_with("FROZEN")) break;
      std::this_thread::sleep_for(1ms);
    }
    for (pid_t pid : cgroup_processes(freezer)) ::kill(pid, SIGKILL);
    write_cgroup_file(freezer + "/freezer.state", "THAWED");
  }

  void open_files_read_at_exit() noexcept override {
    if (auto freezer = directory_of("freezer"); !freezer.empty()) {
      files_.open(freezer + "/cgroup.procs");
    }
    stats_from([this](const std::string& path) {
      files_.open(path);
      return std::optional<std::string>();
    });
  }

  [[nodiscard]] CgroupStats read_stats() const override {
    return stats_from([this](const std::string& path) { return files_.read(path); });
  }

  void destroy() noexcept override {
    if (created_.empty()) return;
    tasks_files_.clear();
    kill_all();
    for (const auto& dir : created_) remove_directory(dir);
    created_.clear();
    directories_.clear();
    files_.close_all();
  }

 private:
  // The figures, from the files `read` returns the text of (nullopt: unreadable).
  template <typename Read>
  CgroupStats stats_from(Read&& read) const {
    CgroupStats stats;
    if (auto memory = directory_of("memory"); !memory.empty()) {
      if (auto peak = read(memory + "/memory.max_usage_in_bytes")) {
        stats.peak_memory_bytes = parse_cgroup_number(*peak);
      }
      if (auto oom = read(memory + "/memory.oom_control")) {
        stats.oom_kills = cgroup_key_value(*oom, "oom_kill").value_or(0);
      }
    }
    if (auto cpuacct = directory_of("cpuacct"); !cpuacct.empty()) {
      // cpuacct.usage is exact; the user/system split comes from tick sampling and runs high
      // under CFS throttling, so only its ratio is used.
      auto number_in = [&](const char* file) {
        return parse_cgroup_number(read(cpuacct + "/" + file).value_or(""));
      };
      auto total = number_in("cpuacct.usage");
      auto user = number_in("cpuacct.usage_user");
      auto system = number_in("cpuacct.usage_sys");
      if (total && user && system) {
        const double sampled = static_cast<double>(*user + *system);
        const double user_share = sampled > 0 ? static_cast<double>(*user) / sampled : 1.0;
        const auto user_ns = static_cast<std::uint64_t>(static_cast<double>(*total) * user_share);
        stats.cpu_user_ms = nanoseconds_to_ms(user_ns);
        stats.cpu_system_ms = nanoseconds_to_ms(*total - user_ns);
      }
    }
    if (auto pids = directory_of("pids"); !pids.empty()) {
      if (auto events = read(pids + "/pids.events")) {
        stats.pids_limit_hit = cgroup_key_value(*events, "max").value_or(0) > 0;
      }
      if (auto peak = read(pids + "/pids.peak")) {
        stats.pids_peak = parse_cgroup_number(*peak);
      }
    }
    return stats;
  }

  std::string name_;
  std::string relative_path_;
  std::vector<std::string> siblings_in_;  // every hierarchy's directory we are created in
  std::vector<std::string> controllers_;
  std::vector<std::pair<std::string, std::string>> directories_;  // controller -> directory
  std::vector<std::string> created_;
  std::vector<UniqueFd> tasks_files_;
  CgroupFiles files_;
};

}  // namespace

CgroupSetup create_v1_cgroup(const std::vector<CgroupHierarchy>& hierarchies,
                             const CgroupLimits& limits) {
  CgroupSetup setup;
  const std::string name = next_cgroup_name();
  std::string relative_path;
  std::vector<const CgroupHierarchy*> chosen;
  for (const auto& hierarchy : hierarchies) {
    bool wanted = has(hierarchy, "memory") || has(hierarchy, "pids") || has(hierarchy, "cpuacct") ||
                  has(hierarchy, "freezer") || (limits.cpus && has(hierarchy, "cpu"));
    if (!wanted) continue;
    chosen.push_back(&hierarchy);
    if (has(hierarchy, "memory") || relative_path.empty()) {
      relative_path = (hierarchy.own_path == "/" ? "" : hierarchy.own_path) + "/" + name;
    }
  }
  std::vector<std::string> parents;
  parents.reserve(hierarchies.size());
  for (const auto& hierarchy : hierarchies) parents.push_back(hierarchy.own_directory);
  auto cgroup = std::make_unique<CgroupV1>(name, relative_path, std::move(parents));
  for (const auto* hierarchy : chosen) {
    if (int error = cgroup->add(*hierarchy); error != 0) {
      setup.error_number = error;
      setup.reason = "cannot create a cgroup in " + hierarchy->own_directory;
      setup.remedy =
          "cgroup v1 cannot be delegated safely to a user: run isotest as root, or pass "
          "--allow-degraded to run without limits (see docs/limits.md)";
      setup.missing = requested_limits(limits);
      return setup;  // cgroup's destructor removes what was created
    }
  }
  auto require = [&](std::string_view controller, std::string_view limit) {
    if (!cgroup->directory_of(controller).empty()) return true;
    setup.missing.emplace_back(limit);
    setup.reason = "the " + std::string(controller) + " controller is not mounted";
    setup.remedy =
        "mount the cgroup v1 " + std::string(controller) + " hierarchy, or pass --allow-degraded";
    return false;
  };
  if (limits.memory_max_bytes && require("memory", "memory")) {
    const std::string bytes = std::to_string(*limits.memory_max_bytes);
    cgroup->set("memory", "memory.limit_in_bytes", bytes);
    // Without memsw the limit only covers RAM and a test can spill into swap; set both.
    if (::access((cgroup->directory_of("memory") + "/memory.memsw.limit_in_bytes").c_str(), F_OK) ==
        0) {
      cgroup->set("memory", "memory.memsw.limit_in_bytes", bytes);
    } else if (swap_is_active()) {
      setup.missing.emplace_back("memory-swap");
      setup.reason =
          "the kernel has no swap accounting (memory.memsw), so swap can bypass --memory";
      setup.remedy = "boot with swapaccount=1, turn swap off, or pass --allow-degraded";
    }
  }
  if (limits.pids_max && require("pids", "pids")) {
    cgroup->set("pids", "pids.max", std::to_string(*limits.pids_max));
  }
  if (limits.cpus && require("cpu", "cpus")) {
    constexpr long kPeriodUs = 100'000;
    const auto quota = std::max(1000L, std::lround(*limits.cpus * kPeriodUs));
    cgroup->set("cpu", "cpu.cfs_period_us", std::to_string(kPeriodUs));
    cgroup->set("cpu", "cpu.cfs_quota_us", std::to_string(quota));
  }
  setup.cgroup = std::move(cgroup);
  return setup;
}

}  // namespace isotest
