// The mount plan: built as data in the launcher (testable without root), then applied inside the
// sandbox's private mount namespace, in order. Nothing here is visible outside the sandbox,
// because the first step makes every mount private.
#pragma once

#include <string>
#include <vector>

#include "child_error.h"
#include "host_paths.h"
#include "spec.h"

namespace isotest {

struct MountOp {
  enum class Kind {
    make_private,    // MS_REC|MS_PRIVATE on /: stop propagation back to the host
    read_only_tree,  // TARGET and every mount below it read-only (--read-only: /; always /sys)
    proc,            // fresh procfs for the new PID namespace
    tmpfs,           // fresh tmpfs
    mqueue,          // fresh POSIX message queue fs for the new IPC namespace
    bind,            // SOURCE's tree, as the host shows it before any of our mounts, on TARGET
    cover,           // TARGET's tree as it is at this step (our procfs) bound on itself, so it
                     // can get its own flags; read-only applies to TARGET's mount only
  };
  Kind kind;
  std::string source;
  std::string target;
  std::string options;  // fs data, e.g. "mode=1777,size=1048576"
  bool read_only = false;
  bool skip_if_missing = false;  // defaults that hosts may lack (/dev/mqueue); never user mounts
  bool create_target = false;    // TARGET lies in a tmpfs of ours: make it, it is not the host's
  std::string description;       // "mount tmpfs on /tmp": the stage named in errors
};

struct MountPlan {
  std::vector<MountOp> ops;
};

// `needed` is what the command line needs from the host (host_paths_needed(): the working
// directory, the executable, ...). The plan binds back at the same path those of them that its
// fresh mounts would hide, or that must stay writable under --read-only, as paths_to_keep()
// decides. Bind sources must already be absolute (the CLI resolves them against the caller's
// cwd).
MountPlan plan_mounts(const SandboxSpec& spec, const std::vector<NeededPath>& needed);

// Sandbox side. Allocation-free: runs between clone and execve. Bind sources are captured
// (open_tree) right after propagation is made private, before anything is mounted over them, so
// a source or working directory under /tmp is the host's, not the empty new /tmp.
bool apply_mount_plan(const MountPlan& plan, ChildError& error);

}  // namespace isotest
