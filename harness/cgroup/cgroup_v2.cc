// The v2 backend: one directory in the unified hierarchy, controllers enabled in its parent
// (after moving any processes out of the parent: v2 forbids processes in a cgroup that hands
// controllers to its children), the child cloned straight into it (CLONE_INTO_CGROUP), killed
// with cgroup.kill, removed once cgroup.events says it is empty.
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

// Where isotest moves the processes it finds in its own cgroup; the next isotest started from
// one of them sees this name and uses the parent instead of nesting deeper.
constexpr std::string_view kLeafName = "isotest-launchers";

std::string parent_of(const std::string& path) {
  return path.substr(0, path.rfind('/'));
}
std::string basename_of(const std::string& path) {
  return path.substr(path.rfind('/') + 1);
}

bool contains_word(const std::string& text, std::string_view word) {
  std::size_t at = 0;
  while ((at = text.find(word, at)) != std::string::npos) {
    bool starts = at == 0 || text[at - 1] == ' ';
    bool ends = at + word.size() == text.size() || text[at + word.size()] == ' ' ||
                text[at + word.size()] == '\n';
    if (starts && ends) return true;
    at += word.size();
  }
  return false;
}

void kill_cgroup(const std::string& dir) {
  if (write_cgroup_file(dir + "/cgroup.kill", "1") == 0) return;
  // Before 5.14: freeze so nothing forks between reading cgroup.procs and the kills.
  write_cgroup_file(dir + "/cgroup.freeze", "1");
  for (pid_t pid : cgroup_processes(dir)) ::kill(pid, SIGKILL);
  write_cgroup_file(dir + "/cgroup.freeze", "0");
}

void remove_cgroup(const std::string& dir) {
  kill_cgroup(dir);
  for (int attempt = 0; attempt < 2000; ++attempt) {
    auto events = read_cgroup_file(dir + "/cgroup.events");
    if (!events) return;  // already gone
    if (cgroup_key_value(*events, "populated").value_or(0) == 0 &&
        (::rmdir(dir.c_str()) == 0 || errno == ENOENT)) {
      return;
    }
    std::this_thread::sleep_for(1ms);
  }
}

// Moves every process out of `base` into its leaf so `base` may enable controllers. Processes
// keep every limit they had: the leaf is below `base`.
int empty_into_leaf(const std::string& base) {
  const std::string leaf = base + "/" + std::string(kLeafName);
  if (::mkdir(leaf.c_str(), 0755) != 0 && errno != EEXIST) return errno;
  for (pid_t pid : cgroup_processes(base)) {
    // A process that exited meanwhile (ESRCH) is fine; anything else is a real failure.
    int error = write_cgroup_file(leaf + "/cgroup.procs", std::to_string(pid));
    if (error != 0 && error != ESRCH) return error;
  }
  return 0;
}

// Enables `wanted` controllers for the children of `base`, whose processes must have left it
// first. Returns 0 or errno.
int enable_controllers(const std::string& base, const std::vector<std::string>& wanted) {
  auto enabled = read_cgroup_file(base + "/cgroup.subtree_control").value_or("");
  std::string request;
  for (const auto& controller : wanted) {
    if (!contains_word(enabled, controller)) request += "+" + controller + " ";
  }
  if (request.empty()) return 0;
  request.pop_back();
  // Other processes may keep arriving in `base` (a parallel ctest spawning launchers): retry.
  for (int attempt = 0; attempt < 10; ++attempt) {
    int error = write_cgroup_file(base + "/cgroup.subtree_control", request);
    if (error != EBUSY) return error;
    if (int moved = empty_into_leaf(base); moved != 0) return moved;
  }
  return EBUSY;
}

class CgroupV2 final : public Cgroup {
 public:
  CgroupV2(std::string directory, std::string path, UniqueFd fd,
           std::vector<std::string> controllers)
      : base_(parent_of(directory)),
        directory_(std::move(directory)),
        path_(std::move(path)),
        fd_(std::move(fd)),
        controllers_(std::move(controllers)) {}
  ~CgroupV2() override { destroy(); }

  void set(const std::string& file, const std::string& value) const {
    if (int error = write_cgroup_file(directory_ + "/" + file, value); error != 0) {
      errno = error;
      throw_errno("cgroup v2: set " + file,
                  "cannot write `" + value + "` to " + directory_ + "/" + file,
                  "check that the value is within what the kernel accepts");
    }
  }

  [[nodiscard]] std::string_view version() const override { return "v2"; }
  [[nodiscard]] std::vector<std::string> controllers() const override { return controllers_; }
  [[nodiscard]] std::string path() const override { return path_; }
  [[nodiscard]] int clone_into_fd() const override { return fd_.get(); }

  void place(pid_t pid) override {
    if (int error = write_cgroup_file(directory_ + "/cgroup.procs", std::to_string(pid));
        error != 0) {
      errno = error;
      throw_errno("cgroup v2: place sandbox", "cannot move the sandbox into " + directory_,
                  "isotest's own cgroup must allow children with processes; see "
                  "docs/troubleshooting.md");
    }
  }

  void remove_stale_cgroups() const noexcept override {
    for_each_stale_cgroup(base_, remove_cgroup);
  }

  void kill_all() noexcept override {
    if (!destroyed_) kill_cgroup(directory_);
  }

  void open_files_read_at_exit() noexcept override {
    stats_from([this](const std::string& path) {
      files_.open(path);
      return std::optional<std::string>();
    });
  }

  [[nodiscard]] CgroupStats read_stats() const override {
    return stats_from([this](const std::string& path) { return files_.read(path); });
  }

  void destroy() noexcept override {
    if (destroyed_) return;
    destroyed_ = true;
    fd_.reset();
    remove_cgroup(directory_);
    files_.close_all();
  }

 private:
  // The figures, from the files `read` returns the text of (nullopt: unreadable).
  template <typename Read>
  CgroupStats stats_from(Read&& read) const {
    CgroupStats stats;
    if (auto peak = read(directory_ + "/memory.peak")) {
      stats.peak_memory_bytes = parse_cgroup_number(*peak);
    }
    if (auto events = read(directory_ + "/memory.events")) {
      stats.oom_kills = cgroup_key_value(*events, "oom_kill").value_or(0);
    }
    if (auto cpu = read(directory_ + "/cpu.stat")) {
      if (auto user = cgroup_key_value(*cpu, "user_usec")) {
        stats.cpu_user_ms = static_cast<std::int64_t>(*user / 1000);
      }
      if (auto system = cgroup_key_value(*cpu, "system_usec")) {
        stats.cpu_system_ms = static_cast<std::int64_t>(*system / 1000);
      }
    }
    if (auto events = read(directory_ + "/pids.events")) {
      stats.pids_limit_hit = cgroup_key_value(*events, "max").value_or(0) > 0;
    }
    if (auto peak = read(directory_ + "/pids.peak")) {
      stats.pids_peak = parse_cgroup_number(*peak);
    }
    return stats;
  }

  std::string base_;
  std::string directory_;
  std::string path_;
  UniqueFd fd_;
  std::vector<std::string> controllers_;
  bool destroyed_ = false;
  CgroupFiles files_;
};

}  // namespace

CgroupSetup create_v2_cgroup(const CgroupHierarchy& unified, const CgroupLimits& limits) {
  CgroupSetup setup;
  std::string base = unified.own_directory;
  std::string base_path = unified.own_path;
  if (basename_of(base) == kLeafName) {
    base = parent_of(base);
    base_path = parent_of(base_path);
  }
  auto refuse = [&](const std::string& reason, int error_number) {
    setup.reason = reason;
    setup.error_number = error_number;
    setup.remedy =
        "run isotest in a cgroup delegated to you, e.g. `systemd-run --user --scope -p "
        "Delegate=yes -- <your command>`, or pass --allow-degraded (see docs/limits.md)";
    setup.missing = requested_limits(limits);
    return std::move(setup);
  };

  // A cgroup with processes of its own cannot have children with processes once any controller
  // is enabled for them (v2's no-internal-processes rule, EOPNOTSUPP on placement -- not always
  // EBUSY on enabling), so empty it into the leaf first. The root cgroup is exempt.
  if (base_path != "/" && !read_cgroup_file(base + "/cgroup.procs").value_or("").empty()) {
    if (int error = empty_into_leaf(base); error != 0) {
      return refuse(
          "cannot move the processes of " + base + " into its " + std::string(kLeafName) + " leaf",
          error);
    }
  }
  const std::string available = read_cgroup_file(base + "/cgroup.controllers").value_or("");
  std::vector<std::string> controllers;
  for (const char* controller : {"memory", "pids", "cpu"}) {
    if (contains_word(available, controller)) controllers.emplace_back(controller);
  }
  if (int error = enable_controllers(base, controllers); error != 0) {
    return refuse("cannot enable controllers in " + base, error);
  }
  const std::string name = next_cgroup_name();
  const std::string directory = base + "/" + name;
  if (::mkdir(directory.c_str(), 0755) != 0) {
    const int error = errno;
    return refuse("cannot create a cgroup in " + base, error);
  }
  UniqueFd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  auto cgroup = std::make_unique<CgroupV2>(
      directory, (base_path == "/" ? "" : base_path) + "/" + name, std::move(fd), controllers);
  auto require = [&](const char* controller, const char* limit) {
    if (contains_word(available, controller)) return true;
    setup.missing.emplace_back(limit);
    setup.reason = std::string("the ") + controller + " controller is not delegated to " + base;
    setup.remedy =
        "enable it in the parent's cgroup.subtree_control (systemd: Delegate=yes), "
        "or pass --allow-degraded";
    return false;
  };
  if (limits.memory_max_bytes && require("memory", "memory")) {
    cgroup->set("memory.max", std::to_string(*limits.memory_max_bytes));
    // Swap would let the test exceed memory.max unnoticed; group OOM takes the test down whole.
    if (::access((directory + "/memory.swap.max").c_str(), F_OK) == 0) {
      cgroup->set("memory.swap.max", "0");
    } else if (swap_is_active()) {
      setup.missing.emplace_back("memory-swap");
      setup.reason =
          "the kernel has no swap control (memory.swap.max), so swap can bypass --memory";
      setup.remedy = "enable CONFIG_MEMCG_SWAP, turn swap off, or pass --allow-degraded";
    }
    cgroup->set("memory.oom.group", "1");
  }
  if (limits.pids_max && require("pids", "pids")) {
    cgroup->set("pids.max", std::to_string(*limits.pids_max));
  }
  if (limits.cpus && require("cpu", "cpus")) {
    constexpr long kPeriodUs = 100'000;
    const auto quota = std::max(1000L, std::lround(*limits.cpus * kPeriodUs));
    cgroup->set("cpu.max", std::to_string(quota) + " " + std::to_string(kPeriodUs));
  }
  setup.cgroup = std::move(cgroup);
  return setup;
}

}  // namespace isotest
