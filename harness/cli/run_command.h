// `isotest run` after its arguments are parsed: one sandboxed run, what it prints on stderr, its
// JSON result and its exit status.
#pragma once

#include <string>

#include "result.h"
#include "sandbox_run.h"  // stop_line
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
