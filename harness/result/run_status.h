// The one status vocabulary of isotest's results: what a run ended as (isotest/1 "status"), what a
// GoogleTest case of it ended as ("cases[].status"), and what a case of `isotest gtest` ended as
// over its attempts (isotest-gtest/1 "cases[].status"). Every writer names a status with
// status_name(); every reader (the report, the runner) reads one with status_of() and judges it
// with is_good() and status_severity(). docs/result-json.md and docs/gtest-runner.md list the
// names.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace isotest {

// Declared worst first: the order the reports list them in (what needs attention first).
// A run ends as passed, failed, skipped, timeout, crashed, oom or sandbox_error; a GoogleTest case
// also as disabled or notrun (the binary ended before it); a case of `isotest gtest` also as flaky
// (failed, then passed on a retry) or notrun (no attempt finished).
enum class RunStatus {
  sandbox_error,
  crashed,
  oom,
  timeout,
  failed,
  notrun,
  flaky,
  skipped,
  disabled,
  passed
};

inline constexpr RunStatus kRunStatuses[] = {
    RunStatus::sandbox_error, RunStatus::crashed, RunStatus::oom,   RunStatus::timeout,
    RunStatus::failed,        RunStatus::notrun,  RunStatus::flaky, RunStatus::skipped,
    RunStatus::disabled,      RunStatus::passed};

// Its name in the JSON: "passed", "sandbox_error", ...
std::string_view status_name(RunStatus status);

// The status NAME names; none for a name isotest does not know.
std::optional<RunStatus> parse_status(std::string_view name);

// How a status read from a file counts. A name isotest does not know (a newer isotest's, a
// hand-edited file) or none at all (`status` missing or not a string) counts as a sandbox_error:
// not good, listed first, a JUnit <error>. It is still shown as written (status_of() keeps the
// text), so nothing is renamed on the way.
RunStatus status_counted_as(std::string_view name);

// Nothing to show as a failure: passed, flaky (passed in the end), skipped, disabled.
bool is_good(RunStatus status);
bool is_good(std::string_view name);  // as status_counted_as(NAME) counts

// 0 for the worst (sandbox_error), rising to passed: sort by it to list the worst first.
int status_severity(RunStatus status);
int status_severity(std::string_view name);  // as status_counted_as(NAME) counts

// DOCUMENT's "status" as written: a result, a GoogleTest case of one, a case or attempt of
// `isotest gtest`. "" when it has none or it is not a string (and then it counts as
// status_counted_as says).
std::string status_of(const nlohmann::json& document);

}  // namespace isotest
