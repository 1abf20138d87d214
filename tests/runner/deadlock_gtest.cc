// A GoogleTest binary whose one case deadlocks two threads (deadlock_threads.h): `isotest gtest`
// must take both threads' stacks when the case reaches its timeout (issue 14).
#include <gtest/gtest.h>

#include "deadlock_threads.h"

TEST(Deadlock, TwoThreads) {
  deadlock_two_threads();
}

// Its own main(), like the sample: built without sanitizers, it cannot link the suite's
// (sanitized) no-skip main, and its one case never skips.
int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
