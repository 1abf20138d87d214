// Cores of a test that crashed without the plugin (issue 14). The kernel writes one where the
// host's core_pattern (core(5)) says -- a plain file, or a pipe to a host program such as
// systemd-coredump or apport -- and only if the process's RLIMIT_CORE allows it. isotest lets a
// test dump core when the pattern writes a file, finds that file after the run, reads the crash
// site from it (crash_site.h) and removes it.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <optional>
#include <string>

#include "diagnostics.h"
#include "launch_plan.h"
#include "spec.h"
#include "unique_fd.h"

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

// The core a crash of this run left, open; the file is gone from where the kernel put it.
struct RunCore {
  UniqueFd file;
  std::string name;  // the file name the kernel gave it: "core", "core.1234"
};

// One run's core: where it would go decided before the clone, the limit raised inside the
// sandbox, the file taken after the run.
//
// A relative core_pattern puts the core in the crashing process's working directory, which in
// the sandbox is the host's directory (docs/cli.md: Working directory): runs in one directory at
// once (ctest -j, isotest gtest -j) give their cores the same name, and the kernel replaces an
// existing file of that name (do_coredump unlinks it first). core_pattern and core_uses_pid are
// the host's (and %p and core_uses_pid give the pid inside the sandbox's PID namespace, the same
// in every sandbox), so the name cannot tell the runs apart: each run puts a random
// ISOTEST_RUN_ID into the test's environment and takes only the core that holds its own.
class CoreCapture {
 public:
  // `working_directory`: the test's, as the host names it (the sandbox sees the same path).
  CoreCapture(CoreMode mode, const std::string& working_directory);

  // Sets the test's ISOTEST_RUN_ID and, only when a core would be a file isotest can read, adds
  // a sandbox step that raises the RLIMIT_CORE of the sandbox's init before it starts the test,
  // which inherits it.
  void adjust(LaunchPlan& plan);

  // After a crash: this run's core, removed from where the kernel put it (so that a build tree
  // does not fill with cores); nullopt, and unavailable_reason() says why, when there is none. A
  // core of another run, or one isotest did not ask for, stays where it is.
  std::optional<RunCore> take();

  // Why there is no core; empty while one is expected.
  [[nodiscard]] const std::string& unavailable_reason() const { return unavailable_reason_; }

 private:
  std::string run_id_;
  std::string directory_;     // where the kernel writes the core
  std::string name_pattern_;  // the file name part of core_pattern
  bool uses_pid_ = false;
  std::string unavailable_reason_;  // why no core is expected
  rlimit core_limit_{};             // the sandbox step's context: the test's RLIMIT_CORE
};

}  // namespace isotest
