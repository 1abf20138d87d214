// Privileges the test starts with: no_new_privs always, and no capabilities at all unless the
// caller asked for root inside (--root). Sandbox side: async-signal-safe, run in the test's
// process between fork and execve.
#pragma once

#include "child_error.h"

namespace isotest {

// PR_SET_NO_NEW_PRIVS: execve never grants privileges again (setuid bits and file capabilities
// are ignored). It is also what lets an unprivileged process install a seccomp filter.
bool set_no_new_privs(ChildError& error);

// Empties the bounding set (else execve as uid 0 would hand every capability back), clears the
// ambient set, then the effective, permitted and inheritable sets. Without CAP_SETPCAP (a
// caller that shares the host's user namespace and is not root) the bounding set cannot be
// touched, which is harmless: no_new_privs stops execve from granting anything from it.
// Fails only when a capability is still held afterwards.
bool drop_all_capabilities(ChildError& error);

}  // namespace isotest
