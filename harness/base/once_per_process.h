// Chores that one pass per process covers: removing what launchers that were killed before
// this process started left behind (stale cgroups, scratch directories). `isotest gtest`
// launches every case from one process; sweeping before each of its launches repeated the
// same directory listings for nothing.
#pragma once

#include <string>

namespace isotest {

// True the first time `chore` is asked for in this process, false after. Thread-safe.
bool first_time_in_process(const std::string& chore);

}  // namespace isotest
