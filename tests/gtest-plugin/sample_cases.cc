// The GoogleTest binary the plugin tests run under isotest, built twice from this source: with
// the plugin (ISOTEST_SAMPLE_WITH_PLUGIN, linking IsoTest::gtest) and without it. Each case does
// one thing the result's `cases` must describe; a case prints what it is about to do, so the
// tests compare `cases` with what really happened (lines, messages) rather than with constants.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#ifdef ISOTEST_SAMPLE_WITH_PLUGIN
#include <isotest/gtest.h>
#endif

namespace {

TEST(Basic, Passes) {
  RecordProperty("answer", "42");
  EXPECT_EQ(6 * 7, 42);
}

TEST(Basic, FailsTwice) {
  // clang-format off
  std::printf("failure at %d\n", __LINE__); EXPECT_EQ(1 + 1, 3) << "first failure";
  std::printf("failure at %d\n", __LINE__); ADD_FAILURE() << "second failure";
  // clang-format on
}

TEST(Basic, Skips) {
  GTEST_SKIP() << "no GPU here";
}

TEST(Basic, DISABLED_Later) {
  FAIL() << "a disabled case must not run";
}

TEST(Crash, Segfault) {
  std::puts("about to segfault");
  std::fflush(stdout);
  std::raise(SIGSEGV);
}

// Named after what they do: the crash site in the result must name them (issue 14). Not
// inlined, so that each keeps its own frame in an optimised build. UBSan's null check is off
// here: in the sanitizer build it would end the case (-fno-sanitize-recover) before the store
// faults, and the fault is what the crash site and ASan's own report are about.
[[gnu::noinline]] __attribute__((no_sanitize("null"))) void dereference_a_null_pointer() {
  volatile int* volatile pointer = nullptr;  // volatile: no compiler may prove the store away
  std::puts("about to dereference a null pointer");
  std::fflush(stdout);
  *pointer = 42;
}

[[gnu::noinline]] void give_up_with_abort() {
  std::abort();
}

TEST(Crash, Aborts) {
  give_up_with_abort();
}

TEST(Crash, NullPointer) {
  dereference_a_null_pointer();
}

TEST(Exit, Early) {
  std::exit(0);  // RUN_ALL_TESTS() never returns
}

TEST(Hang, Forever) {
  std::puts("hanging");
  std::fflush(stdout);
  while (true) ::pause();
}

TEST(Memory, Hog) {
  std::vector<char*> blocks;
  for (int i = 0; i < 4096; ++i) {  // 4 GiB at most, 1 MiB at a time, every page touched
    char* block = static_cast<char*>(std::malloc(1 << 20));
    ASSERT_NE(block, nullptr);
    std::memset(block, 1, 1 << 20);
    blocks.push_back(block);
  }
  FAIL() << "4 GiB allocated: no memory limit stopped this case";
}

TEST(After, Runs) {
  SUCCEED();
}

#ifdef ISOTEST_SAMPLE_WITH_PLUGIN
// What the in-sandbox API says, for the test to compare with the run's options.
TEST(Api, PrintsWhereItRuns) {
  const auto limits = isotest::applied_limits();
  std::printf("under_isotest=%d memory=%llu pids=%llu network=%s timeout_ms=%lld scratch=%s\n",
              isotest::under_isotest() ? 1 : 0,
              static_cast<unsigned long long>(limits.memory_max_bytes.value_or(0)),
              static_cast<unsigned long long>(limits.pids_max.value_or(0)), limits.network.c_str(),
              static_cast<long long>(limits.timeout ? limits.timeout->count() : -1),
              isotest::scratch_directory().c_str());
}

// Needs for --gtest_list_tests with ISOTEST_LIST_NEEDS (contract 3).
ISOTEST_SUITE_NEEDS(Memory, isotest::needs::memory("1G"), isotest::needs::pids(32));
ISOTEST_NEEDS(Memory, Hog, isotest::needs::memory("96M"),
              isotest::needs::timeout(std::chrono::seconds(30)));
ISOTEST_NEEDS(Hang, Forever, isotest::needs::network("none"));
#endif

}  // namespace

// Its own main, so that one build can pretend to be a binary that ignores sharding.
int main(int argc, char** argv) {
  if (std::getenv("SAMPLE_IGNORE_SHARDING") != nullptr) {
    ::unsetenv("GTEST_TOTAL_SHARDS");
    ::unsetenv("GTEST_SHARD_INDEX");
    ::unsetenv("GTEST_SHARD_STATUS_FILE");
  }
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
