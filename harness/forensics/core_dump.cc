#include "core_dump.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <vector>

#include "crash_site.h"
#include "scratch_directory.h"
#include "setup_error.h"
#include "unique_fd.h"

namespace isotest {

namespace {

std::string first_line_of(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// core(5): %p, %e, %t ... expand to something we cannot predict from outside (the pid as the
// sandbox numbers it, the time); "%%" is a percent sign. As an fnmatch(3) pattern.
std::string name_glob(const std::string& name, bool uses_pid) {
  std::string glob;
  bool has_pid = false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '%' && i + 1 < name.size()) {
      const char specifier = name[++i];
      has_pid = has_pid || specifier == 'p';
      glob += specifier == '%' ? "%" : "*";
    } else {
      if (std::strchr("*?[]\\", c) != nullptr) glob += '\\';
      glob += c;
    }
  }
  // core_uses_pid appends ".PID" to a pattern without %p.
  if (uses_pid && !has_pid) glob += ".*";
  return glob;
}

bool is_literal(const std::string& name, bool uses_pid) {
  return !uses_pid && name.find('%') == std::string::npos;
}

// A random id, as 32 hex digits.
std::string random_run_id() {
  std::random_device source;
  std::string id;
  for (int i = 0; i < 4; ++i) {
    char part[9];
    static_cast<void>(std::snprintf(part, sizeof part, "%08x", source()));
    id += part;
  }
  return id;
}

// A sandbox step (before_test, in init): allocation-free. Raising the soft limit up to the hard
// one needs no privilege (setrlimit(2)), and a failure costs only the core, never the run.
bool raise_core_limit(void* context, ChildError& /*error*/) {
  static_cast<void>(::setrlimit(RLIMIT_CORE, static_cast<const rlimit*>(context)));
  return true;
}

}  // namespace

std::string CorePattern::pipe_program() const {
  if (!pipes()) return {};
  const auto start = pattern.find_first_not_of(' ', 1);
  if (start == std::string::npos) return {};
  return pattern.substr(start, pattern.find(' ', start) - start);
}

CorePattern read_core_pattern() {
  return CorePattern{.pattern = first_line_of("/proc/sys/kernel/core_pattern"),
                     .uses_pid = first_line_of("/proc/sys/kernel/core_uses_pid") == "1"};
}

std::string describe_core_pattern(const CorePattern& pattern) {
  const std::string quoted = "core_pattern is `" + pattern.pattern + "`";
  if (pattern.pattern.empty()) {
    return "core_pattern is empty or unreadable: the kernel writes no core, so without the "
           "GoogleTest plugin a crash is reported without its stack";
  }
  if (pattern.pipes()) {
    return quoted + ": the kernel pipes cores to " + pattern.pipe_program() +
           ", a host program, not to a file isotest can read; without the GoogleTest plugin a "
           "crash is reported without its stack (the host's tool, e.g. coredumpctl, has it)";
  }
  return quoted + ": a plain file" +
         (pattern.pattern.starts_with('/') ? std::string()
                                           : std::string(" in the crashing process's working "
                                                         "directory")) +
         "; isotest lets a crashing test dump core there and reads the crash site from it "
         "(--crash-core)";
}

CoreCapture::CoreCapture(CoreMode mode, const std::string& working_directory)
    : run_id_(random_run_id()) {
  if (mode == CoreMode::never) {
    unavailable_reason_ = "--crash-core never";
    return;
  }
  // Once per process: `isotest gtest` captures per case, and the two files are the host's.
  static const CorePattern pattern = read_core_pattern();
  if (pattern.pattern.empty() || pattern.pipes()) {
    unavailable_reason_ = describe_core_pattern(pattern);
    return;
  }
  uses_pid_ = pattern.uses_pid;
  const std::string& text = pattern.pattern;
  const auto slash = text.rfind('/');
  name_pattern_ = slash == std::string::npos ? text : text.substr(slash + 1);
  const std::string folder = slash == std::string::npos ? "" : text.substr(0, slash);
  directory_ = text.starts_with('/') ? (folder.empty() ? "/" : folder)
                                     : working_directory + (folder.empty() ? "" : "/" + folder);
  if (name_pattern_.empty() || folder.find('%') != std::string::npos) {
    unavailable_reason_ =
        "core_pattern is `" + text + "`: isotest cannot tell where that puts a core";
    return;
  }
  const UniqueFd directory(::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!directory.valid()) {
    unavailable_reason_ =
        "core_pattern is `" + text + "`, and " + directory_ + " is not a directory on this host";
    return;
  }
  // The kernel replaces an existing file of that name: never the user's. A core of an isotest run
  // (another run's, or one whose isotest was killed before it could take it) may go.
  if (!is_literal(name_pattern_, uses_pid_)) return;
  const UniqueFd existing(::openat(directory.get(), name_pattern_.c_str(),
                                   O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if ((existing.valid() || errno != ENOENT) &&
      (!existing.valid() || run_id_of_core(existing.get()).empty())) {
    unavailable_reason_ = directory_ + "/" + name_pattern_ +
                          " exists already and isotest does not let the kernel overwrite it "
                          "with a core (core_pattern is `" +
                          text + "`): remove it";
  }
}

void CoreCapture::adjust(LaunchPlan& plan) {
  plan.exec.set_variable(kRunIdVariable, run_id_);
  if (!unavailable_reason_.empty()) return;
  // The sandbox's init inherits isotest's limits: the hard one is what it may raise to.
  rlimit current{};
  if (::getrlimit(RLIMIT_CORE, &current) != 0) {
    unavailable_reason_ = "cannot read RLIMIT_CORE: " + errno_name(errno);
    return;
  }
  if (current.rlim_max == 0) {
    unavailable_reason_ = "the hard RLIMIT_CORE is 0 (ulimit -Hc): no core can be written";
    return;
  }
  core_limit_ = rlimit{.rlim_cur = std::min<rlim_t>(kCoreLimitBytes, current.rlim_max),
                       .rlim_max = current.rlim_max};
  plan.sandbox_steps.push_back(SandboxStep{.phase = SandboxStepPhase::before_test,
                                           .run = raise_core_limit,
                                           .reaped = nullptr,
                                           .test_ended = nullptr,
                                           .context = &core_limit_});
}

std::optional<RunCore> CoreCapture::take() {
  if (!unavailable_reason_.empty()) return std::nullopt;
  const UniqueFd directory(::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  std::vector<std::string> names;
  if (is_literal(name_pattern_, uses_pid_)) {
    names.push_back(name_pattern_);
  } else if (directory.valid()) {
    const std::string glob = name_glob(name_pattern_, uses_pid_);
    for (auto& name : entry_names(directory.get())) {
      if (::fnmatch(glob.c_str(), name.c_str(), FNM_PERIOD) == 0) names.push_back(std::move(name));
    }
  }
  bool another_runs = false;
  for (auto& name : names) {
    // O_NOFOLLOW and O_NONBLOCK: a symlink or FIFO of that name is never followed nor waited on.
    UniqueFd file(directory.valid() ? ::openat(directory.get(), name.c_str(),
                                               O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
                                    : -1);
    struct stat info {};
    if (!file.valid() || ::fstat(file.get(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
    const std::string id = run_id_of_core(file.get());
    if (id != run_id_) {
      another_runs = another_runs || !id.empty();
      continue;
    }
    // The open file stays readable once its name is gone.
    static_cast<void>(::unlinkat(directory.get(), name.c_str(), 0));
    return RunCore{.file = std::move(file), .name = std::move(name)};
  }
  unavailable_reason_ =
      another_runs ? "the core in " + directory_ +
                         " is another run's: a test that crashed in the same "
                         "directory at the same time replaced this run's (core_pattern `" +
                         name_pattern_ + "` gives both the same name)"
                   : "no core appeared in " + directory_ + " (core_pattern `" + name_pattern_ +
                         "`): the test may lack write access there, or have changed its working "
                         "directory";
  return std::nullopt;
}

}  // namespace isotest
