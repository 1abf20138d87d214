// The launcher side of one sandboxed run: clone into the namespaces, write the id maps, release
// the sandbox, then supervise it in one poll loop (pidfd, timerfd, signalfd, output pipes)
// until the test is done, and collect the result.
#pragma once

#include <span>

#include "launch_extension.h"
#include "result.h"
#include "spec.h"

namespace isotest {

// Blocks, for the rest of the process, the signals the launcher turns into an orderly stop of
// the sandbox (SIGTERM, SIGINT, SIGHUP, SIGQUIT) or passes on to the test (SIGUSR1, SIGUSR2),
// and SIGPIPE. `isotest run` calls it first thing: a signal that comes before the launch is
// under way then waits for it, instead of killing isotest with no result and no message.
void block_forwarded_signals();

// `environment` is the caller's (environ). `extensions` join the launch as
// launch_extension.h describes, in this order. Never throws; setup failures become
// sandbox_error.
// Must be called while the process is single-threaded: the sandbox side runs between clone and
// execve and may only use what was prepared before the clone.
// A termination signal that came before the test was released (and was blocked meanwhile, see
// block_forwarded_signals) ends the run there: the test never starts, and the result says so.
RunResult run_sandboxed(const SandboxSpec& spec, char* const* environment,
                        std::span<LaunchExtension* const> extensions = {});

}  // namespace isotest
