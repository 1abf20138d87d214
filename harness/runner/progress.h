// What `isotest gtest` shows while it runs. On a terminal: one status line rewritten in place
// (done/total, failures, running cases, elapsed, estimated time left) with failures printed above
// it as they happen. Elsewhere (CI logs): one plain line per finished attempt.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace isotest {

class Progress {
 public:
  Progress(std::FILE* stream, bool live);

  void add_planned(std::size_t attempts) { planned_ += attempts; }
  // One attempt ended; `output` is shown for attempts that did not pass.
  void finished(const std::string& name, const std::string& status, double duration_ms,
                const std::string& output);
  // A running case printed nothing for `silent_ms`.
  void silent(const std::string& name, std::int64_t silent_ms);
  void note(const std::string& text);
  void update(const std::vector<std::string>& running);
  void set_running(std::vector<std::string> running) { running_ = std::move(running); }
  void clear_line();

 private:
  void print_above(const std::string& text);

  std::FILE* stream_;
  bool live_;
  std::size_t planned_ = 0;
  std::size_t done_ = 0;
  std::size_t failed_ = 0;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::vector<std::string> running_;
  bool line_shown_ = false;
};

}  // namespace isotest
