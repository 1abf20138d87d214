// IsoTest::gtest_main: GoogleTest's main(), for binaries that link it in place of
// GTest::gtest_main. The listener installs itself (listener.cc); this only runs the tests.
#include <gtest/gtest.h>

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
