// Where isotest keeps its short-lived files: GoogleTest's output files of one run, the runner's
// result files of each case.
#pragma once

#include <string>

namespace isotest {

// /dev/shm when it is a writable tmpfs, else $TMPDIR (from `environment`), else /tmp. Memory
// first: on a disk file system, creating, writing and removing a small file costs about a
// millisecond (ext4 here), and these files are made on every run.
std::string temporary_parent(char* const* environment);

}  // namespace isotest
