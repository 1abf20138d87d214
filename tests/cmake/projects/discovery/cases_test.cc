// One GoogleTest binary with every kind of case that isotest_discover_tests() must map onto
// CTest: plain, failing, crashing, skipped and disabled cases, a typed suite, a typed suite
// instantiated by name, and a value-parameterized suite.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <string>

namespace {

std::string hostname() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

TEST(Plain, Passes) {
  EXPECT_EQ(1 + 1, 2);
}

TEST(Plain, Fails) {
  EXPECT_EQ(1 + 1, 3) << "fails on purpose";
}

TEST(Plain, Crashes) {
  std::raise(SIGSEGV);
}

TEST(Plain, Skips) {
  GTEST_SKIP() << "skipped on purpose";
}

TEST(Plain, DISABLED_Later) {
  FAIL() << "a disabled case must not run";
}

// Every case runs in a sandbox of its own, whose hostname is isotest's default.
TEST(Sandbox, HasOwnHostname) {
  EXPECT_EQ(hostname(), "isotest");
}

template <typename T>
class Typed : public testing::Test {};
using TypedTypes = testing::Types<int, char>;
TYPED_TEST_SUITE(Typed, TypedTypes);
TYPED_TEST(Typed, HasSize) {
  EXPECT_GT(sizeof(TypeParam), 0u);
}

template <typename T>
class Registered : public testing::Test {};
TYPED_TEST_SUITE_P(Registered);
TYPED_TEST_P(Registered, Works) {
  EXPECT_TRUE(sizeof(TypeParam) >= 1);
}
REGISTER_TYPED_TEST_SUITE_P(Registered, Works);
INSTANTIATE_TYPED_TEST_SUITE_P(My, Registered, testing::Types<long>);

class Even : public testing::TestWithParam<int> {};
TEST_P(Even, IsEven) {
  EXPECT_EQ(GetParam() % 2, 0);
}
INSTANTIATE_TEST_SUITE_P(Small, Even, testing::Values(2, 4));

}  // namespace
