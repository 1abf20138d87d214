// The sandbox side of a launch, from clone to init: the checklist of steps that build the
// sandbox from inside, in order. Every step is allocation-free and reports failure as a
// ChildError; the launcher turns that into a `sandbox_error` result.
#pragma once

#include "init.h"
#include "mounts.h"
#include "spec.h"

namespace isotest {

struct SandboxChildPlan {
  int release_fd = -1;        // read end: one byte once the launcher has set us up; EOF if it died
  int release_write_fd = -1;  // the launcher's end, closed at once so that EOF can happen
  int stdout_fd = -1;         // capture pipes, or -1 to keep the inherited stdio
  int stderr_fd = -1;
  const MountPlan* mounts = nullptr;  // null with a shared mount namespace
  NetworkMode network = NetworkMode::host;
  const char* hostname = nullptr;        // null with a shared UTS namespace
  const int* join_cgroup_fds = nullptr;  // cgroup v1 `tasks` files to write "0" to
  int join_cgroup_count = 0;
  bool new_cgroup_namespace = false;  // entered once the launcher has placed us in our cgroup
  // The launcher process's fds that are not this launch's (those of other sandboxes and of the
  // caller's own machinery, when one process runs many): closed first thing, so that init does
  // not hold them for the whole run.
  const int* close_fds = nullptr;
  int close_fd_count = 0;
  InitPlan init;
};

[[noreturn]] void run_sandbox_child(const SandboxChildPlan& plan);

}  // namespace isotest
