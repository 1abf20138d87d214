#include "doctor_probe.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <thread>

#include "cgroup.h"
#include "child_error.h"
#include "core_dump.h"
#include "mountinfo.h"
#include "netlab_sandbox.h"
#include "network.h"
#include "qdisc_request.h"
#include "setup_error.h"
#include "time_namespace.h"
#include "unique_fd.h"

namespace isotest {

namespace {

using namespace std::chrono_literals;

// How long the throwaway children may take before they count as hung and are killed. Every
// probe is a handful of system calls; a healthy machine needs a few milliseconds.
constexpr auto kProbeDeadline = 5s;
constexpr std::int64_t kTimeOffsetSeconds = 86400;

// ---- the namespace probes, written by the throwaway child into memory shared with us ----

enum StepIndex : int {
  kMount,
  kNetwork,
  kNetem,
  kTbf,
  kIpc,
  kUts,
  kCgroupNs,
  kTime,
  kProc,
  kStepCount
};

struct StepRecord {
  int state = 0;  // 0 not attempted, 1 ok, 2 failed
  ChildError error;
};

struct SharedRecords {
  StepRecord steps[kStepCount];
};

// Records the outcome of one call; `ok` is evaluated before errno can change.
bool step(StepRecord& record, const char* call, bool ok) {
  record.state = ok ? 1 : 2;
  if (!ok) set_child_error(record.error, call, nullptr, errno);
  return ok;
}

bool from_child_error(StepRecord& record, bool ok) {
  record.state = ok ? 1 : 2;
  return ok;
}

// A child of the probing process, so that it enters the time namespace its parent prepared:
// true when its CLOCK_MONOTONIC runs the offset ahead.
bool time_offset_applies() {
  timespec before{};
  ::clock_gettime(CLOCK_MONOTONIC, &before);
  pid_t child = ::fork();
  if (child == 0) {
    timespec inside{};
    ::clock_gettime(CLOCK_MONOTONIC, &inside);
    ::_exit(inside.tv_sec - before.tv_sec >= kTimeOffsetSeconds - 60 ? 0 : 1);
  }
  int status = 0;
  if (child < 0 || ::waitpid(child, &status, 0) != child) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// PID 1 of a new PID namespace mounts a procfs of its own, as isotest's init does.
void probe_proc(StepRecord& record) {
  if (!step(record, "unshare(CLONE_NEWPID)", ::unshare(CLONE_NEWPID) == 0)) return;
  pid_t child = ::fork();
  if (child == 0) {
    bool ok =
        step(record, "mount proc on /proc",
             ::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0);
    if (ok) step(record, "read the new /proc", ::access("/proc/1/stat", R_OK) == 0);
    ::_exit(0);
  }
  if (!step(record, "fork into the PID namespace", child > 0)) return;
  ::waitpid(child, nullptr, 0);
}

// Asks for the discipline of `conditions` on lo of a fresh network namespace, as the sandbox of
// `isotest run` does; ENOENT means this kernel has no such discipline and cannot load one.
void probe_qdisc(StepRecord& record, const NetworkConditions& conditions) {
  if (!step(record, "unshare(CLONE_NEWNET)", ::unshare(CLONE_NEWNET) == 0)) return;
  const QdiscRequest request = build_qdisc_request(conditions);
  NetLabSandboxPlan plan{.capture_channel = -1,
                         .qdisc_request = request.message.data(),
                         .qdisc_request_bytes = request.message.size(),
                         .qdisc_kind = request.kind.c_str()};
  from_child_error(record, set_up_network_lab(&plan, record.error));
}

// Runs in the throwaway child, which is in its own user namespace when that could be made.
// Single-threaded copy of a single-threaded doctor, so any call is safe here.
void run_namespace_steps(SharedRecords& out) {
  auto& mount = out.steps[kMount];
  const bool own_mounts = step(mount, "unshare(CLONE_NEWNS)", ::unshare(CLONE_NEWNS) == 0) &&
                          step(mount, "make / private",
                               ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0);
  if (own_mounts) {
    step(mount, "mount tmpfs on /tmp",
         ::mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") == 0);
  }

  auto& network = out.steps[kNetwork];
  if (step(network, "unshare(CLONE_NEWNET)", ::unshare(CLONE_NEWNET) == 0)) {
    from_child_error(network, configure_network(NetworkMode::loopback, network.error));
  }
  if (network.state == 1) {
    NetworkConditions delay;  // netem
    delay.delay_ms = 1;
    probe_qdisc(out.steps[kNetem], delay);
    NetworkConditions rate;  // tbf: a rate alone
    rate.rate_bytes_per_second = 125'000;
    probe_qdisc(out.steps[kTbf], rate);
  }
  step(out.steps[kIpc], "unshare(CLONE_NEWIPC)", ::unshare(CLONE_NEWIPC) == 0);
  auto& uts = out.steps[kUts];
  if (step(uts, "unshare(CLONE_NEWUTS)", ::unshare(CLONE_NEWUTS) == 0)) {
    step(uts, "sethostname", ::sethostname("isotest-doctor", 14) == 0);
  }
  step(out.steps[kCgroupNs], "unshare(CLONE_NEWCGROUP)", ::unshare(CLONE_NEWCGROUP) == 0);

  auto& time = out.steps[kTime];
  if (from_child_error(time, enter_time_namespace_for_children(kTimeOffsetSeconds, time.error))) {
    if (!time_offset_applies()) {
      time.state = 2;
      set_child_error(time.error, "CLOCK_MONOTONIC in the time namespace", "has no offset", 0);
    }
  }
  // Last: the new procfs covers /proc for this whole mount namespace. Never without a private
  // mount namespace, where it would cover the host's /proc.
  if (own_mounts) probe_proc(out.steps[kProc]);
}

ProbeStep to_probe_step(const StepRecord& record) {
  ProbeStep result;
  result.attempted = record.state != 0;
  result.ok = record.state == 1;
  if (record.state == 2) {
    result.error_number = record.error.error_number;
    result.call = child_error_stage_text(record.error);
  }
  return result;
}

ProbeStep failed_step(std::string call, int error_number) {
  return ProbeStep{
      .attempted = true, .ok = false, .error_number = error_number, .call = std::move(call)};
}

ProbeStep ok_step() {
  return ProbeStep{.attempted = true, .ok = true, .error_number = 0, .call = {}};
}

// clone3 as isotest run does, clone where a seccomp profile answers clone3 with ENOSYS;
// fork-like (no new stack). `cgroup_fd` >= 0 adds CLONE_INTO_CGROUP (clone3 only).
pid_t clone_child(std::uint64_t flags, int cgroup_fd = -1) {
  clone_args args{};
  args.flags = flags;
  args.exit_signal = SIGCHLD;
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<std::uint64_t>(cgroup_fd);
  }
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0 && errno == ENOSYS && cgroup_fd < 0) {
    pid = ::syscall(SYS_clone, static_cast<unsigned long>(flags | SIGCHLD), nullptr, nullptr,
                    nullptr, 0);
  }
  return static_cast<pid_t>(pid);
}

// Waits for `pid` until the deadline, then kills it: a hung probe must not hang the doctor.
int wait_with_deadline(pid_t pid) {
  const auto deadline = std::chrono::steady_clock::now() + kProbeDeadline;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(1ms);
  }
  return status;
}

void wait_for_release(int fd) {
  char byte = 0;
  while (::read(fd, &byte, 1) < 0 && errno == EINTR) {
  }
}

void probe_namespaces(NamespaceProbes& probes, QdiscProbes& qdiscs) {
  void* memory = ::mmap(nullptr, sizeof(SharedRecords), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) throw_errno("doctor: shared memory", "mmap failed");
  auto* records = new (memory) SharedRecords{};

  Pipe release = make_pipe();
  pid_t child = clone_child(CLONE_NEWUSER);
  if (child < 0) {
    probes.user_namespace = failed_step("clone(CLONE_NEWUSER)", errno);
    // The rest still tells root which namespaces work with --share user.
    child = clone_child(0);
  } else {
    probes.user_namespace = ok_step();
  }
  if (child == 0) {
    release.write_end.reset();
    wait_for_release(release.read_end.get());
    run_namespace_steps(*records);
    ::_exit(0);
  }
  release.read_end.reset();
  if (child > 0 && probes.user_namespace.ok) {
    try {
      write_id_maps(child, plan_id_maps(false, ::geteuid(), ::getegid()));
      probes.id_maps = ok_step();
    } catch (const SetupFailure& failure) {
      probes.id_maps = failed_step(failure.error().stage, failure.error().error_number);
    }
  }
  release.write_end.reset();
  if (child > 0 && wait_with_deadline(child) < 0) {
    records->steps[kProc].state = 2;
    set_child_error(records->steps[kProc].error, "probe", "hung; killed after 5 s", ETIMEDOUT);
  }
  probes.mount = to_probe_step(records->steps[kMount]);
  probes.network = to_probe_step(records->steps[kNetwork]);
  qdiscs.netem = to_probe_step(records->steps[kNetem]);
  qdiscs.tbf = to_probe_step(records->steps[kTbf]);
  probes.ipc = to_probe_step(records->steps[kIpc]);
  probes.uts = to_probe_step(records->steps[kUts]);
  probes.cgroup_namespace = to_probe_step(records->steps[kCgroupNs]);
  probes.time_namespace = to_probe_step(records->steps[kTime]);
  probes.proc = to_probe_step(records->steps[kProc]);
  ::munmap(memory, sizeof(SharedRecords));
}

// ---- cgroups ----

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

bool writable(const std::string& path) {
  return ::faccessat(AT_FDCWD, path.c_str(), W_OK, AT_EACCESS) == 0;
}

bool contains(const std::vector<std::string>& list, std::string_view word) {
  for (const auto& item : list) {
    if (item == word) return true;
  }
  return false;
}

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (c == ' ' || c == '\n') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(word);
  return words;
}

void read_cgroup_layout(CgroupProbe& probe) {
  for (const MountInfoEntry& mount : read_mountinfo()) {
    if (mount.fstype == "cgroup" || mount.fstype == "cgroup2") {
      probe.mount_points.push_back(mount.mount_point);
    }
  }
  CgroupHost host = detect_cgroup_host();
  // The backend's own choice: v1 wherever v1 hierarchies hold controllers.
  if (!host.v1.empty()) {
    probe.layout = host.unified ? "hybrid" : "v1";
    const CgroupHierarchy* chosen = &host.v1.front();
    for (const auto& hierarchy : host.v1) {
      for (const auto& controller : hierarchy.controllers) {
        if (!contains(probe.controllers, controller)) probe.controllers.push_back(controller);
        if (controller == "memory") chosen = &hierarchy;
      }
    }
    probe.directory = chosen->own_directory;
  } else if (host.unified) {
    probe.layout = "v2";
    probe.directory = host.unified->own_directory;
    // An earlier isotest moved us into its launchers' leaf; the backend then creates its cgroups
    // beside the leaf, so the parent is the cgroup whose rights matter.
    if (probe.directory.ends_with("/isotest-launchers")) {
      probe.directory.resize(probe.directory.rfind('/'));
    }
    probe.controllers =
        split_words(read_cgroup_file(probe.directory + "/cgroup.controllers").value_or(""));
  } else {
    probe.layout = "none";
    return;
  }
  struct stat info {};
  if (::stat(probe.directory.c_str(), &info) == 0) probe.owner = info.st_uid;
  struct statvfs fs {};
  probe.read_only = ::statvfs(probe.directory.c_str(), &fs) == 0 && (fs.f_flag & ST_RDONLY) != 0;
  probe.directory_writable = writable(probe.directory);
  probe.procs_writable = writable(probe.directory + "/cgroup.procs");
  if (probe.layout == "v2") {
    probe.subtree_control_writable = writable(probe.directory + "/cgroup.subtree_control");
  }
}

// True when /proc/PID/cgroup names `path` (for v1: on some line).
bool child_is_in(pid_t pid, const std::string& path) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  for (std::string line; std::getline(in, line);) {
    auto colon = line.find(':', line.find(':') + 1);
    if (colon != std::string::npos && line.substr(colon + 1) == path) return true;
  }
  return false;
}

// Starts a child in `cgroup` the way isotest run does (CLONE_INTO_CGROUP on v2, the child's own
// write to `tasks` on v1, else the parent's write to cgroup.procs) and checks where it landed.
ProbeStep probe_placement(Cgroup& cgroup, bool& clone_into) {
  Pipe release = make_pipe();
  Pipe placed = make_pipe();
  pid_t child = -1;
  if (cgroup.clone_into_fd() >= 0) {
    child = clone_child(0, cgroup.clone_into_fd());
    clone_into = child >= 0;
  }
  if (child < 0) child = clone_child(0);
  if (child < 0) return failed_step("clone", errno);
  if (child == 0) {
    release.write_end.reset();
    for (int fd : cgroup.self_placement_fds()) {
      if (::write(fd, "0", 1) != 1) ::_exit(1);
    }
    placed.write_end.reset();
    wait_for_release(release.read_end.get());
    ::_exit(0);
  }
  release.read_end.reset();
  placed.write_end.reset();
  wait_for_release(placed.read_end.get());
  ProbeStep result = ok_step();
  if (!clone_into && cgroup.self_placement_fds().empty()) {
    try {
      cgroup.place(child);
    } catch (const SetupFailure& failure) {
      result = failed_step(failure.error().stage, failure.error().error_number);
    }
  }
  if (result.ok && !child_is_in(child, cgroup.path())) {
    result = failed_step("check /proc/PID/cgroup", 0);
  }
  release.write_end.reset();
  if (wait_with_deadline(child) < 0) return failed_step("placement child", ETIMEDOUT);
  return result;
}

void probe_cgroup(CgroupProbe& probe) {
  read_cgroup_layout(probe);
  const CgroupLimits limits{.memory_max_bytes = 64 << 20, .pids_max = 64, .cpus = 0.5};
  CgroupSetup setup;
  try {
    setup = create_sandbox_cgroup(limits);
  } catch (const SetupFailure& failure) {
    probe.create = failed_step(failure.error().stage, failure.error().error_number);
    probe.reason = failure.error().message;
    probe.remedy = failure.error().hint;
    return;
  }
  probe.missing_limits = setup.missing;
  probe.reason = setup.reason;
  probe.remedy = setup.remedy;
  if (!setup.cgroup) {
    probe.create = failed_step(setup.reason, setup.error_number);
    return;
  }
  probe.create = ok_step();
  probe.version = std::string(setup.cgroup->version());
  probe.placement = probe_placement(*setup.cgroup, probe.clone_into_cgroup);
  const std::string name = setup.cgroup->path().substr(setup.cgroup->path().rfind('/') + 1);
  const std::string directory = probe.directory + "/" + name;
  setup.cgroup->destroy();
  const bool gone = ::access(directory.c_str(), F_OK) != 0;
  probe.removal = gone ? ok_step() : failed_step("rmdir " + directory, EBUSY);
}

// ---- where we run ----

bool file_contains(const std::string& path, std::string_view text) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

HostEnvironment read_environment() {
  HostEnvironment env;
  env.docker = ::access("/.dockerenv", F_OK) == 0 || file_contains("/proc/1/cgroup", "docker");
  env.podman = ::access("/run/.containerenv", F_OK) == 0;
  env.kubernetes = std::getenv("KUBERNETES_SERVICE_HOST") != nullptr ||
                   file_contains("/proc/1/cgroup", "kubepods");
  std::string release = first_line("/proc/sys/kernel/osrelease");
  for (auto& c : release) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  env.wsl = release.find("microsoft") != std::string::npos;
  {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);) {
      if (line.starts_with("Seccomp:")) env.seccomp_mode = std::atoi(line.c_str() + 8);
    }
  }
  for (const MountInfoEntry& mount : read_mountinfo()) {
    if (mount.mount_point.starts_with("/proc/")) ++env.proc_submounts;
  }
  env.loads_modules = ::access("/proc/modules", F_OK) == 0;
  env.uid = ::geteuid();
  utsname names{};
  if (::uname(&names) == 0) env.kernel = names.release;
  char path[4096];
  ssize_t length = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (length > 0) env.binary_path.assign(path, static_cast<std::size_t>(length));
  const CorePattern core = read_core_pattern();
  env.core_pattern = core.pattern;
  env.core_uses_pid = core.uses_pid;
  return env;
}

}  // namespace

DoctorFacts probe_machine() {
  const auto start = std::chrono::steady_clock::now();
  DoctorFacts facts;
  facts.settings = read_namespace_settings();
  facts.environment = read_environment();
  probe_namespaces(facts.namespaces, facts.queueing_disciplines);
  probe_cgroup(facts.cgroup);
  facts.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - start)
                         .count();
  return facts;
}

}  // namespace isotest
