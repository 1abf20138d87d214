#include "core_dump.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <algorithm>

#include "crash_site.h"
#include "setup_error.h"
#include "unique_dir.h"
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

bool is_core_file(int directory_fd, const char* name) {
  const UniqueFd fd(::openat(directory_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  unsigned char header[18] = {};
  if (!fd.valid() || ::pread(fd.get(), header, sizeof header, 0) != sizeof header) return false;
  // e_ident, then e_type (ET_CORE = 4) in the file's byte order.
  const bool little_endian = header[5] == 1;
  const unsigned type =
      little_endian ? header[16] | (header[17] << 8) : header[17] | (header[16] << 8);
  return std::memcmp(header,
                     "\x7f"
                     "ELF",
                     4) == 0 &&
         type == 4;
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

CoreCapture::CoreCapture(CoreMode mode, const std::string& working_directory) {
  if (mode == CoreMode::never) {
    unavailable_reason_ = "--crash-core never";
    return;
  }
  const CorePattern pattern = read_core_pattern();
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
  struct stat info {};
  if (::stat(directory_.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    unavailable_reason_ =
        "core_pattern is `" + text + "`, and " + directory_ + " is not a directory on this host";
    return;
  }
  // The kernel truncates an existing file of that name: never the user's.
  if (is_literal(name_pattern_, uses_pid_) &&
      ::access((directory_ + "/" + name_pattern_).c_str(), F_OK) == 0) {
    unavailable_reason_ = directory_ + "/" + name_pattern_ +
                          " exists already and isotest does not let the kernel overwrite it "
                          "with a core (core_pattern is `" +
                          text + "`): remove it";
    directory_.clear();
  }
}

namespace {

// A sandbox step (before_test, in init): allocation-free. Raising the soft limit up to the hard
// one needs no privilege (setrlimit(2)), and a failure costs only the core, never the run.
bool raise_core_limit(void* context, ChildError& /*error*/) {
  static_cast<void>(::setrlimit(RLIMIT_CORE, static_cast<const rlimit*>(context)));
  return true;
}

}  // namespace

void CoreCapture::adjust(LaunchPlan& plan) {
  if (directory_.empty() || !unavailable_reason_.empty()) return;
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
  allowed_ = true;
}

std::optional<std::string> CoreCapture::find_core() const {
  if (!allowed_) return std::nullopt;
  // Written during this run: no older file that merely has a matching name.
  const auto since = std::chrono::system_clock::to_time_t(started_) - 1;
  if (is_literal(name_pattern_, uses_pid_)) {  // one stat, not a directory listing
    const std::string path = directory_ + "/" + name_pattern_;
    struct stat info {};
    const UniqueFd directory(::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (::lstat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode) || info.st_mtime < since ||
        !directory.valid() || !is_core_file(directory.get(), name_pattern_.c_str())) {
      return std::nullopt;
    }
    return path;
  }
  const UniqueDir dir(::opendir(directory_.c_str()));
  if (!dir) return std::nullopt;
  const std::string glob = name_glob(name_pattern_, uses_pid_);
  std::optional<std::string> newest;
  time_t newest_time = 0;
  while (const dirent* entry = ::readdir(dir.get())) {
    if (::fnmatch(glob.c_str(), entry->d_name, FNM_PERIOD) != 0) continue;
    struct stat info {};
    if (::fstatat(::dirfd(dir.get()), entry->d_name, &info, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(info.st_mode) || info.st_mtime < since || info.st_mtime < newest_time ||
        !is_core_file(::dirfd(dir.get()), entry->d_name)) {
      continue;
    }
    newest = directory_ + "/" + entry->d_name;
    newest_time = info.st_mtime;
  }
  return newest;
}

CrashReport CoreCapture::take(int signal, const std::string& executable) {
  if (!unavailable_reason_.empty()) return crash_without_stack(signal, unavailable_reason_);
  const auto core = find_core();
  if (!core) {
    return crash_without_stack(
        signal, "no core appeared in " + directory_ + " (core_pattern `" + name_pattern_ +
                    "`): the test may lack write access there, or have changed "
                    "its working directory");
  }
  CrashReport crash = crash_from_core(*core, executable);
  if (crash.signal == 0) crash.signal = signal;
  // Read: it goes, so that a build tree does not fill with cores.
  ::unlink(core->c_str());
  return crash;
}

void CoreCapture::discard() {
  if (const auto core = find_core()) ::unlink(core->c_str());
}

}  // namespace isotest
