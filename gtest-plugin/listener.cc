// The plugin's listener: under isotest (ISOTEST_EVENTS_FD names an inherited pipe), every event
// of the run is written to the pipe as one JSON line the moment it happens, so the launcher
// knows which case was running when the binary died. harness/gtest_cases.cc reads these lines;
// docs/gtest-plugin.md describes them. Outside isotest nothing is installed.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>

#include "crash_handler.h"
#include "isotest/gtest.h"
#include "needs_registry.h"

namespace isotest::internal {

namespace {

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          static_cast<void>(
              std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c)));
          out += escaped;
        } else {
          out += c;  // UTF-8 passes through; the launcher repairs invalid bytes
        }
    }
  }
  out += '"';
}

std::string full_name(const testing::TestInfo& info) {
  return std::string(info.test_suite_name()) + "." + info.name();
}

// The write end of the launcher's pipe. One line per event, written whole under a lock, from
// the process that installed the listener only: a death test's forked child shares the fd
// and the listener, and must not speak for the parent.
class EventPipe {
 public:
  explicit EventPipe(int fd) : fd_(fd), owner_(::getpid()) {}

  void send(std::string line) {
    if (::getpid() != owner_) return;
    line += '\n';
    const std::lock_guard<std::mutex> lock(mutex_);
    std::string_view rest = line;
    while (!rest.empty() && fd_ >= 0) {
      const ssize_t written = ::write(fd_, rest.data(), rest.size());
      if (written < 0 && errno == EINTR) continue;
      if (written <= 0) {
        fd_ = -1;  // the launcher is gone; the test goes on without us
        return;
      }
      rest.remove_prefix(static_cast<std::size_t>(written));
    }
  }

 private:
  int fd_;
  pid_t owner_;
  std::mutex mutex_;
};

class StreamingListener : public testing::EmptyTestEventListener {
 public:
  explicit StreamingListener(int fd) : pipe_(fd) {}

  void OnTestIterationStart(const testing::UnitTest& unit_test, int iteration) override {
    if (iteration > 0) return;  // --gtest_repeat: the list is the same every time
    std::string cases;
    std::string disabled;
    for (int i = 0; i < unit_test.total_test_suite_count(); ++i) {
      const testing::TestSuite* suite = unit_test.GetTestSuite(i);
      for (int j = 0; j < suite->total_test_count(); ++j) {
        const testing::TestInfo* info = suite->GetTestInfo(j);
        // Reportable: matches the filter and is in this shard. Of those, the ones that do not
        // run are the disabled ones.
        if (!info->is_reportable()) continue;
        std::string& list = info->should_run() ? cases : disabled;
        if (!list.empty()) list += ',';
        append_json_string(list, full_name(*info));
      }
    }
    pipe_.send(R"({"event":"start","cases":[)" + cases + R"(],"disabled":[)" + disabled + "]}");
  }

  void OnTestStart(const testing::TestInfo& info) override {
    note_running_case(full_name(info));
    std::string line = R"({"event":"case_start","name":)";
    append_json_string(line, full_name(info));
    pipe_.send(line + "}");
  }

  void OnTestPartResult(const testing::TestPartResult& part) override {
    if (!part.failed() && !part.skipped()) return;
    std::string line =
        part.skipped() ? R"({"event":"skip","message":)" : R"({"event":"failure","message":)";
    append_json_string(line, part.message() != nullptr ? part.message() : "");
    if (part.failed()) {
      line += R"(,"file":)";
      append_json_string(line, part.file_name() != nullptr ? part.file_name() : "");
      line += R"(,"line":)" + std::to_string(part.line_number());
    }
    pipe_.send(line + "}");
  }

  void OnTestEnd(const testing::TestInfo& info) override {
    note_running_case("");
    const testing::TestResult& result = *info.result();
    const char* outcome = result.Skipped() ? "skipped" : result.Failed() ? "failed" : "passed";
    std::string line = R"({"event":"case_end","name":)";
    append_json_string(line, full_name(info));
    line += R"(,"result":")" + std::string(outcome) + R"(","duration_ms":)" +
            std::to_string(result.elapsed_time()) + R"(,"properties":{)";
    for (int i = 0; i < result.test_property_count(); ++i) {
      const testing::TestProperty& property = result.GetTestProperty(i);
      if (i > 0) line += ',';
      append_json_string(line, property.key());
      line += ':';
      append_json_string(line, property.value());
    }
    pipe_.send(line + "}}");
  }

  void OnTestProgramEnd(const testing::UnitTest& /*unit_test*/) override {
    pipe_.send(R"({"event":"end"})");
  }

 private:
  EventPipe pipe_;
};

// ISOTEST_EVENTS_FD, if it names a pipe this process holds. The variable is removed, so that a
// program the test starts does not take an unrelated fd of its own for the pipe, and the fd is
// made close-on-exec for the same reason.
int take_events_fd() {
  const char* text = std::getenv("ISOTEST_EVENTS_FD");
  if (text == nullptr) return -1;
  int fd = -1;
  const std::string_view value(text);
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), fd);
  ::unsetenv("ISOTEST_EVENTS_FD");
  struct stat info {};
  if (error != std::errc() || end != value.data() + value.size() || fd < 3 ||
      ::fstat(fd, &info) != 0 || !S_ISFIFO(info.st_mode)) {
    return -1;
  }
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  return fd;
}

void write_needs_at_exit() {
  const char* path = std::getenv("ISOTEST_LIST_NEEDS");
  if (path == nullptr || !GTEST_FLAG_GET(list_tests)) return;
  write_needs_file(path, *testing::UnitTest::GetInstance());
}

// Runs while the program's static objects are built, before main(): GoogleTest's own
// registrations work the same way.
struct PluginSetUp {
  PluginSetUp() {
    testing::UnitTest* unit_test = testing::UnitTest::GetInstance();
    if (const int fd = take_events_fd(); fd >= 0) {
      unit_test->listeners().Append(new StreamingListener(fd));
      install_crash_handler(fd);
    }
    // Registered after GoogleTest's UnitTest exists, so it runs before that is destroyed.
    if (std::getenv("ISOTEST_LIST_NEEDS") != nullptr)
      static_cast<void>(std::atexit(write_needs_at_exit));
  }
};

const PluginSetUp kPluginSetUp;

}  // namespace

}  // namespace isotest::internal

// IsoTest::gtest's link options name this symbol as undefined, so the linker takes this object
// file out of the static library even though nothing in the test binary calls into it.
extern "C" {
extern const int isotest_gtest_plugin_anchor;
const int isotest_gtest_plugin_anchor = 1;
// isotest looks for this in the executable to know that it streams events (and so gets the
// pipe); harness/gtest_cases.cc has it too, spelled backwards.
extern const char isotest_gtest_plugin_marker[];
[[gnu::used]] const char isotest_gtest_plugin_marker[] = "isotest-gtest-plugin:events-v1";
}
