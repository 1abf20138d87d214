// Every thread's user-space stack in a sandbox that is about to be signalled (issue 14): each
// thread is stopped with ptrace, /proc says what it is and where the kernel holds it, and
// elfutils' libdwfl unwinds it, with names and file:line from the binaries' symbols and DWARF.
#pragma once

#include <sys/types.h>

#include <chrono>

#include "diagnostics.h"

namespace isotest {

// Stops, reads and unwinds every process below `init_host_pid` (the sandbox's init, which is
// isotest's own and left out), then lets them go exactly as they were. Gives up once `budget`
// has passed, with `complete` false and the reason. Never throws.
//
// libdwfl rather than gdb in batch mode: it is a library (linked statically, no program to find
// on the host), it unwinds with the CFI like eu-stack, perf and systemd-coredump, and it does so
// in milliseconds where gdb takes seconds to load a large binary's symbols.
StackDump collect_stacks(pid_t init_host_pid, std::chrono::milliseconds budget);

}  // namespace isotest
