// Runs a real program (isotest, the schema validator) as a child of the test, feeding its stdin
// and collecting its stdout and stderr, with a deadline so a hang fails the test instead of
// stalling the suite.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace isotest::integration {

using namespace std::chrono_literals;
using Milliseconds = std::chrono::milliseconds;

// Where the programs under test are: environment variables first (run-as-nobody.sh points them
// at copies), then the build tree.
struct ToolPaths {
  std::string isotest;    // ISOTEST_BIN
  std::string probe;      // ISOTEST_PROBE
  std::string schema;     // ISOTEST_SCHEMA
  std::string validator;  // ISOTEST_VALIDATOR
};
const ToolPaths& tools();

struct SpawnOptions {
  // isotest keeps the caller's working directory, and the host's /tmp is not visible inside,
  // so the default is one that exists in every sandbox.
  std::string working_directory = "/";
  std::vector<std::string> extra_environment;  // KEY=VALUE, replacing the test's own KEY
  Milliseconds deadline = 60s;                 // then the child is killed and the test fails
};

struct ExitInfo {
  std::optional<int> exit_code;  // set when the process exited
  std::optional<int> signal;     // set when a signal ended it
  bool hit_deadline = false;
  Milliseconds elapsed{};  // from spawn to exit
  std::chrono::steady_clock::time_point exited_at;
};

// One child process. Its stdin is a pipe the test closes when it wants the child to go on (see
// the probe's "hold" subcommands); stdout and stderr are read by a thread, so a chatty child
// never blocks on a full pipe.
class SpawnedProcess {
 public:
  SpawnedProcess(std::vector<std::string> argv, SpawnOptions options = {});
  SpawnedProcess(const SpawnedProcess&) = delete;
  SpawnedProcess& operator=(const SpawnedProcess&) = delete;
  ~SpawnedProcess();  // kills and reaps a child still running

  [[nodiscard]] pid_t pid() const { return pid_; }

  // The first complete stdout line starting with `prefix`; nullopt if the child closed stdout or
  // the timeout passed first.
  std::optional<std::string> wait_for_line(std::string_view prefix, Milliseconds timeout = 30s);
  void close_stdin();
  void send_signal(int sig) const;
  ExitInfo wait();

  // What the child wrote, up to kKeptBytes per stream, and how many bytes it wrote in all.
  [[nodiscard]] std::string stdout_text() const;
  [[nodiscard]] std::string stderr_text() const;
  [[nodiscard]] std::uint64_t stdout_bytes() const;
  [[nodiscard]] std::uint64_t stderr_bytes() const;
  // When every writer of the child's stderr was gone (end of file); nullopt while one holds it.
  [[nodiscard]] std::optional<std::chrono::steady_clock::time_point> stderr_closed_at() const;

  static constexpr std::size_t kKeptBytes = 4 << 20;

 private:
  struct Stream {
    int fd = -1;
    std::string kept;
    std::uint64_t total = 0;
    bool closed = false;
    std::chrono::steady_clock::time_point closed_at;
  };
  void read_output();

  std::vector<std::string> argv_;
  SpawnOptions options_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int stdin_fd_ = -1;
  int stop_fd_ = -1;  // eventfd: tells the reader thread to give up on pipes a leftover holds
  std::chrono::steady_clock::time_point started_;
  std::optional<ExitInfo> exit_;
  mutable std::mutex mutex_;
  std::condition_variable output_changed_;
  Stream out_;
  Stream err_;
  std::thread reader_;
};

struct Finished {
  ExitInfo exit;
  std::string out;
  std::string err;
};

// Runs ARGV with stdin closed at once, to the end.
Finished run_to_end(std::vector<std::string> argv, SpawnOptions options = {});

// `isotest run OPTIONS... -- isotest_probe PROBE_ARGS...`, as an argv.
std::vector<std::string> isotest_run_probe(const std::vector<std::string>& options,
                                           const std::vector<std::string>& probe_args);
// `isotest run OPTIONS... -- COMMAND...`, as an argv.
std::vector<std::string> isotest_run(const std::vector<std::string>& options,
                                     const std::vector<std::string>& command);

// Prints what a finished run did, for assertion messages.
std::string describe(const Finished& run);
std::string describe(const ExitInfo& exit);

}  // namespace isotest::integration
