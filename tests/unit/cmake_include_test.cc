// `isotest cmake-include`: which IsoTestWrapProject.cmake belongs to a program, by where the
// program is (an install prefix, this build tree, or anywhere else).
#include "cmake_include.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace isotest {
namespace {

namespace fs = std::filesystem;

class CmakeInclude : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/isotest-cmake-include-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    prefix_ = fs::canonical(pattern);
    fs::create_directories(prefix_ / "bin");
    std::ofstream(prefix_ / "bin/isotest") << "";
  }
  void TearDown() override { fs::remove_all(prefix_); }
  fs::path prefix_;
};

TEST_F(CmakeInclude, InstalledProgramFindsTheFileBesideThePackage) {
  const fs::path package = prefix_ / "lib/cmake/IsoTest";
  fs::create_directories(package);
  std::ofstream(package / "IsoTestWrapProject.cmake") << "isotest_wrap_tests()\n";
  EXPECT_EQ(cmake_include_file(prefix_ / "bin/isotest"), package / "IsoTestWrapProject.cmake");
  // Through a symlink to the program, as from /usr/local/bin: the program's real place counts.
  fs::create_directories(prefix_ / "elsewhere");
  fs::create_symlink(prefix_ / "bin/isotest", prefix_ / "elsewhere/isotest");
  EXPECT_EQ(cmake_include_file(prefix_ / "elsewhere/isotest"),
            package / "IsoTestWrapProject.cmake");
}

TEST_F(CmakeInclude, ProgramOutsideAPrefixAndTheBuildTreeHasNone) {
  EXPECT_EQ(cmake_include_file(prefix_ / "bin/isotest"), std::nullopt);
}

TEST(CmakeIncludeBuildTree, ProgramOfThisBuildTreeGetsTheSourceTreesFile) {
  EXPECT_EQ(cmake_include_file(ISOTEST_BUILD_TREE_PROGRAM),
            fs::path(ISOTEST_SOURCE_DIR) / "cmake/IsoTestWrapProject.cmake");
}

}  // namespace
}  // namespace isotest
