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

// One <testsuite> per result file (per `isotest gtest` document), one <testcase> per GoogleTest
// case of the result, or for the result itself when it has none. Failures carry the test's
// output in their body (GitLab shows the body, not the message); failed attempts of a flaky test
// are kept as <flakyFailure>.
std::string junit_xml(const std::vector<LoadedResult>& results);

}  // namespace isotest
