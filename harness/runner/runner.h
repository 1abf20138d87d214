// `isotest gtest`: runs every case of a GoogleTest binary in its own sandbox, many at once.
//
// Each case's sandbox (BINARY --gtest_filter=CASE) is launched from this process through the
// launcher, with the extensions of `isotest run` (run/sandbox_run.h), and supervised from one
// Asio loop on the one thread, so that every clone happens in a single-threaded process: each
// sandbox's events through one fd (RunningSandbox::event_fd), a timer for progress and silent
// cases, a signal set for Ctrl-C. No thread and no process of isotest's own per test.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "gtest_request.h"
#include "spec.h"

namespace isotest {

// The exit status of `isotest gtest`: 0 every case passed (or was flaky or skipped), 1 a case
// failed, 125 isotest itself failed, 130 interrupted.
int run_gtest(const GtestRequest& request, const SandboxOptionsParser& parse_options);

}  // namespace isotest
