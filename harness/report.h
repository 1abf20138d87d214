// `isotest report`: reads result files (or folders of them), prints a summary table, and writes
// JUnit XML that GitLab, Jenkins and GitHub's JUnit actions read.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace isotest {

struct LoadedResult {
  std::string file;
  nlohmann::json document;
};

// Each path is a result file or a folder whose *.json files (recursively) are results. Throws
// SetupFailure naming the file when one cannot be read or is not an isotest/1 result.
std::vector<LoadedResult> load_results(const std::vector<std::string>& paths);

// One line per result, worst first, then the totals ("3 passed, 1 failed, 1 timeout").
std::string summary_table(const std::vector<LoadedResult>& results);

// 0 when every result passed, was skipped or was flaky; 1 otherwise.
int report_exit_code(const std::vector<LoadedResult>& results);

// One <testsuite>, one <testcase> per result; failures carry the test's output in their body
// (GitLab shows the body, not the message); failed attempts of a flaky test are kept as
// <flakyFailure>.
std::string junit_xml(const std::vector<LoadedResult>& results);

}  // namespace isotest
