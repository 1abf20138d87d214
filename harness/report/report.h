// `isotest report`: reads result files (or folders of them), prints a summary table, and writes
// JUnit XML that GitLab, Jenkins and GitHub's JUnit actions read (docs/report.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace isotest {

// The `isotest gtest` document a result came from: its cases make one JUnit <testsuite>.
struct RunnerOrigin {
  std::string binary;
  double duration_ms = 0;
};

struct LoadedResult {
  std::string file;
  nlohmann::json document;
  std::optional<RunnerOrigin> runner;  // set for a case of an `isotest gtest` document
};

// A file a folder scan passed over, and why.
struct PassedOver {
  std::string file;
  std::string reason;
};

// Each path is a result file or a folder whose *.json files (recursively) are results. Throws
// SetupFailure naming the file when one cannot be read, when a file named in PATHS is not a
// result, or when a result is damaged. A folder scan passes over the *.json files that are not
// results (not JSON, or another schema), and lists them in PASSED_OVER when it is given.
std::vector<LoadedResult> load_results(const std::vector<std::string>& paths,
                                       std::vector<PassedOver>* passed_over = nullptr);

// The cases of an `isotest gtest` document (schema "isotest-gtest/1"), each a result of its own,
// so shards of one binary merge into one summary. Throws SetupFailure naming FILE when the
// document is damaged.
std::vector<LoadedResult> runner_results(const std::string& file, nlohmann::json document);

// One line per result, worst first, the cases that did not pass and those skipped, then the
// totals ("3 passed, 1 failed, 0 skipped"): of the results, and of the tests JUnit counts.
// Every name and message is made terminal-safe.
std::string summary_table(const std::vector<LoadedResult>& results);

// 0 when every result passed, was skipped or was flaky; 1 otherwise.
int report_exit_code(const std::vector<LoadedResult>& results);

// What a status counts as, on the console, in JUnit and in the HTML and Markdown reports: a flaky
// test passed in the end; a disabled case was skipped; a case not run because its binary ended
// early did not pass. A status isotest does not know, or none, is an error (status_counted_as in
// run_status.h). passed and skipped are the statuses is_good() calls good.
enum class Verdict { passed, failure, error, skipped };
Verdict verdict_of(const std::string& status);

// One test, as JUnit counts it (one <testcase>): a GoogleTest case of a result, or the result
// itself when it has no cases, or failed although none of its cases did (docs/report.md).
struct ReportTest {
  const LoadedResult* result = nullptr;
  const nlohmann::json* test_case = nullptr;  // null: the result itself

  [[nodiscard]] const nlohmann::json& document() const {
    return test_case != nullptr ? *test_case : result->document;
  }
};
std::vector<ReportTest> report_tests(const LoadedResult& result);

// Why TEST did not pass, in one line: the first failure with its file:line, the signal, the
// timeout; empty for a test that passed.
std::string report_test_reason(const ReportTest& test);

// What went wrong in RUN (an isotest/1 result), in one line: "exited with 3", "timed out after
// 500 ms", the signal, the sandbox error.
std::string run_failure_message(const nlohmann::json& run);

// One <testsuite> per result file (per `isotest gtest` document), one <testcase> per GoogleTest
// case of the result, or for the result itself when it has none. Failures carry the test's
// output in their body (GitLab shows the body, not the message); failed attempts of a flaky test
// are kept as <flakyFailure>.
std::string junit_xml(const std::vector<LoadedResult>& results);

}  // namespace isotest
