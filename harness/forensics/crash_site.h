// Where a test crashed (issue 14): the crashing thread's frames named with libdwfl, offline --
// the process is gone by then -- from what the plugin's fatal-signal handler reported (return
// addresses and the modules they lie in) or from a core file the kernel wrote.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "diagnostics.h"

namespace isotest {

// Names the frames of a crash the plugin reported (their pcs, innermost first: the interrupted
// instruction, then return addresses), each of `crash.modules` placed at its base with
// dwfl_report_elf. A pc outside every module keeps its address only.
void name_frames(CrashReport& crash);

// The crash in the core file open at `core_fd` (ET_CORE): the signal, code and address of its
// NT_SIGINFO note, and the stack of the thread that dumped it (the first NT_PRSTATUS), unwound by
// libdwfl (dwfl_core_file_report, dwfl_core_file_attach). `executable` helps find the modules.
// Source "core"; on failure the reason is in unavailable_reason and frames are empty.
CrashReport crash_from_core(int core_fd, const std::string& executable);

// The variable that tells a run's core from another's: isotest gives each run a random value of
// it, and the crashed process's core holds the environment it was started with.
inline constexpr const char* kRunIdVariable = "ISOTEST_RUN_ID";

// The value of kRunIdVariable in the environment the process of the core open at `core_fd` was
// started with: execve puts the environment strings at the top of the new stack, just below the
// file name that the auxiliary vector's AT_EXECFN points at (fs/binfmt_elf.c,
// create_elf_tables), and the core holds that stack (anonymous private memory, which the default
// coredump_filter dumps). Empty when the file is not a core or its process had no such variable.
std::string run_id_of_core(int core_fd);

// A crash known only by its signal (source "none"), and why there is no more.
CrashReport crash_without_stack(int signal, std::string reason);

// A signal whose crash site is worth recording: SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT.
bool is_crash_signal(int signal);

}  // namespace isotest
