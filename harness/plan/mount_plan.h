// The mount plan, as data: built before the clone (testable without root), then applied inside
// the sandbox's private mount namespace, in order (sandbox/mounts.h).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "host_paths.h"
#include "setup_stage.h"
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
  bool run_directory = false;    // a bind whose SOURCE is a directory of this run's own, made for
                                 // it on the host (replace_tmpfs_with_directory): mount points
                                 // may be made in it as in a tmpfs of ours
  std::string description;       // "mount tmpfs on /tmp": the stage named in errors
  // How a failure is told apart (its hint): a fresh procfs or tmpfs, a bind the user or an
  // extension asked for, or any other step of the plan (the host paths kept visible among them).
  SetupStage stage = SetupStage::mount;
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

// Adds a bind of `bind.source` on `bind.target` after the plan's own mounts at the same depth
// (so after its parents), as plan_mounts() places the spec's binds. Launch extensions use it
// (issue 13). Nothing with a shared mount namespace, where the plan is empty.
void add_bind(MountPlan& plan, const BindMount& bind);

// Puts `directory`, a host directory made for this run alone, on `target` in place of the plan's
// fresh tmpfs there, so that what the sandbox writes there outlives it (a launch extension's:
// the files a test leaves in /tmp). It hides the host's `target` as the tmpfs would, the binds
// that keep host paths visible below it stay, and mount points may be made in it. Nothing when
// the plan has no tmpfs on `target` (a shared mount namespace).
void replace_tmpfs_with_directory(MountPlan& plan, const std::string& target,
                                  const std::string& directory);

// Drops the optional mounts (/dev/mqueue, /sys/fs/cgroup, ...) whose target `exists` says this
// host lacks, so that the plan -- and the result -- list only what is really mounted.
void drop_missing_targets(MountPlan& plan, const std::function<bool(const std::string&)>& exists);

}  // namespace isotest
