// One cgroup per sandbox, below the cgroup isotest runs in: create, limit, place, kill, read the
// figures, remove -- in that order, in one place. One interface, two backends: the unified v2
// hierarchy, and the v1 hierarchies that hybrid and legacy hosts (RHEL 8, WSL2, Amazon Linux 2,
// this project's CI machine) bind their controllers to.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spec.h"
#include "unique_fd.h"

namespace isotest {

using CgroupLimits = ResourceLimits;

// What the kernel measured for the whole process tree of one sandbox.
struct CgroupStats {
  std::optional<std::uint64_t> peak_memory_bytes;
  std::optional<std::int64_t> cpu_user_ms;
  std::optional<std::int64_t> cpu_system_ms;
  std::uint64_t oom_kills = 0;
  std::optional<std::uint64_t> pids_peak;  // kernels with pids.peak
  bool pids_limit_hit = false;             // a fork or clone was refused by pids.max
};

class Cgroup {
 public:
  Cgroup() = default;
  Cgroup(const Cgroup&) = delete;
  Cgroup& operator=(const Cgroup&) = delete;
  virtual ~Cgroup() = default;

  [[nodiscard]] virtual std::string_view version() const = 0;  // "v1" or "v2"
  [[nodiscard]] virtual std::vector<std::string> controllers() const = 0;
  [[nodiscard]] virtual std::string path() const = 0;  // as in /proc/PID/cgroup
  // A directory fd for clone3(CLONE_INTO_CGROUP), or -1 where only `place` works (v1).
  [[nodiscard]] virtual int clone_into_fd() const { return -1; }
  // Files the sandbox itself writes "0" to, first thing after it is released, to join the
  // cgroup (v1). Moving one's own thread skips the kernel's cgroup_threadgroup_rwsem, whose
  // RCU grace period made a move by the launcher cost 3-20 ms; the files are opened by the
  // launcher, so the sandbox needs no rights of its own. Empty where `clone_into_fd` or
  // `place` is the way.
  [[nodiscard]] virtual std::vector<int> self_placement_fds() const { return {}; }
  // Moves `pid` in; for a child that is still waiting to be released. Throws SetupFailure.
  virtual void place(pid_t pid) = 0;
  // Removes the cgroups that earlier launchers, killed before they could, left beside this one
  // (see is_stale_cgroup_name). The launcher calls it once the sandbox is on its way, when it
  // would otherwise wait idle, so a run does not pay for the scan before its start; once per
  // process (first_time_in_process), as they are left by launchers that died before it.
  virtual void remove_stale_cgroups() const noexcept = 0;
  // Opens the files that read_stats (and on v1 kill_all) read once the sandbox has exited; see
  // CgroupFiles. The launcher calls it while the sandbox runs. Without it they are opened when
  // they are read.
  virtual void open_files_read_at_exit() noexcept {}
  // SIGKILL to every process in the cgroup (cgroup.kill, or freezer + kill on v1).
  virtual void kill_all() noexcept = 0;
  [[nodiscard]] virtual CgroupStats read_stats() const = 0;
  // Kills what is left, waits until the cgroup is empty, removes it. Idempotent; the
  // destructor of each backend calls it.
  virtual void destroy() noexcept = 0;
};

// Files read once the sandbox has exited (its figures, what is left in it), opened ahead of time,
// while the sandbox runs and the launcher would wait idle: reading one then is a single pread,
// where open, read to the end and close of a cgroup file cost several times that, in the time
// between the test's exit and isotest's.
class CgroupFiles {
 public:
  void open(const std::string& path);  // a file that cannot be opened is read the usual way
  // The file's text, read afresh (cgroup files make their text at each read from offset 0).
  [[nodiscard]] std::optional<std::string> read(const std::string& path) const;
  void close_all() noexcept { files_.clear(); }

 private:
  std::vector<std::pair<std::string, UniqueFd>> files_;
};

// The result of trying to give a sandbox its cgroup. `cgroup` is null when this host gives us
// none (e.g. unprivileged without delegation); `missing` names each requested limit that could
// not be applied, and `reason`/`remedy` say why and what to do.
struct CgroupSetup {
  std::unique_ptr<Cgroup> cgroup;
  std::vector<std::string> missing;
  std::string reason;
  std::string remedy;
  int error_number = 0;  // the errno behind `reason` (which does not repeat it), or 0
};

// Every limit LIMITS asks for, named as CgroupSetup::missing names them ("memory", "pids",
// "cpus"): what a setup that gets no cgroup at all lacks.
std::vector<std::string> requested_limits(const CgroupLimits& limits);

// "--memory, --pids": the options of the limits LIMITS names, for messages.
std::string limit_options(const std::vector<std::string>& limits);

// Creates the sandbox's cgroup and applies `limits`. Throws SetupFailure only for failures that
// are not about permission or availability (those land in `missing`/`reason`).
CgroupSetup create_sandbox_cgroup(const CgroupLimits& limits);

// ---- shared by the backends (cgroup.cc) ----

// "isotest-<pid>-<starttime>-<n>": a later run can tell a dead launcher's cgroup from a live one.
std::string next_cgroup_name();
// True when `name` is an isotest cgroup whose launcher is gone.
bool is_stale_cgroup_name(std::string_view name);
// Calls `remove` for every stale isotest cgroup directly below `parent`.
void for_each_stale_cgroup(const std::string& parent, void (*remove)(const std::string& dir));

int write_cgroup_file(const std::string& path, std::string_view text);  // 0 or errno
// True when /proc/swaps lists a swap area: only then can swap let a test exceed --memory.
bool swap_is_active();
std::optional<std::string> read_cgroup_file(const std::string& path);
// The processes listed in DIR/cgroup.procs; empty when it cannot be read.
std::vector<pid_t> cgroup_processes(const std::string& dir);
// The pids in the text of a cgroup.procs file.
std::vector<pid_t> parse_pids(std::string_view text);
// Value of `key` in a "key value" per line file (memory.events, cpu.stat, ...).
std::optional<std::uint64_t> cgroup_key_value(const std::string& text, std::string_view key);
std::optional<std::uint64_t> parse_cgroup_number(std::string_view text);

// The backends' factories (cgroup_v1.cc, cgroup_v2.cc).
struct CgroupHierarchy;
CgroupSetup create_v1_cgroup(const std::vector<CgroupHierarchy>& hierarchies,
                             const CgroupLimits& limits);
CgroupSetup create_v2_cgroup(const CgroupHierarchy& unified, const CgroupLimits& limits);

// One mounted hierarchy and where this process sits in it.
struct CgroupHierarchy {
  std::vector<std::string> controllers;  // v1: "memory", "pids", ...; v2: empty
  std::string own_directory;             // mount point + our cgroup path
  std::string own_path;                  // our cgroup path as /proc/self/cgroup shows it
};

// Reads /proc/self/mountinfo and /proc/self/cgroup. `unified` is set for a cgroup2 mount.
struct CgroupHost {
  std::vector<CgroupHierarchy> v1;
  std::optional<CgroupHierarchy> unified;
};
CgroupHost detect_cgroup_host();

}  // namespace isotest
