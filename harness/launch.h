// The launcher side of one sandboxed run: clone into the namespaces, write the id maps, release
// the sandbox, then supervise it in one poll loop (pidfd, timerfd, signalfd, output pipes)
// until the test is done, and collect the result.
#pragma once

#include "result.h"
#include "spec.h"

namespace isotest {

// `environment` is the caller's (environ). Never throws; setup failures become sandbox_error.
// Must be called while the process is single-threaded: the sandbox side runs between clone and
// execve and may only use what was prepared before the clone.
RunResult run_sandboxed(const SandboxSpec& spec, char* const* environment);

}  // namespace isotest
