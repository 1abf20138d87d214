// Starts the `isotest run` of one case the way posix_spawn does: the child borrows the runner's
// memory (CLONE_VM) on a stack of its own until it calls execve, so the runner's pages are
// neither copied nor faulted in again for a process that replaces them at once. Boost.Process's
// launchers fork (a copy of the runner's page tables per case) or, with vfork, let Asio rebuild
// its reactor in the child, inside the parent's memory.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace isotest {

// Runs `program ARGUMENTS` with stdin from /dev/null, stdout on `stdout_fd` and stderr on
// `stderr_fd` (the same fd for merged output), an empty signal mask, default signal dispositions
// and SIGTERM when the runner dies. Returns the child's pid, or -1 with errno when it could not
// be started (an execve failure is the child's exit status 127).
pid_t start_case_process(const std::string& program, const std::vector<std::string>& arguments,
                         int stdout_fd, int stderr_fd);

}  // namespace isotest
