// The runner's outputs: the per-case status from its attempts, the `isotest gtest --json`
// document (schema "isotest-gtest/1", docs/gtest-runner.md) and its JUnit XML.
#pragma once

#include <cstdint>
#include <map>
#include <memory_resource>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace isotest {

inline constexpr const char* kRunnerSchema = "isotest-gtest/1";

// One attempt as the runner keeps it until the run ends: its isotest/1 result as JSON text,
// invalid UTF-8 in it already replaced by U+FFFD as in every file isotest writes, in `memory`
// (the runner's: an arena apart from its heap). Compact and apart: while sandboxes run, each
// page the runner writes is copied behind every running sandbox's init, and attempts kept as
// trees of small nodes among the runner's short-lived allocations left free chunks all over
// its heap, which malloc and free then touched (bench/README.md, "Where the rest goes").
class StoredAttempt {
 public:
  StoredAttempt(const nlohmann::json& attempt, std::pmr::memory_resource* memory);
  [[nodiscard]] nlohmann::json parse() const;

 private:
  std::pmr::string text_;
};

struct CaseRecord {
  std::string name;
  std::vector<StoredAttempt> attempts;  // in the order they finished
};

// passed: no attempt failed; flaky: some failed, some passed; skipped: every attempt skipped;
// notrun: no attempt finished (interrupted); otherwise the last failed attempt's status.
// Attempts marked "interrupted" do not count; an attempt without a status, or with one isotest
// does not know, counts as failed (run_status.h reads it).
std::string case_status(const std::vector<nlohmann::json>& attempts);

// One case: its status, how many attempts failed, every attempt, and (when it did not pass) the
// exit, error and output of the attempt that decided it, so `isotest report` and JUnit readers
// see why without opening the attempts.
nlohmann::json case_document(const CaseRecord& record);

struct RunnerSettings {
  std::string binary;
  std::vector<std::string> arguments;
  std::string filter;
  std::optional<std::int64_t> shard_index;
  std::optional<std::int64_t> shard_count;
  std::int64_t jobs = 1;
  std::int64_t retries = 0;
  std::int64_t repeat = 1;
  std::int64_t batch = 1;
  std::vector<std::string> sandbox_arguments;
};

struct RunnerOutcome {
  std::string started_at;
  double duration_ms = 0;
  bool interrupted = false;
  int exit_code = 0;
};

nlohmann::json runner_document(const RunnerSettings& settings, const RunnerOutcome& outcome,
                               const std::vector<nlohmann::json>& cases);

// 0 when every case passed, was skipped or was flaky (unless fail_on_flaky); 1 otherwise.
int runner_exit_code(const std::vector<nlohmann::json>& cases, bool fail_on_flaky);

std::map<std::string, int> count_statuses(const std::vector<nlohmann::json>& cases);

}  // namespace isotest
