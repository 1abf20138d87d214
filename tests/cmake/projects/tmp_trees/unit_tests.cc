// Reads a file of the source tree through DATA_DIR, a path compiled in.
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

TEST(Sample, ReadsSourceData) {
  std::ifstream file(DATA_DIR "/input.txt");
  ASSERT_TRUE(file) << "cannot open " DATA_DIR "/input.txt";
  const std::string text{std::istreambuf_iterator<char>(file), {}};
  EXPECT_EQ(text, "data from the source tree\n");
}
