#include "once_per_process.h"

#include <gtest/gtest.h>

namespace isotest {
namespace {

TEST(FirstTimeInProcess, EachChoreOnce) {
  EXPECT_TRUE(first_time_in_process("sweep /a"));
  EXPECT_FALSE(first_time_in_process("sweep /a"));
  EXPECT_TRUE(first_time_in_process("sweep /b"));
  EXPECT_FALSE(first_time_in_process("sweep /a"));
}

}  // namespace
}  // namespace isotest
