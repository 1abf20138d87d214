// The exit status of a command that never ran because execve(2) failed, one rule for every place
// that execs a command of the user's (the sandbox's init, the network lab's services) and for the
// result's launcher_exit_code (docs/cli.md, "Exit status").
#pragma once

#include <cerrno>

namespace isotest {

// 127 when the command was not found (ENOENT: no such file, or the interpreter of its `#!` line
// is missing); 126 for anything else that stops execve (EACCES, ENOEXEC, ...): found but not
// executable. The convention of POSIX shells, env(1) and timeout(1). A constant expression,
// safe between clone and execve.
constexpr int exit_code_for_exec_error(int error_number) {
  return error_number == ENOENT ? 127 : 126;
}

}  // namespace isotest
