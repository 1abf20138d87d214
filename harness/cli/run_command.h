// `isotest run` after its arguments are parsed: one sandboxed run, what it prints on stderr, its
// JSON result and its exit status.
#pragma once

#include <string>

#include "result.h"
#include "setup_error.h"
#include "spec.h"

namespace isotest {

// Runs `spec`, prints what a person needs to know on stderr, writes --json, and returns the exit
// status `isotest run` exits with.
int run_command(const SandboxSpec& spec, char* const* environment);

// What isotest did to the test, in one line for stderr, so that a CTest log says it: the stop
// (a timeout, a signal isotest received, the seccomp filter), an OOM kill, the task limit hit.
// "NAME: stopped: out of memory (limit 256 MiB, peak 256.0 MiB)". Empty when it did none of
// these.
std::string stop_line(const RunResult& result);

// "isotest: <what failed>" and the hint on stderr; for a sandbox that could not be built, also a
// pointer to `isotest doctor`, which checks every cause.
void report_setup_error(const SetupError& error, RunStatus status = RunStatus::passed);

}  // namespace isotest
