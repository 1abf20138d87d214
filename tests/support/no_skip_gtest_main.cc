// main() of isotest's own GoogleTest binaries, in place of GTest::gtest_main: a run in which a
// case called GTEST_SKIP() fails, naming the skipped cases. A binary that skipped cases still
// exits 0 under GoogleTest's own main, so CTest would show the test as Passed while some of it
// never ran. A CTest test picks the cases the machine can run instead (a --gtest_filter chosen
// from what it offers), or the whole test exits 77 and CTest shows it as Skipped.
#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <vector>

namespace {

std::vector<std::string> skipped_cases(const testing::UnitTest& unit) {
  std::vector<std::string> names;
  for (int suite_index = 0; suite_index < unit.total_test_suite_count(); ++suite_index) {
    const testing::TestSuite& suite = *unit.GetTestSuite(suite_index);
    for (int case_index = 0; case_index < suite.total_test_count(); ++case_index) {
      const testing::TestInfo& test = *suite.GetTestInfo(case_index);
      if (test.should_run() && test.result()->Skipped()) {
        names.push_back(std::string(test.test_suite_name()) + "." + test.name());
      }
    }
  }
  return names;
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  const int status = RUN_ALL_TESTS();
  const auto skipped = skipped_cases(*testing::UnitTest::GetInstance());
  if (skipped.empty()) return status;
  std::cerr << "error: " << skipped.size()
            << " case(s) skipped, which would pass unseen; leave them out with --gtest_filter "
               "where this machine cannot run them (see tests/integration/CMakeLists.txt):\n";
  for (const auto& name : skipped) std::cerr << "  " << name << "\n";
  return 1;
}
