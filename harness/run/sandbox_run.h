// One sandboxed run as isotest makes it, for both of its callers (`isotest run`, and each case of
// `isotest gtest`, in its own process): the launch extensions every run takes part in, in their
// order, and the lines isotest prints about a finished run.
#pragma once

#include <array>
#include <span>
#include <string>
#include <vector>

#include "artifacts_keeper.h"
#include "forensics.h"
#include "gtest_extension.h"
#include "launch_extension.h"
#include "network_lab.h"
#include "result.h"
#include "spec.h"

namespace isotest {

// GoogleTest binaries get their cases and status rules (gtest/), a run with --capture, --net-* or
// --service its network lab (netlab/), a run that times out its stacks and a run with
// --artifacts its kept files (forensics/). Forensics comes after GoogleTest, whose crash report it
// completes, and hands the artifacts its stack dump and core. The artifacts come last: they leave
// out the mount points the others make in /tmp, and keep by the status the others have settled.
class SandboxRunExtensions {
 public:
  // `environment` is the caller's (environ); it must outlive the object, as `spec`'s parts the
  // extensions keep do not need to.
  SandboxRunExtensions(const SandboxSpec& spec, char* const* environment);
  SandboxRunExtensions(const SandboxRunExtensions&) = delete;
  SandboxRunExtensions& operator=(const SandboxRunExtensions&) = delete;
  ~SandboxRunExtensions() = default;

  [[nodiscard]] std::span<LaunchExtension* const> list() const { return list_; }

 private:
  GtestExtension gtest_;
  NetworkLab netlab_;
  // Declared before forensics_, which hands it the stack dump and the core.
  ArtifactsKeeper artifacts_;
  Forensics forensics_;
  std::array<LaunchExtension*, 4> list_;
};

// What isotest did to the test, in one line for stderr, so that a CTest log says it: the stop
// (a timeout, a signal isotest received, the seccomp filter), an OOM kill, the task limit hit.
// "NAME: stopped: out of memory (limit 256 MiB, peak 256.0 MiB)". Empty when it did none of
// these.
std::string stop_line(const RunResult& result);

// "<what failed>" and "hint: ..." for a setup error; for a sandbox that could not be built, the
// hint also points to `isotest doctor`, which checks every cause.
std::vector<std::string> setup_error_lines(const SetupError& error,
                                           RunStatus status = RunStatus::passed);

// Everything isotest says about a finished run, without the "isotest: " of each line: its setup
// error, the limits it ran without (--allow-degraded), its stop line, where a timed-out test was
// stuck and where a crashed one died (the result file may never be looked at).
std::vector<std::string> run_messages(const RunResult& result);

}  // namespace isotest
