// How the sandbox side reports a setup failure to the launcher: a fixed-size record written once
// to a close-on-exec pipe. Fixed size and no allocation, so it is safe to fill between clone and
// execve; a record that never arrives means execve succeeded.
#pragma once

#include <cstddef>

namespace isotest {

struct ChildError {
  char stage[160] = {};
  int error_number = 0;
};

// Copies `stage` (and ` detail`, if given), truncating; async-signal-safe.
void set_child_error(ChildError& error, const char* stage, const char* detail, int error_number);

// Writes the record to `fd` and ignores failure: the launcher treats a missing record as success
// of exec, and an exit status of 125 without a record as an unexplained failure.
void send_child_error(int fd, const ChildError& error);

}  // namespace isotest
