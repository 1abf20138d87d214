// The stacks of a dump, and a crash site, as a few lines a person reads in a CI log: one per
// thread, innermost frame first. Shown on stderr by `isotest run` and in the JUnit of `isotest
// report` and `isotest gtest`.
#pragma once

#include <string>
#include <vector>

#include "diagnostics.h"

namespace isotest {

// "stacks at the timeout (ptrace+libdwfl, 12.3 ms):", then per process and thread:
// "  process 2 `./hang` (S)" and
// "    thread 3 `worker` S in futex_wait_queue: lock_b_then_a (hang.cc:30) < start_thread < ...".
std::vector<std::string> stack_summary(const StackDump& dump);

// "crashed in dereference_a_null_pointer() at sample_cases.cc:60: SIGSEGV (SEGV_MAPERR) at 0x0,
// thread 2 (from the plugin)", then the frames on one line; without a stack, why there is none.
std::vector<std::string> crash_summary(const CrashReport& crash);

}  // namespace isotest
