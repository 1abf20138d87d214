// One case that passes and one that skips, for the check that isotest_no_skip_gtest_main fails
// such a run (tests/CMakeLists.txt).
#include <gtest/gtest.h>

TEST(Sample, Passes) {
  SUCCEED();
}

TEST(Sample, Skips) {
  GTEST_SKIP() << "skipped on purpose";
}
