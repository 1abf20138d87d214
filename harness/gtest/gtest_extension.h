// GoogleTest binaries under the launcher, as a launch extension (launcher/launch_extension.h):
// `isotest run` and `isotest gtest` plug it in. For a GoogleTest binary it adjusts the plan (the
// plugin's event pipe, a private output directory bound below /tmp, GTEST_OUTPUT,
// TEST_PREMATURE_EXIT_FILE, sharding variables), watches the event pipe, and derives the
// result's `cases` and `gtest`, and the status rules that follow from them.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "gtest_cases.h"
#include "launch_extension.h"
#include "scratch_directory.h"
#include "unique_fd.h"

namespace isotest {

// The status rules of a GoogleTest binary that exited 0, applied after classify(): a case left
// unfinished or a premature-exit file makes the run `failed` (exit 1); cases all skipped (or
// disabled) make it `skipped` (exit 77). An interrupted run keeps classify()'s exit status.
void apply_gtest_status_rules(RunResult& result);

class GtestExtension : public LaunchExtension {
 public:
  // `inherited` is the caller's environment (environ): sharding variables pass through it even
  // past --clear-env.
  explicit GtestExtension(char* const* inherited) : inherited_(inherited) {}

  void adjust(LaunchPlan& plan) override;
  void watch(FdWatchList& fds) override;
  void finish(RunResult& result) override;

 private:
  [[nodiscard]] bool active() const { return kind_ != GtestKind::none; }
  [[nodiscard]] double elapsed_ms() const;
  // Reads what is there; false (and the read end closed) at end of file.
  bool read_events();
  // The value the test gets for `key`; with `even_if_cleared`, the caller's too.
  [[nodiscard]] std::optional<std::string> variable(const LaunchPlan& plan, const char* key,
                                                    bool even_if_cleared = false) const;

  char* const* inherited_;
  GtestKind kind_ = GtestKind::none;
  // On the host, locked while we live, removed at the end; holds host_dir_.
  std::optional<ScratchDirectory> scratch_;
  std::string host_dir_;           // private directory on the host, removed at the end
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
