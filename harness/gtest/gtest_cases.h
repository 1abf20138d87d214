// GoogleTest binaries under `isotest run`: recognising one, preparing its sandbox (the plugin's
// event pipe, GTEST_OUTPUT, TEST_PREMATURE_EXIT_FILE, sharding variables), and turning what it
// reported into the result's `cases` (docs/result-json.md, docs/gtest-plugin.md).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "result.h"
#include "scratch_directory.h"
#include "spec.h"
#include "unique_fd.h"

namespace isotest {

enum class GtestKind { none, plain, plugin };

// Looks into the executable file: GoogleTest's help text makes it a GoogleTest binary, the
// plugin's marker (gtest-plugin/listener.cc) one that streams events.
GtestKind detect_gtest_binary(const std::string& path);

// Builds `cases` from the plugin's event lines (one JSON object per line). Pure logic: times
// are milliseconds since the run started, given by the caller.
class CaseAssembler {
 public:
  // Raw bytes from the pipe, in any pieces.
  void feed(std::string_view bytes, double now_ms);
  [[nodiscard]] bool started() const { return started_; }
  // The run is over: a case still running gets `running_status` and lasted until `end_ms`;
  // cases never started are `notrun`.
  [[nodiscard]] std::vector<CaseResult> finish(CaseStatus running_status, double end_ms) const;

 private:
  void on_event(const nlohmann::json& event, double now_ms);
  CaseResult& case_named(const std::string& name);

  std::string pending_;
  bool started_ = false;
  std::vector<CaseResult> cases_;  // run order; disabled ones after
  std::optional<std::size_t> running_;
  double running_since_ms_ = 0;
};

// GoogleTest's own JSON output (GTEST_OUTPUT=json:FILE) as `cases`; nullopt when the text is
// not such a document.
std::optional<std::vector<CaseResult>> cases_from_gtest_json(std::string_view text);

// One run of a GoogleTest binary. Made before the clone: adjusts the spec (environment, a bind
// of a private host directory) and owns the event pipe and that directory.
class GtestSession {
 public:
  // `executable` is the file the sandbox will execute (empty if unknown); `inherited` the
  // caller's environment.
  GtestSession(SandboxSpec& spec, const std::string& executable, char* const* inherited);
  GtestSession(const GtestSession&) = delete;
  GtestSession& operator=(const GtestSession&) = delete;
  ~GtestSession() = default;

  [[nodiscard]] bool active() const { return kind_ != GtestKind::none; }
  // The pipe's write end for the sandbox (inherited by the test), or -1.
  [[nodiscard]] int events_write_fd() const { return events_write_.get(); }
  // After the clone: the launcher keeps only the read end.
  void close_write_end() { events_write_.reset(); }
  [[nodiscard]] int events_read_fd() const { return events_read_.get(); }
  // Reads what is there; closes the read end at end of file.
  void read_events();
  // The run is over: `cases` and `gtest` of the result.
  void finish(RunResult& result);
  // Removes the private directories of earlier runs whose launcher was killed (SIGKILL) before
  // it could; for the launcher to call while it would only wait.
  void remove_stale_directories() const;

 private:
  [[nodiscard]] double elapsed_ms() const;

  GtestKind kind_ = GtestKind::none;
  // On the host, locked while we live, removed at the end; holds host_dir_.
  std::optional<ScratchDirectory> scratch_;
  std::string host_dir_;           // private directory on the host, removed at the end
  std::string inside_dir_;         // the same directory as the sandbox sees it
  bool own_output_ = false;        // we set GTEST_OUTPUT
  bool own_premature_ = false;     // we set TEST_PREMATURE_EXIT_FILE
  bool own_shard_status_ = false;  // we set GTEST_SHARD_STATUS_FILE
  std::optional<int> shard_index_;
  std::optional<int> total_shards_;
  std::string caller_shard_status_file_;  // Bazel's TEST_SHARD_STATUS_FILE, touched for it
  UniqueFd events_read_;
  UniqueFd events_write_;
  CaseAssembler assembler_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace isotest
