// Time namespace: CLOCK_MONOTONIC and CLOCK_BOOTTIME offset for the test.
//
// The kernel accepts /proc/self/timens_offsets writes only before any process has entered the
// namespace. So init calls unshare(CLONE_NEWTIME) -- which moves only its future children --
// writes the offsets, and only then forks the test, which is the first process to enter.
#pragma once

#include <cstdint>

#include "child_error.h"

namespace isotest {

// Allocation-free; runs in init before it forks the test.
bool enter_time_namespace_for_children(std::int64_t offset_seconds, ChildError& error);

}  // namespace isotest
