// How a feature joins a launch without the launcher knowing it (GoogleTest support in gtest/,
// and later forensics and the network lab): the caller of run_sandboxed() passes extensions,
// and the launcher calls each of them at four points of the launch, in the order given.
//
//   adjust       before the clone: add binds, variables, inherited fds and sandbox steps to
//                the plan (plan/launch_plan.h says what a SandboxStep may do).
//   watch        after the clone, once the sandbox is released: the fds the supervision loop
//                should watch for the extension, each with what to do when it is readable.
//   before_stop  the launcher is about to stop the sandbox (timeout, termination signal,
//                seccomp kill), before it sends any signal: the test is still as it was.
//   finish       the run is over and classified: derive the extension's part of the result.
//
// and, where it needs them, at two more:
//
//   stop_request after each round of the supervision loop: a reason to stop the test now (a
//                service it needs has exited), once; the launcher stops it as for a timeout.
//   explain      a sandbox step failed: the extension words the error of its own steps (the
//                ChildError's stage is the step's), so that the message names the fix.
//
// Every method runs in the launcher's process, on its thread; a SetupFailure thrown by adjust
// ends the run as a sandbox_error. finish is called only for runs whose sandbox was started.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <vector>

#include "cgroup.h"
#include "child_error.h"
#include "launch_plan.h"
#include "result.h"

namespace isotest {

struct WatchedFd {
  int fd = -1;
  // Reads what is there (the fd is non-blocking, or made so by the extension); returns false at
  // end of file, when the launcher stops watching the fd. Called again while the launcher
  // drains the fds after the sandbox's init has exited.
  std::function<bool()> on_readable;
};
using FdWatchList = std::vector<WatchedFd>;

// The sandbox as the launcher holds it while it runs.
struct SandboxHandle {
  pid_t init_pid = -1;             // the sandbox's init, in isotest's PID namespace
  int pidfd = -1;                  // of init
  const Cgroup* cgroup = nullptr;  // null when the run has no cgroup; its procs are the test tree
};

class LaunchExtension {
 public:
  LaunchExtension() = default;
  LaunchExtension(const LaunchExtension&) = delete;
  LaunchExtension& operator=(const LaunchExtension&) = delete;
  virtual ~LaunchExtension() = default;

  virtual void adjust(LaunchPlan& /*plan*/) {}
  virtual void watch(FdWatchList& /*fds*/) {}
  virtual void before_stop(const SandboxHandle& /*sandbox*/, KillReason /*why*/) {}
  virtual void finish(RunResult& /*result*/) {}

  virtual std::optional<HarnessKill> stop_request() { return std::nullopt; }
  [[nodiscard]] virtual std::optional<SetupError> explain(const ChildError& /*error*/) const {
    return std::nullopt;
  }
};

}  // namespace isotest
