// `isotest gtest`: runs every case of a GoogleTest binary in its own sandbox, many at once.
//
// Each sandbox is a child `isotest run ... --json F -- BINARY --gtest_filter=CASE` (so every
// clone happens in a process that is single-threaded), supervised from one Asio loop: the
// children's output through async pipes, their exits through pidfds, a timer for progress and
// silent cases, a signal set for Ctrl-C. No thread per test.
#pragma once

#include "gtest_request.h"

namespace isotest {

// The exit status of `isotest gtest`: 0 every case passed (or was flaky or skipped), 1 a case
// failed, 125 isotest itself failed, 130 interrupted.
int run_gtest(const GtestRequest& request);

}  // namespace isotest
