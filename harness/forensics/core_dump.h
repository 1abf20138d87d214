// Cores of a test that crashed without the plugin (issue 14). The kernel writes one where the
// host's core_pattern (core(5)) says -- a plain file, or a pipe to a host program such as
// systemd-coredump or apport -- and only if the process's RLIMIT_CORE allows it. isotest lets a
// test dump core when the pattern writes a file, finds that file after the run, reads the crash
// site from it (crash_site.h) and removes it.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>

#include "diagnostics.h"
#include "launch_plan.h"
#include "spec.h"

namespace isotest {

// /proc/sys/kernel/core_pattern and core_uses_pid. The pattern is global, not per namespace:
// the sandbox's crashes go where the host's do.
struct CorePattern {
  std::string pattern;  // empty when unreadable or empty
  bool uses_pid = false;
  [[nodiscard]] bool pipes() const { return pattern.starts_with('|'); }
  // The program a piped pattern hands cores to ("/usr/lib/systemd/systemd-coredump").
  [[nodiscard]] std::string pipe_program() const;
};
CorePattern read_core_pattern();

// What the pattern means for isotest, in one sentence (doctor, unavailable_reason).
std::string describe_core_pattern(const CorePattern& pattern);

// RLIMIT_CORE for the test: bounded, so that a huge process does not fill the disk; the stack of
// the crashing thread is near the start of the dump anyway.
constexpr std::uint64_t kCoreLimitBytes = 256ULL * 1024 * 1024;

// One run's core: where it would go decided before the clone, the limit raised inside the
// sandbox, the file taken after the run.
class CoreCapture {
 public:
  // `working_directory`: the test's, as the host names it (the sandbox sees the same path).
  CoreCapture(CoreMode mode, const std::string& working_directory);

  // Only when a core would be a file isotest can read: a sandbox step that raises the
  // RLIMIT_CORE of the sandbox's init before it starts the test, which inherits it.
  void adjust(LaunchPlan& plan);

  // After the run: the crash site from the core the test left, which is then removed; otherwise
  // a report with source "none" and the reason.
  CrashReport take(int signal, const std::string& executable);

  // Removes the core a crash left when another source (the plugin) described it.
  void discard();

 private:
  [[nodiscard]] std::optional<std::string> find_core() const;

  std::string directory_;     // where the kernel writes the core
  std::string name_pattern_;  // the file name part of core_pattern
  bool uses_pid_ = false;
  bool allowed_ = false;
  std::string unavailable_reason_;  // why no core is expected
  rlimit core_limit_{};             // the sandbox step's context: the test's RLIMIT_CORE
  std::chrono::system_clock::time_point started_ = std::chrono::system_clock::now();
};

}  // namespace isotest
