#include "runner_report.h"

#include "run_status.h"

namespace isotest {

namespace {

bool counts(const nlohmann::json& attempt) {
  return !attempt.value("interrupted", false);
}

}  // namespace

StoredAttempt::StoredAttempt(const nlohmann::json& attempt, std::pmr::memory_resource* memory)
    : text_(attempt.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), memory) {}

nlohmann::json StoredAttempt::parse() const {
  return nlohmann::json::parse(text_);
}

std::string case_status(const std::vector<nlohmann::json>& attempts) {
  int passed = 0;
  int skipped = 0;
  int failed = 0;
  std::string last_failure;
  for (const auto& attempt : attempts) {
    if (!counts(attempt)) continue;
    const std::string status = status_of(attempt);
    const auto known = parse_status(status);
    if (known == RunStatus::passed) {
      ++passed;
    } else if (known == RunStatus::skipped) {
      ++skipped;
    } else {
      ++failed;
      last_failure = status;
    }
  }
  if (passed + skipped + failed == 0) return std::string(status_name(RunStatus::notrun));
  if (failed == 0)
    return std::string(status_name(passed == 0 ? RunStatus::skipped : RunStatus::passed));
  if (passed + skipped > 0) return std::string(status_name(RunStatus::flaky));
  return last_failure;
}

nlohmann::json case_document(const CaseRecord& record) {
  std::vector<nlohmann::json> attempts;
  attempts.reserve(record.attempts.size());
  for (const auto& stored : record.attempts) attempts.push_back(stored.parse());
  const std::string status = case_status(attempts);
  int failed = 0;
  double duration_ms = 0;
  const nlohmann::json* decisive = nullptr;
  for (const auto& attempt : attempts) {
    if (!counts(attempt)) continue;
    if (!is_good(status_of(attempt))) ++failed;
    if (status_of(attempt) == status || !decisive) decisive = &attempt;
    if (attempt.contains("duration_ms") && attempt["duration_ms"].is_number()) {
      duration_ms = attempt["duration_ms"].get<double>();  // the last one's: what a run costs
    }
  }
  nlohmann::json document = {{"name", record.name},
                             {"status", status},
                             {"duration_ms", duration_ms},
                             {"failed_attempts", failed}};
  if (decisive != nullptr && !is_good(status)) {
    for (const char* key : {"exit_code", "signal_name", "timeout_ms", "error", "output",
                            "diagnostics", "crash", "artifacts"}) {
      if (decisive->contains(key)) document[key] = (*decisive)[key];
    }
  }
  // Moved, not copied, and last: `decisive` points into them.
  document["attempts"] = std::move(attempts);
  return document;
}

std::map<std::string, int> count_statuses(const std::vector<nlohmann::json>& cases) {
  std::map<std::string, int> counts;
  for (const auto& document : cases) ++counts[status_of(document)];
  return counts;
}

int runner_exit_code(const std::vector<nlohmann::json>& cases, bool fail_on_flaky) {
  for (const auto& document : cases) {
    const std::string status = status_of(document);
    if (!is_good(status) || (fail_on_flaky && parse_status(status) == RunStatus::flaky)) return 1;
  }
  return 0;
}

nlohmann::json runner_document(const RunnerSettings& settings, const RunnerOutcome& outcome,
                               const std::vector<nlohmann::json>& cases) {
  nlohmann::json shard = nullptr;
  if (settings.shard_count) {
    shard = {{"index", *settings.shard_index}, {"count", *settings.shard_count}};
  }
  return {{"schema", kRunnerSchema},
          {"binary", settings.binary},
          {"arguments", settings.arguments},
          {"filter",
           settings.filter.empty() ? nlohmann::json(nullptr) : nlohmann::json(settings.filter)},
          {"shard", shard},
          {"jobs", settings.jobs},
          {"retries", settings.retries},
          {"repeat", settings.repeat},
          {"batch", settings.batch},
          {"sandbox_arguments", settings.sandbox_arguments},
          {"started_at", outcome.started_at},
          {"duration_ms", outcome.duration_ms},
          {"interrupted", outcome.interrupted},
          {"exit_code", outcome.exit_code},
          {"counts", count_statuses(cases)},
          {"cases", cases}};
}

}  // namespace isotest
