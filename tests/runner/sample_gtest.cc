// A GoogleTest binary with one case of every kind `isotest gtest` must tell apart: passing,
// failing, flaky, skipped, crashing, hanging, silent, port-binding, and one whose ISOTEST_NEEDS
// ask for a sandbox without network. The runner tests run it through isotest.
//
// ISOTEST_SAMPLE_HANG_WHILE_LISTING, ISOTEST_SAMPLE_CRASH_WHILE_LISTING and
// ISOTEST_SAMPLE_SLEEPER make its listing misbehave (below).
//
// ISOTEST_SAMPLE_STATE names a host directory (bound into the sandboxes) where the flaky case
// counts its attempts, so that "fails the first time" survives the sandbox.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;

// Fixed within one run of the tests; ISOTEST_SAMPLE_PORT lets concurrent test runs (root and
// nobody, side by side under ctest -j) pick different ones for the shared-network control.
std::uint16_t fixed_port() {
  const char* text = std::getenv("ISOTEST_SAMPLE_PORT");
  return static_cast<std::uint16_t>(text != nullptr ? std::atoi(text) : 47123);
}

std::string state_file(const char* name) {
  const char* directory = std::getenv("ISOTEST_SAMPLE_STATE");
  return directory == nullptr ? std::string() : std::string(directory) + "/" + name;
}

int bump_counter(const std::string& path) {
  int count = 0;
  {
    std::ifstream in(path);
    in >> count;
  }
  std::ofstream(path, std::ios::trunc) << ++count;
  return count;
}

// A static initialiser that starts a process while the cases are listed, as one that starts a
// helper daemon might: `sleep` named ISOTEST_SAMPLE_SLEEPER (its argv[0]), so the tests can look
// for it. It inherits stdout and stderr.
bool is_listing() {
  std::ifstream cmdline("/proc/self/cmdline");
  for (std::string word; std::getline(cmdline, word, '\0');) {
    if (word == "--gtest_list_tests") return true;
  }
  return false;
}

[[maybe_unused]] const bool kSleeperStarted = [] {
  const char* name = std::getenv("ISOTEST_SAMPLE_SLEEPER");
  if (name == nullptr || !is_listing()) return false;
  if (::fork() == 0) {
    ::execl("/bin/sleep", name, "600", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return true;
}();

// Binds 127.0.0.1:fixed_port() and holds it a while, so that two of these side by side on one
// network namespace would collide.
int bind_fixed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(fixed_port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int error = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, 1) != 0) {
    error = errno;
  } else {
    std::this_thread::sleep_for(1500ms);
  }
  ::close(fd);
  return error;
}

}  // namespace

TEST(Sample, Passes) {
  EXPECT_EQ(2 + 2, 4);
}

TEST(Sample, Fails) {
  EXPECT_EQ(2 + 2, 5) << "arithmetic is broken on purpose";
}

TEST(Sample, Flaky) {
  const std::string path = state_file("flaky.count");
  ASSERT_FALSE(path.empty()) << "set ISOTEST_SAMPLE_STATE to a directory bound into the sandbox";
  EXPECT_NE(bump_counter(path), 1) << "fails the first time only";
}

TEST(Sample, Skipped) {
  GTEST_SKIP() << "nothing to check here";
}

TEST(Sample, Crashes) {
  std::printf("about to abort\n");
  std::fflush(stdout);
  std::abort();
}

TEST(Sample, Quiet) {
  std::this_thread::sleep_for(1500ms);
}

TEST(Hang, One) {
  for (;;) ::pause();
}

TEST(Hang, Two) {
  for (;;) ::pause();
}

TEST(Port, BindA) {
  const int error = bind_fixed_port();
  EXPECT_EQ(error, 0) << "port " << fixed_port() << ": " << std::strerror(error);
}

TEST(Port, BindB) {
  const int error = bind_fixed_port();
  EXPECT_EQ(error, 0) << "port " << fixed_port() << ": " << std::strerror(error);
}

// Batch: the middle case crashes; the runner must pin the crash on it and run the last again.
TEST(Batch, First) {
  SUCCEED();
}
TEST(Batch, Second) {
  std::abort();
}
TEST(Batch, Third) {
  SUCCEED();
}

// Declared (when listed) to need `--network none`: loopback is down, so binding it fails.
// Leaves a log in its /tmp and a file in its outputs directory, then fails: under
// `isotest gtest --artifacts` both are kept in the case's own folder (issue 14).
TEST(Files, WriteAndFail) {
  std::FILE* log = std::fopen("/tmp/log.txt", "w");
  ASSERT_NE(log, nullptr);
  std::fputs("what the case did\n", log);
  std::fclose(log);
  const char* outputs = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  ASSERT_NE(outputs, nullptr) << "no TEST_UNDECLARED_OUTPUTS_DIR";
  std::FILE* trace = std::fopen((std::string(outputs) + "/trace.txt").c_str(), "w");
  ASSERT_NE(trace, nullptr);
  std::fputs("trace\n", trace);
  std::fclose(trace);
  ADD_FAILURE() << "fails on purpose, after writing its files";
}

TEST(Needs, Offline) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int result = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  const int error = errno;
  ::close(fd);
  EXPECT_NE(result, 0);
  EXPECT_EQ(error, ENETUNREACH) << "loopback should be down: " << std::strerror(error);
}

TEST(Sample, DISABLED_NeverRuns) {
  FAIL();
}

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  // A binary whose start-up waits forever (a global fixture stuck on a server, say).
  if (std::getenv("ISOTEST_SAMPLE_HANG_WHILE_LISTING") != nullptr &&
      testing::GTEST_FLAG(list_tests)) {
    std::printf("waiting for a server that never comes\n");
    std::fflush(stdout);
    while (true) ::pause();
  }
  // A binary that crashes before it lists its cases (a broken static initialiser, say).
  if (std::getenv("ISOTEST_SAMPLE_CRASH_WHILE_LISTING") != nullptr &&
      testing::GTEST_FLAG(list_tests)) {
    std::printf("about to crash while listing\n");
    std::fflush(stdout);
    // The default action, not a sanitizer's handler (which would exit 1 instead).
    std::signal(SIGSEGV, SIG_DFL);
    std::raise(SIGSEGV);
  }
  // What the isotest plugin does for --gtest_list_tests (ISOTEST_LIST_NEEDS), by hand.
  const char* needs = std::getenv("ISOTEST_LIST_NEEDS");
  if (needs != nullptr && testing::GTEST_FLAG(list_tests)) {
    std::ofstream(needs) << R"({"Needs.Offline": ["--network", "none"]})";
  }
  return RUN_ALL_TESTS();
}
