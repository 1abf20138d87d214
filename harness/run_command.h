// `isotest run` after its arguments are parsed: one sandboxed run, what it prints on stderr, its
// JSON result and its exit status. Shared by the program's `run` and by `isotest gtest`, whose
// cases each run it in a forked copy of the runner.
#pragma once

#include "result.h"
#include "setup_error.h"
#include "spec.h"

namespace isotest {

// Runs `spec`, prints what a person needs to know on stderr, writes --json, and returns the exit
// status `isotest run` exits with.
int run_command(const SandboxSpec& spec, char* const* environment);

// "isotest: <what failed>" and the hint on stderr; for a sandbox that could not be built, also a
// pointer to `isotest doctor`, which checks every cause.
void report_setup_error(const SetupError& error, RunStatus status = RunStatus::passed);

}  // namespace isotest
