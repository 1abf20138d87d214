// Sandbox side of the mount namespace: the mount plan (plan/mount_plan.h) applied inside the
// sandbox's private mount namespace, in order. Nothing here is visible outside the sandbox,
// because the first step makes every mount private.
#pragma once

#include "child_error.h"
#include "mount_plan.h"

namespace isotest {

// Sandbox side. Allocation-free: runs between clone and execve. Bind sources are captured
// (open_tree) right after propagation is made private, before anything is mounted over them, so
// a source or working directory under /tmp is the host's, not the empty new /tmp.
bool apply_mount_plan(const MountPlan& plan, ChildError& error);

}  // namespace isotest
