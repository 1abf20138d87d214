#include "output_capture.h"

#include <gtest/gtest.h>

namespace isotest {
namespace {

TEST(OutputCapture, KeepsEverythingUnderTheLimit) {
  OutputCapture capture(100);
  capture.append("hello ");
  capture.append("world");
  auto out = capture.finish();
  EXPECT_EQ(out.text, "hello world");
  EXPECT_EQ(out.total_bytes, 11U);
  EXPECT_FALSE(out.truncated);
}

TEST(OutputCapture, KeepsHeadAndTailOfAFlood) {
  OutputCapture capture(8);
  capture.append("HEAD");
  for (int i = 0; i < 1000; ++i) capture.append("middle");
  capture.append("TAIL");
  auto out = capture.finish();
  EXPECT_TRUE(out.truncated);
  EXPECT_EQ(out.total_bytes, 4U + 6000U + 4U);
  EXPECT_TRUE(out.text.starts_with("HEAD"));
  EXPECT_TRUE(out.text.ends_with("TAIL"));
  EXPECT_NE(out.text.find("6000 bytes omitted"), std::string::npos);
}

TEST(OutputCapture, TailSurvivesOneHugeChunk) {
  OutputCapture capture(10);
  capture.append(std::string(1'000'000, 'x') + "12345");
  auto out = capture.finish();
  EXPECT_TRUE(out.text.starts_with("xxxxx\n"));
  EXPECT_TRUE(out.text.ends_with("12345"));
}

TEST(OutputCapture, ExactlyAtTheLimitIsNotTruncated) {
  OutputCapture capture(6);
  capture.append("abc");
  capture.append("def");
  auto out = capture.finish();
  EXPECT_FALSE(out.truncated);
  EXPECT_EQ(out.text, "abcdef");
}

}  // namespace
}  // namespace isotest
