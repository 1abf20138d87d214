#include "report_page.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <map>

#include "result_reading.h"
#include "run_status.h"

namespace isotest {

namespace {

// The forensics fields (docs/result-json.md) hold what a test left behind: a thousand threads,
// a stack of recursion, a path list of a full directory. A page shows enough of each to see what
// happened; the result file keeps the rest.
constexpr std::size_t kTextKeptBytes = 4096;
constexpr std::size_t kArrayKeptElements = 200;
constexpr std::size_t kFailuresKept = 20;

// A number of the result, or null when it has none (absent, null, or not a number).
nlohmann::json number_or_null(const nlohmann::json& value) {
  return value.is_number() ? value : nlohmann::json(nullptr);
}

// Milliseconds to a tenth, which is all a page shows: "123.4" takes 5 bytes in the page's JSON,
// "123.45678901234" 15, and a page of 10,000 runs holds three such numbers each.
double tenths(double ms) {
  return std::round(ms * 10) / 10;
}

// Sets KEY to VALUE unless VALUE is null, so that the page's JSON carries no empty fields.
void set_unless_null(nlohmann::json& object, const char* key, nlohmann::json value) {
  if (!value.is_null()) object[key] = std::move(value);
}

// Strings cut to their head and tail, arrays to their first elements with `KEY_left_out`
// beside them saying how many were dropped; so a page stays small whatever a result holds.
nlohmann::json bounded(const nlohmann::json& value) {
  if (value.is_string()) return output_excerpt(value.get<std::string>(), kTextKeptBytes);
  if (value.is_array()) {
    nlohmann::json kept = nlohmann::json::array();
    for (std::size_t i = 0; i < value.size() && i < kArrayKeptElements; ++i) {
      kept.push_back(bounded(value[i]));
    }
    return kept;
  }
  if (!value.is_object()) return value;
  nlohmann::json kept = nlohmann::json::object();
  for (const auto& [key, element] : value.items()) {
    kept[key] = bounded(element);
    if (element.is_array() && element.size() > kArrayKeptElements) {
      kept[key + "_left_out"] = element.size() - kArrayKeptElements;
    }
  }
  return kept;
}

std::string exit_text(const nlohmann::json& document) {
  if (field(document, "signal_name").is_string()) return text_of(field(document, "signal_name"));
  if (field(document, "exit_code").is_number()) {
    return std::to_string(field(document, "exit_code").get<long long>());
  }
  if (field(document, "launcher_exit_code").is_number()) {
    return std::to_string(field(document, "launcher_exit_code").get<long long>());
  }
  return {};
}

nlohmann::json output_of(const nlohmann::json& document, std::size_t head_and_tail_bytes) {
  nlohmann::json streams = nlohmann::json::object();
  for (const char* name : {"stdout", "stderr"}) {
    const auto& stream = field(field(document, "output"), name);
    if (!stream.is_object()) continue;
    const std::string text = text_of(field(stream, "text"));
    if (text.empty() && number_of(field(stream, "bytes")) == 0) continue;
    nlohmann::json kept = {{"text", output_excerpt(text, head_and_tail_bytes)}};
    set_unless_null(kept, "bytes", number_or_null(field(stream, "bytes")));
    if (field(stream, "truncated").is_boolean() && field(stream, "truncated").get<bool>()) {
      kept["truncated"] = true;
      kept["kept_bytes"] = text.size();
    }
    streams[name] = std::move(kept);
  }
  return streams;
}

// One line on what isolation a run had: the header groups results by it, so a run whose limits
// or namespaces were not the others' stands out.
std::string isolation_level(const nlohmann::json& isolation) {
  if (!isolation.is_object()) return "unknown (the result does not say)";
  std::string level;
  auto join = [](const nlohmann::json& names) {
    std::string text;
    for (const auto& name : names) text += (text.empty() ? "" : ",") + text_of(name);
    return text.empty() ? std::string("none") : text;
  };
  level += "namespaces " + join(field(isolation, "namespaces"));
  if (!field(isolation, "shared_namespaces").empty()) {
    level += " (shared with the host: " + join(field(isolation, "shared_namespaces")) + ")";
  }
  const auto& cgroup = field(isolation, "cgroup");
  if (field(cgroup, "version").is_string()) {
    level += "; cgroup " + text_of(field(cgroup, "version"));
  } else {
    level += "; no cgroup";
  }
  if (!field(cgroup, "missing_limits").empty()) {
    level += " (limits missing: " + join(field(cgroup, "missing_limits")) + ")";
  }
  if (field(isolation, "network").is_string()) {
    level += "; network " + text_of(field(isolation, "network"));
  }
  if (field(field(isolation, "seccomp"), "mode").is_string()) {
    level += "; seccomp " + text_of(field(field(isolation, "seccomp"), "mode"));
  }
  if (field(isolation, "read_only_root").is_boolean() &&
      field(isolation, "read_only_root").get<bool>()) {
    level += "; read-only root";
  }
  return level;
}

constexpr const char* kForensicsFields[] = {"diagnostics", "artifacts",          "capture",
                                            "services",    "network_conditions", "crash"};

// What one sandbox run of DOCUMENT (an isotest/1 result) shows: how it ended, what it used
// against its limits, its output and what was collected.
nlohmann::json sandbox_run(const nlohmann::json& document, const OutputExcerptLimits& limits) {
  const auto& usage = field(document, "usage");
  const auto& cgroup_limits = field(field(field(document, "isolation"), "cgroup"), "limits");
  const std::string status = status_of(document);
  nlohmann::json run = {{"status", status},
                        {"duration_ms", tenths(number_of(field(document, "duration_ms")))},
                        {"exit", exit_text(document)}};
  set_unless_null(run, "timeout_ms", number_or_null(field(document, "timeout_ms")));
  set_unless_null(run, "peak_memory_bytes", number_or_null(field(usage, "peak_memory_bytes")));
  set_unless_null(run, "memory_limit_bytes",
                  number_or_null(field(cgroup_limits, "memory_max_bytes")));
  if (field(usage, "cpu_user_ms").is_number()) {
    run["cpu_ms"] =
        number_of(field(usage, "cpu_user_ms")) + number_of(field(usage, "cpu_system_ms"));
  }
  set_unless_null(run, "cpus", number_or_null(field(cgroup_limits, "cpus")));
  set_unless_null(run, "pids_peak", number_or_null(field(usage, "pids_peak")));
  set_unless_null(run, "pids_max", number_or_null(field(cgroup_limits, "pids_max")));
  if (auto output =
          output_of(document, is_good(status) ? limits.passed_bytes : limits.not_passed_bytes);
      !output.empty()) {
    run["output"] = std::move(output);
  }
  if (!is_good(status)) run["reason"] = run_failure_message(document);
  if (field(document, "error").is_object()) {
    run["error"] = {{"message", text_of(field(field(document, "error"), "message"))},
                    {"hint", text_of(field(field(document, "error"), "hint"))}};
  }
  for (const char* key : kForensicsFields) {
    if (const auto& value = field(document, key); !value.is_null()) run[key] = bounded(value);
  }
  return run;
}

// The attempt of a case of `isotest gtest` that decided its status: the last one that ended
// that way, else the last one.
const nlohmann::json* decisive_attempt(const nlohmann::json& attempts, const std::string& status) {
  const nlohmann::json* decisive = nullptr;
  for (const auto& attempt : attempts) {
    if (!attempt.is_object()) continue;
    if (decisive == nullptr || status_of(attempt) == status || status_of(*decisive) != status) {
      decisive = &attempt;
    }
  }
  return decisive;
}

// The GoogleTest case behind TEST: its own, or for a case of `isotest gtest`, its entry in the
// result of the attempt that decided it, which holds its failures with file:line.
const nlohmann::json* gtest_case_of(const ReportTest& test) {
  if (test.test_case != nullptr) return test.test_case;
  const auto& document = test.result->document;
  if (!test.result->runner) return nullptr;
  const auto* attempt = decisive_attempt(field(document, "attempts"), status_of(document));
  if (attempt == nullptr) return nullptr;
  for (const auto& entry : field(*attempt, "cases")) {
    if (text_of(field(entry, "name")) == text_of(field(document, "name"))) return &entry;
  }
  return nullptr;
}

nlohmann::json failures_of(const nlohmann::json& test_case) {
  nlohmann::json kept = nlohmann::json::array();
  const auto& failures = field(test_case, "failures");
  if (!failures.is_array()) return kept;
  for (std::size_t i = 0; i < failures.size() && i < kFailuresKept; ++i) {
    const auto& failure = failures[i];
    kept.push_back(
        {{"file", text_of(field(failure, "file"))},
         {"line", number_or_null(field(failure, "line"))},
         {"message", output_excerpt(text_of(field(failure, "message")), kTextKeptBytes)}});
  }
  return kept;
}

// Each sandbox run's place in time: the result's own, or each attempt's for a case of
// `isotest gtest` (its retries ran at other times, perhaps in another slot).
struct RunTime {
  double started_ms;
  double duration_ms;
  std::size_t result;
  int attempt;  // -1: the result itself
  std::string status;
};

void add_run_time(const nlohmann::json& document, std::size_t result, int attempt,
                  std::vector<RunTime>& times, int& off_timeline) {
  const double started = rfc3339_ms(text_of(field(document, "started_at")));
  if (started < 0) {
    ++off_timeline;
    return;
  }
  times.push_back(
      {started, number_of(field(document, "duration_ms")), result, attempt, status_of(document)});
}

struct VerdictCounts {
  int passed = 0;
  int failed = 0;
  int skipped = 0;
  int flaky = 0;

  void add(const std::string& status) {
    switch (verdict_of(status)) {
      case Verdict::passed:
        ++passed;
        if (status == "flaky") ++flaky;
        return;
      case Verdict::skipped:
        ++skipped;
        return;
      case Verdict::failure:
      case Verdict::error:
        ++failed;
        return;
    }
  }
  [[nodiscard]] std::string line() const {
    return std::to_string(passed) + " passed, " + std::to_string(failed) + " failed, " +
           std::to_string(skipped) + " skipped";
  }
};

}  // namespace

std::vector<int> assign_lanes(const std::vector<TimelineInterval>& intervals) {
  std::vector<std::size_t> order(intervals.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return intervals[a].start_ms < intervals[b].start_ms;
  });
  // started_at has whole milliseconds, and a slot's next run starts right after the last one
  // ended: a run that seems to start within a millisecond before the lane's end follows it.
  constexpr double kClockResolutionMs = 1.0;
  std::vector<double> lane_free_at;
  std::vector<int> lanes(intervals.size(), 0);
  for (std::size_t index : order) {
    const auto& interval = intervals[index];
    auto free = std::find_if(lane_free_at.begin(), lane_free_at.end(), [&](double free_at) {
      return free_at <= interval.start_ms + kClockResolutionMs;
    });
    if (free == lane_free_at.end()) free = lane_free_at.insert(lane_free_at.end(), 0.0);
    *free = interval.start_ms + std::max(0.0, interval.duration_ms);
    lanes[index] = static_cast<int>(free - lane_free_at.begin());
  }
  return lanes;
}

double rfc3339_ms(std::string_view text) {
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int consumed = 0;
  const std::string copy(text);
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                  &second, &consumed) != 6) {
    return -1;
  }
  std::string_view rest = text.substr(static_cast<std::size_t>(consumed));
  double fraction_ms = 0;
  if (rest.starts_with('.')) {
    double scale = 100;
    rest.remove_prefix(1);
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
      fraction_ms += (rest.front() - '0') * scale;
      scale /= 10;
      rest.remove_prefix(1);
    }
  }
  if (rest != "Z") return -1;
  std::tm time{};
  time.tm_year = year - 1900;
  time.tm_mon = month - 1;
  time.tm_mday = day;
  time.tm_hour = hour;
  time.tm_min = minute;
  time.tm_sec = second;
  const std::time_t seconds = ::timegm(&time);
  if (seconds < 0) return -1;
  return static_cast<double>(seconds) * 1000.0 + fraction_ms;
}

std::string output_excerpt(const std::string& text, std::size_t head_and_tail_bytes) {
  if (text.size() <= head_and_tail_bytes) return text;
  // Cut where a UTF-8 character starts (not at a continuation byte, 10xxxxxx), so the head and
  // the tail end in whole characters.
  auto starts_character = [&](std::size_t at) {
    return at >= text.size() || (static_cast<unsigned char>(text[at]) & 0xC0U) != 0x80U;
  };
  std::size_t head = head_and_tail_bytes / 2;
  while (head > 0 && !starts_character(head)) --head;
  std::size_t tail = text.size() - (head_and_tail_bytes - head_and_tail_bytes / 2);
  while (tail < text.size() && !starts_character(tail)) ++tail;
  return text.substr(0, head) + "\n[isotest report: " + std::to_string(tail - head) +
         " bytes left out here; the result file has more]\n" + text.substr(tail);
}

nlohmann::json report_page_data(const std::vector<LoadedResult>& results,
                                const ReportPageContext& context) {
  nlohmann::json result_rows = nlohmann::json::array();
  std::vector<RunTime> times;
  int off_timeline = 0;
  std::map<std::string, int> isolation_levels;
  std::vector<std::string> isolation_order;
  VerdictCounts result_verdicts;
  std::map<std::string, int> result_counts;

  for (std::size_t index = 0; index < results.size(); ++index) {
    const auto& result = results[index];
    const auto& document = result.document;
    const std::string status = status_of(document);
    const auto& attempts = field(document, "attempts");
    // A case of `isotest gtest` holds its sandbox runs in `attempts`; a result file is one.
    const nlohmann::json* run_document = &document;
    if (result.runner && attempts.is_array() && !attempts.empty()) {
      if (const auto* decisive = decisive_attempt(attempts, status)) run_document = decisive;
    }
    nlohmann::json row = sandbox_run(*run_document, context.output_limits);
    row["name"] = text_of(field(document, "name"));
    row["status"] = status;
    row["duration_ms"] = tenths(number_of(field(document, "duration_ms")));
    row["file"] = result.file;
    if (result.runner) row["binary"] = result.runner->binary;
    if (result.runner && attempts.is_array() && attempts.size() > 1) {
      nlohmann::json attempt_rows = nlohmann::json::array();
      for (const auto& attempt : attempts) {
        attempt_rows.push_back(sandbox_run(attempt, context.output_limits));
      }
      row["attempts"] = std::move(attempt_rows);
      set_unless_null(row, "failed_attempts", number_or_null(field(document, "failed_attempts")));
    }
    if (result.runner && attempts.is_array()) {
      for (std::size_t a = 0; a < attempts.size(); ++a) {
        add_run_time(attempts[a], index, static_cast<int>(a), times, off_timeline);
      }
    } else {
      add_run_time(document, index, -1, times, off_timeline);
    }
    const std::string level = isolation_level(field(*run_document, "isolation"));
    if (isolation_levels[level]++ == 0) isolation_order.push_back(level);
    row["isolation"] =
        std::find(isolation_order.begin(), isolation_order.end(), level) - isolation_order.begin();
    result_verdicts.add(status);
    ++result_counts[status];
    result_rows.push_back(std::move(row));
  }

  // Tests, worst first; within a status, in the order the results came.
  std::vector<std::pair<ReportTest, std::size_t>> tests;
  for (std::size_t index = 0; index < results.size(); ++index) {
    for (const auto& test : report_tests(results[index])) tests.emplace_back(test, index);
  }
  std::stable_sort(tests.begin(), tests.end(), [](const auto& a, const auto& b) {
    return status_severity(status_of(a.first.document())) <
           status_severity(status_of(b.first.document()));
  });
  nlohmann::json test_rows = nlohmann::json::array();
  VerdictCounts test_verdicts;
  std::map<std::string, int> test_counts;
  for (const auto& [test, result_index] : tests) {
    const auto& document = test.document();
    const std::string status = status_of(document);
    nlohmann::json row = {{"name", text_of(field(document, "name"))},
                          {"status", status},
                          {"result", result_index},
                          {"duration_ms", tenths(number_of(field(document, "duration_ms")))}};
    if (test.test_case != nullptr) row["case"] = true;
    std::string reason = report_test_reason(test);
    if (const auto* gtest_case = gtest_case_of(test)) {
      if (auto failures = failures_of(*gtest_case); !failures.empty()) {
        row["failures"] = std::move(failures);
        if (field(*gtest_case, "failures").size() > kFailuresKept) {
          row["failures_left_out"] = field(*gtest_case, "failures").size() - kFailuresKept;
        }
        // A case of `isotest gtest` that failed: its first failure says more than "exited with 1".
        if (status_of(*gtest_case) == "failed" && status == "failed") {
          reason = report_test_reason(ReportTest{test.result, gtest_case});
        }
      }
      if (const auto& crash = field(*gtest_case, "crash"); !crash.is_null()) {
        row["crash"] = bounded(crash);
      }
    }
    if (!reason.empty()) row["reason"] = output_excerpt(reason, kTextKeptBytes);
    test_verdicts.add(status);
    ++test_counts[status];
    test_rows.push_back(std::move(row));
  }

  // The timeline: times relative to the first start, one lane per parallel slot.
  double first_ms = std::numeric_limits<double>::max();
  double last_ms = 0;
  std::string started_at;
  for (const auto& time : times) {
    first_ms = std::min(first_ms, time.started_ms);
    last_ms = std::max(last_ms, time.started_ms + time.duration_ms);
  }
  std::vector<TimelineInterval> intervals;
  intervals.reserve(times.size());
  double total_ms = 0;
  for (const auto& time : times) {
    intervals.push_back({time.started_ms - first_ms, time.duration_ms});
    total_ms += time.duration_ms;
  }
  const auto lanes = assign_lanes(intervals);
  nlohmann::json bars = nlohmann::json::array();
  for (std::size_t i = 0; i < times.size(); ++i) {
    bars.push_back({tenths(intervals[i].start_ms), tenths(times[i].duration_ms), lanes[i],
                    times[i].result, times[i].attempt, times[i].status});
  }
  if (!times.empty()) {
    const auto first_second = static_cast<std::time_t>(first_ms / 1000);
    std::tm utc{};
    ::gmtime_r(&first_second, &utc);
    char text[64];
    static_cast<void>(
        std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                      utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                      static_cast<int>(first_ms - static_cast<double>(first_second) * 1000.0)));
    started_at = text;
  }

  nlohmann::json isolation = nlohmann::json::array();
  for (const auto& level : isolation_order) {
    isolation.push_back({{"level", level}, {"results", isolation_levels[level]}});
  }
  nlohmann::json summary = {
      {"tests", test_rows.size()},
      {"results", result_rows.size()},
      {"counts", test_counts},
      {"result_counts", result_counts},
      {"line", test_verdicts.line()},
      {"results_line", result_verdicts.line()},
      {"passed", test_verdicts.passed},
      {"failed", test_verdicts.failed},
      {"skipped", test_verdicts.skipped},
      {"flaky", test_verdicts.flaky},
      {"total_ms", total_ms},
      {"wall_ms", times.empty() ? 0.0 : last_ms - first_ms},
      {"started_at", started_at.empty() ? nlohmann::json(nullptr) : nlohmann::json(started_at)},
      {"lanes", lanes.empty() ? 0 : *std::max_element(lanes.begin(), lanes.end()) + 1},
      {"off_timeline", off_timeline},
      {"hostname", context.hostname},
      {"generated_at", context.generated_at},
      {"sources", context.sources},
      {"isolation", isolation},
      {"output_limits",
       {{"passed_bytes", context.output_limits.passed_bytes},
        {"not_passed_bytes", context.output_limits.not_passed_bytes}}}};
  return {{"schema", "isotest-report-page/1"},
          {"summary", std::move(summary)},
          {"results", std::move(result_rows)},
          {"tests", std::move(test_rows)},
          {"bars", std::move(bars)}};
}

}  // namespace isotest
