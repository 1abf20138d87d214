#include "report.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "result.h"
#include "result_reading.h"
#include "run_status.h"
#include "safe_text.h"
#include "setup_error.h"
#include "stack_summary.h"

namespace isotest {

namespace {

namespace fs = std::filesystem;

}  // namespace

Verdict verdict_of(const std::string& status) {
  switch (status_counted_as(status)) {
    case RunStatus::passed:
    case RunStatus::flaky:
      return Verdict::passed;
    case RunStatus::skipped:
    case RunStatus::disabled:
      return Verdict::skipped;
    case RunStatus::failed:
      return Verdict::failure;
    case RunStatus::sandbox_error:
    case RunStatus::crashed:
    case RunStatus::oom:
    case RunStatus::timeout:
    case RunStatus::notrun:
      return Verdict::error;
  }
  return Verdict::error;
}

// nlohmann's const operator[] asserts (or is undefined) for a missing key: every lookup of a
// result goes through here.
const nlohmann::json& field(const nlohmann::json& object, const char* key) {
  static const nlohmann::json kMissing;
  if (!object.is_object()) return kMissing;
  auto it = object.find(key);
  return it == object.end() ? kMissing : *it;
}

std::string text_of(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : std::string();
}

double number_of(const nlohmann::json& value) {
  return value.is_number() ? value.get<double>() : 0.0;
}

namespace {

constexpr std::string_view kRunnerSchema = "isotest-gtest/1";

// FILE's results; none, with the reason in PASSED_OVER, when a folder scan (PASSED_OVER given)
// finds a file that is not a result at all. A damaged result is an error either way: passing
// over it would lose a test.
std::vector<LoadedResult> load_file(const fs::path& file, std::vector<PassedOver>* passed_over) {
  const std::string name = file.string();
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw_errno("report: read " + name, "cannot open the file", "check the path");
  }
  nlohmann::json document = nlohmann::json::parse(in, nullptr, false);
  const std::string schema = text_of(field(document, "schema"));
  std::string not_a_result;
  if (document.is_discarded() || !document.is_object()) {
    not_a_result = "not a JSON object";
  } else if (schema != kResultSchema && schema != kRunnerSchema) {
    not_a_result = "not an isotest result (no \"schema\": \"" + std::string(kResultSchema) +
                   "\" or \"" + std::string(kRunnerSchema) + "\")";
  }
  if (!not_a_result.empty()) {
    if (passed_over != nullptr) {
      passed_over->push_back({name, not_a_result});
      return {};
    }
    throw_error("report: read " + name, 0, not_a_result,
                "pass result files written by `isotest run --json` or `isotest gtest --json`");
  }
  if (schema == kRunnerSchema) return runner_results(name, std::move(document));
  if (!field(document, "name").is_string() || !field(document, "status").is_string()) {
    throw_error("report: read " + name, 0, "result without a name or status",
                "the file is damaged; run the test again");
  }
  return {LoadedResult{name, std::move(document), std::nullopt}};
}

// The *.json files below FOLDER, in name order. A subfolder that cannot be read is an error:
// the results in it would be missing without a word.
std::vector<fs::path> json_files_below(const std::string& folder) {
  std::vector<fs::path> files;
  std::error_code error;
  fs::recursive_directory_iterator it(folder, error);
  for (; !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    std::error_code ignored;
    if (it->is_regular_file(ignored) && it->path().extension() == ".json") {
      files.push_back(it->path());
    }
  }
  if (error) {
    throw_error("report: read " + folder, error.value(), "cannot list the folder",
                "check its permissions, or name the result files");
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string format_bytes(const nlohmann::json& bytes) {
  if (!bytes.is_number()) return "-";
  const double value = bytes.get<double>();
  char text[32];
  if (value >= 1024.0 * 1024 * 1024) {
    static_cast<void>(std::snprintf(text, sizeof text, "%.1fG", value / (1024.0 * 1024 * 1024)));
  } else if (value >= 1024.0 * 1024) {
    static_cast<void>(std::snprintf(text, sizeof text, "%.1fM", value / (1024.0 * 1024)));
  } else {
    static_cast<void>(std::snprintf(text, sizeof text, "%.0fK", value / 1024.0));
  }
  return text;
}

std::string format_exit(const nlohmann::json& document) {
  if (field(document, "signal_name").is_string())
    return field(document, "signal_name").get<std::string>();
  if (field(document, "exit_code").is_number())
    return std::to_string(field(document, "exit_code").get<int>());
  if (field(document, "launcher_exit_code").is_number()) {
    return std::to_string(field(document, "launcher_exit_code").get<int>());
  }
  return "-";
}

std::string output_text(const nlohmann::json& document, const char* stream) {
  const auto& output = field(document, "output");
  if (!output.is_object() || !field(output, stream).is_object()) return {};
  return text_of(field(field(output, stream), "text"));
}

// What went wrong, in one line, for the failure's message attribute.
std::string failure_message(const nlohmann::json& document) {
  std::string status = status_of(document);
  if (status == "timeout") {
    return "timed out after " +
           (field(document, "timeout_ms").is_number()
                ? std::to_string(field(document, "timeout_ms").get<long long>()) + " ms"
                : std::string("its time limit"));
  }
  if (status == "oom") return "killed by the OOM killer (memory limit reached)";
  const auto& killed = field(document, "killed_by_harness");
  if (killed.is_object() && text_of(field(killed, "reason")) == "seccomp") {
    return "killed for calling " + text_of(field(killed, "syscall")) +
           ", which the seccomp filter refuses (--seccomp kill)";
  }
  if (status == "crashed") return "terminated by " + format_exit(document);
  if (status == "sandbox_error" && field(document, "error").is_object()) {
    return "sandbox error: " + text_of(field(field(document, "error"), "message"));
  }
  if (status == "failed") return "exited with " + format_exit(document);
  return status;
}

// The stacks a timed-out run left (`diagnostics.stacks`) and the crash site of one that crashed
// (`diagnostics.crash`), as `isotest run` printed them; none without them.
std::vector<std::string> stacks_lines(const nlohmann::json& document) {
  const auto& diagnostics = field(document, "diagnostics");
  std::vector<std::string> lines;
  try {
    if (auto dump = stack_dump_from_json(field(diagnostics, "stacks"))) {
      lines = stack_summary(*dump);
    }
    if (auto crash = crash_report_from_json(field(diagnostics, "crash"))) {
      for (auto& line : crash_summary(*crash)) lines.push_back(std::move(line));
    }
  } catch (const nlohmann::json::exception&) {  // a hand-edited file: shown as it is elsewhere
  }
  return lines;
}

std::string stacks_text(const nlohmann::json& document) {
  std::string text;
  for (const auto& line : stacks_lines(document)) text += line + "\n";
  return text;
}

// The `artifacts` objects that kept files: the document's own, and for a case of `isotest gtest`
// its attempts' (each attempt kept its own folder; the case repeats its decisive attempt's).
std::vector<const nlohmann::json*> kept_artifacts(const nlohmann::json& document) {
  std::vector<const nlohmann::json*> kept;
  auto add = [&](const nlohmann::json& holder) {
    const auto& artifacts = field(holder, "artifacts");
    if (!field(artifacts, "kept").is_boolean() || !artifacts["kept"].get<bool>() ||
        !field(artifacts, "directory").is_string()) {
      return;
    }
    const bool listed = std::any_of(kept.begin(), kept.end(), [&](const nlohmann::json* other) {
      return (*other)["directory"] == artifacts["directory"];
    });
    if (!listed) kept.push_back(&artifacts);
  };
  add(document);
  for (const auto& attempt : field(document, "attempts")) add(attempt);
  return kept;
}

// The kept files as Jenkins (JUnit Attachments plugin) and GitLab link them from a test's
// system-out: one `[[ATTACHMENT|/abs/path]]` line each.
std::string attachment_lines(const nlohmann::json& document) {
  std::string lines;
  for (const auto* artifacts : kept_artifacts(document)) {
    const std::string directory = text_of(field(*artifacts, "directory"));
    for (const auto& path : field(*artifacts, "paths")) {
      if (path.is_string()) lines += "[[ATTACHMENT|" + directory + "/" + text_of(path) + "]]\n";
    }
  }
  return lines;
}

// "kept 2 files (1K) in DIR", for each folder of kept files; the console's last word on a run.
std::vector<std::string> artifacts_lines(const nlohmann::json& document) {
  std::vector<std::string> lines;
  for (const auto* artifacts : kept_artifacts(document)) {
    const auto files = static_cast<long long>(number_of(field(*artifacts, "files")));
    const double bytes = number_of(field(*artifacts, "bytes"));
    std::string line = "kept " + std::to_string(files) + (files == 1 ? " file (" : " files (") +
                       (bytes < 1024 ? std::to_string(static_cast<long long>(bytes)) + " bytes"
                                     : format_bytes(field(*artifacts, "bytes"))) +
                       ") in " + text_of(field(*artifacts, "directory"));
    if (field(*artifacts, "truncated").is_boolean() && (*artifacts)["truncated"].get<bool>()) {
      line += "; truncated at --artifacts-limit";
    }
    lines.push_back(line);
  }
  return lines;
}

std::string failure_body(const nlohmann::json& document) {
  std::string body;
  if (field(document, "error").is_object() && field(field(document, "error"), "hint").is_string()) {
    body += "hint: " + field(field(document, "error"), "hint").get<std::string>() + "\n";
  }
  const std::string err = output_text(document, "stderr");
  const std::string out = output_text(document, "stdout");
  if (!out.empty()) body += "--- stdout ---\n" + out + (out.ends_with('\n') ? "" : "\n");
  if (!err.empty()) body += "--- stderr ---\n" + err + (err.ends_with('\n') ? "" : "\n");
  return body;
}

std::pair<std::string, std::string> class_and_name(const std::string& name) {
  // Jenkins splits classname at the last dot and renders an empty one badly.
  auto dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) return {"isotest", name};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

std::string case_location(const nlohmann::json& failure) {
  const std::string file = text_of(field(failure, "file"));
  if (file.empty()) return {};
  const auto& line = field(failure, "line");
  return file +
         (line.is_number() && line.get<int>() >= 0 ? ":" + std::to_string(line.get<int>())
                                                   : std::string()) +
         ": ";
}

// The one-line reason of a case that did not pass, for the summary and JUnit's message.
std::string case_reason(const nlohmann::json& test_case, const nlohmann::json& run) {
  std::string status = status_of(test_case);
  if (status == "skipped") return text_of(field(test_case, "skip_message"));
  if (status == "failed") {
    const auto& failures = field(test_case, "failures");
    if (!failures.is_array() || failures.empty()) return "failed";
    std::string first = text_of(field(failures.front(), "message"));
    first = first.substr(0, first.find('\n'));
    return case_location(failures.front()) + first;
  }
  if (status == "crashed" || status == "timeout") {
    return "the binary ended while this case ran: " + failure_message(run);
  }
  if (status == "notrun") return "not run: the binary ended before this case";
  if (status == "disabled") return "disabled";
  return status;
}

// A case's reason, for the cases of one result that were not run, said once for all of them.
constexpr const char* kNotRunReason = "not run: the binary ended before them";

// Under the table: the cases of GoogleTest runs that did not pass, then those skipped.
std::string case_lines(const std::vector<const LoadedResult*>& ordered) {
  std::string failed;
  std::string skipped;
  for (const auto* result : ordered) {
    const auto& cases = field(result->document, "cases");
    if (!cases.is_array()) continue;
    const std::string run = terminal_text(text_of(field(result->document, "name")));
    int not_run = 0;
    for (const auto& test_case : cases) {
      const std::string status = status_of(test_case);
      const Verdict verdict = verdict_of(status);
      if (verdict == Verdict::passed) continue;
      if (status == "notrun") {
        ++not_run;
        continue;
      }
      std::string line = "  " + run + ": " + terminal_text(status) + "  " +
                         terminal_text(text_of(field(test_case, "name")));
      const std::string reason = case_reason(test_case, result->document);
      if (!reason.empty() && reason != status) line += "  (" + terminal_text(reason) + ")";
      (verdict == Verdict::skipped ? skipped : failed) += line + "\n";
    }
    if (not_run > 0) {
      failed += "  " + run + ": notrun  " + std::to_string(not_run) +
                (not_run == 1 ? " case" : " cases") + "  (" + kNotRunReason + ")\n";
    }
  }
  std::string lines;
  if (!failed.empty()) lines += "\ncases that did not pass:\n" + failed;
  if (!skipped.empty()) lines += "\ncases skipped:\n" + skipped;
  return lines;
}

// One JUnit <testcase>, and one test of the console's test totals: a GoogleTest case of a
// result, or the result itself.
struct TestUnit : ReportTest {
  [[nodiscard]] std::string status() const { return status_of(document()); }
};

bool any_case_failed(const nlohmann::json& run) {
  const auto& cases = field(run, "cases");
  return std::any_of(cases.begin(), cases.end(),
                     [](const nlohmann::json& c) { return !is_good(status_of(c)); });
}

std::vector<TestUnit> units_of(const LoadedResult& result) {
  const auto& cases = field(result.document, "cases");
  if (!cases.is_array() || cases.empty()) return {TestUnit{{&result, nullptr}}};
  std::vector<TestUnit> units;
  units.reserve(cases.size() + 1);
  for (const auto& test_case : cases) units.push_back(TestUnit{{&result, &test_case}});
  // The run failed although none of its cases did (a crash in a global tear-down, say): it is a
  // test of its own, so that its failure is counted.
  if (!is_good(status_of(result.document)) && !any_case_failed(result.document)) {
    units.push_back(TestUnit{{&result, nullptr}});
  }
  return units;
}

// One <testsuite>: a result file, whose time is its sandbox's, or an `isotest gtest` document,
// whose time is the runner's.
struct Suite {
  std::string name;
  double seconds = 0;
  std::vector<TestUnit> tests;
};

std::vector<Suite> suites_of(const std::vector<LoadedResult>& results) {
  std::vector<Suite> suites;
  const LoadedResult* previous = nullptr;
  for (const auto& result : results) {
    const bool same_document = previous != nullptr && result.runner && previous->runner &&
                               previous->file == result.file &&
                               previous->runner->binary == result.runner->binary;
    if (!same_document) {
      Suite suite;
      if (result.runner) {
        suite.name = fs::path(result.runner->binary).filename().string();
        suite.seconds = result.runner->duration_ms / 1000;
      } else {
        suite.name = text_of(field(result.document, "name"));
        suite.seconds = number_of(field(result.document, "duration_ms")) / 1000;
      }
      suites.push_back(std::move(suite));
    }
    for (const auto& unit : units_of(result)) suites.back().tests.push_back(unit);
    previous = &result;
  }
  return suites;
}

struct Counts {
  int passed = 0;
  int flaky = 0;
  int failures = 0;
  int errors = 0;
  int skipped = 0;
  std::map<std::string, int> failed_by_status;

  void add(const std::string& status) {
    switch (verdict_of(status)) {
      case Verdict::passed:
        ++(status == "flaky" ? flaky : passed);
        return;
      case Verdict::skipped:
        ++skipped;
        return;
      case Verdict::failure:
        ++failures;
        break;
      case Verdict::error:
        ++errors;
        break;
    }
    ++failed_by_status[status];
  }
  [[nodiscard]] int total() const { return passed + flaky + failures + errors + skipped; }

  // "N passed, N failed, N skipped", the form CI log scanners look for.
  [[nodiscard]] std::string line() const {
    return std::to_string(passed + flaky) + " passed, " + std::to_string(failures + errors) +
           " failed, " + std::to_string(skipped) + " skipped";
  }
  // "oom 1, timeout 1, failed 1", worst first.
  [[nodiscard]] std::string failed_breakdown() const {
    std::string text;
    std::map<std::string, int> rest = failed_by_status;
    for (const RunStatus status : kRunStatuses) {
      const auto it = rest.find(std::string(status_name(status)));
      if (it == rest.end()) continue;
      text += (text.empty() ? "" : ", ") + it->first + " " + std::to_string(it->second);
      rest.erase(it);
    }
    for (const auto& [status, count] : rest) {
      text += (text.empty() ? "" : ", ") + terminal_text(status) + " " + std::to_string(count);
    }
    return text;
  }
};

std::string padded(const std::string& text, std::size_t columns) {
  const std::size_t used = terminal_columns(text);
  return used >= columns ? text : text + std::string(columns - used, ' ');
}

std::string seconds_text(double seconds) {
  char number[32];
  static_cast<void>(std::snprintf(number, sizeof number, "%.3f", seconds));
  return number;
}

std::string counts_attributes(const Counts& counts, double seconds) {
  return "tests=\"" + std::to_string(counts.total()) + "\" failures=\"" +
         std::to_string(counts.failures) + "\" errors=\"" + std::to_string(counts.errors) +
         "\" skipped=\"" + std::to_string(counts.skipped) + "\" time=\"" + seconds_text(seconds) +
         "\"";
}

// A GoogleTest case of a result: classname its suite, name the case.
void case_testcase(const TestUnit& unit, std::ostringstream& out) {
  const nlohmann::json& test_case = *unit.test_case;
  const nlohmann::json& run = unit.result->document;
  const std::string status = unit.status();
  const std::string full_name = text_of(field(test_case, "name"));
  const auto dot = full_name.find('.');
  const std::string classname =
      dot == std::string::npos ? text_of(field(run, "name")) : full_name.substr(0, dot);
  const std::string name = dot == std::string::npos ? full_name : full_name.substr(dot + 1);
  out << "    <testcase classname=\"" << xml_text(classname) << "\" name=\"" << xml_text(name)
      << "\" time=\"" << seconds_text(number_of(field(test_case, "duration_ms")) / 1000) << "\">\n";
  const std::string message = xml_text(case_reason(test_case, run));
  switch (verdict_of(status)) {
    case Verdict::passed:
      break;
    case Verdict::failure: {
      std::string body;
      for (const auto& failure : field(test_case, "failures")) {
        body += case_location(failure) + text_of(field(failure, "message")) + "\n";
      }
      out << "      <failure message=\"" << message << "\" type=\"failed\">" << xml_text(body)
          << "</failure>\n";
      break;
    }
    case Verdict::error:
      // The run's output belongs to the case that was running when it ended, not to every case
      // it never reached.
      out << "      <error message=\"" << message << "\" type=\"" << xml_text(status) << "\">"
          << (status == "notrun" ? std::string() : xml_text(failure_body(run))) << "</error>\n";
      break;
    case Verdict::skipped:
      out << "      <skipped message=\"" << message << "\"/>\n";
      break;
  }
  // The run's files go with the cases that did not pass: what they left is what explains them.
  if (const std::string attachments = attachment_lines(run);
      !is_good(status) && status != "notrun" && !attachments.empty()) {
    out << "      <system-out>" << xml_text(attachments) << "</system-out>\n";
  }
  // The stacks belong to the case that was running when the time ran out, the crash site to the
  // one that crashed.
  if (const std::string stacks = stacks_text(run);
      (status == "timeout" || status == "crashed") && !stacks.empty()) {
    out << "      <system-err>" << xml_text(stacks) << "</system-err>\n";
  }
  out << "    </testcase>\n";
}

// A result as a test of its own.
void result_testcase(const TestUnit& unit, std::ostringstream& out) {
  const nlohmann::json& document = unit.result->document;
  const std::string status = unit.status();
  const auto [classname, name] = class_and_name(text_of(field(document, "name")));
  out << "    <testcase classname=\"" << xml_text(classname) << "\" name=\"" << xml_text(name)
      << "\" time=\"" << seconds_text(number_of(field(document, "duration_ms")) / 1000) << "\">\n";
  const std::string message = xml_text(failure_message(document));
  switch (verdict_of(status)) {
    case Verdict::passed:
      break;
    case Verdict::failure:
      out << "      <failure message=\"" << message << "\" type=\"failed\">"
          << xml_text(failure_body(document)) << "</failure>\n";
      break;
    case Verdict::error:
      out << "      <error message=\"" << message << "\" type=\"" << xml_text(status) << "\">"
          << xml_text(failure_body(document)) << "</error>\n";
      break;
    case Verdict::skipped:
      out << "      <skipped message=\"" << message << "\"/>\n";
      break;
  }
  // A flaky test passed in the end; its failed attempts stay visible (Surefire's element).
  if (status == "flaky" && field(document, "attempts").is_array()) {
    for (const auto& attempt : field(document, "attempts")) {
      if (!attempt.is_object() || is_good(status_of(attempt))) continue;
      out << "      <flakyFailure message=\"" << xml_text(failure_message(attempt)) << "\" type=\""
          << xml_text(status_of(attempt)) << "\">" << xml_text(failure_body(attempt))
          << "</flakyFailure>\n";
    }
  }
  std::string text = output_text(document, "stdout");
  if (const std::string attachments = attachment_lines(document); !attachments.empty()) {
    text += (text.empty() || text.ends_with('\n') ? "" : "\n") + attachments;
  }
  if (!text.empty()) out << "      <system-out>" << xml_text(text) << "</system-out>\n";
  std::string err = output_text(document, "stderr");
  if (const std::string stacks = stacks_text(document); !stacks.empty()) {
    err += (err.empty() || err.ends_with('\n') ? "" : "\n") + stacks;
  }
  if (!err.empty()) out << "      <system-err>" << xml_text(err) << "</system-err>\n";
  out << "    </testcase>\n";
}

}  // namespace

std::vector<LoadedResult> runner_results(const std::string& file, nlohmann::json document) {
  if (!field(document, "cases").is_array()) {
    throw_error("report: read " + file, 0, "runner document without a \"cases\" array",
                "the file is damaged; run isotest gtest again");
  }
  const RunnerOrigin origin{text_of(field(document, "binary")),
                            number_of(field(document, "duration_ms"))};
  std::vector<LoadedResult> cases;
  for (auto& entry : document["cases"]) {
    if (!field(entry, "name").is_string() || !field(entry, "status").is_string()) {
      throw_error("report: read " + file, 0, "case without a name or status",
                  "the file is damaged; run isotest gtest again");
    }
    cases.push_back(LoadedResult{file, std::move(entry), origin});
  }
  return cases;
}

std::vector<LoadedResult> load_results(const std::vector<std::string>& paths,
                                       std::vector<PassedOver>* passed_over) {
  std::vector<LoadedResult> results;
  std::vector<PassedOver> not_results;
  for (const auto& path : paths) {
    std::error_code error;
    if (fs::is_directory(path, error)) {
      for (const auto& file : json_files_below(path)) {
        for (auto& result : load_file(file, &not_results)) results.push_back(std::move(result));
      }
      continue;
    }
    for (auto& result : load_file(path, nullptr)) results.push_back(std::move(result));
  }
  if (passed_over != nullptr) *passed_over = std::move(not_results);
  if (results.empty()) {
    throw_error("report", 0, "no result files found in the given paths",
                "pass result files or folders that hold them (isotest run --json FILE)");
  }
  return results;
}

std::string summary_table(const std::vector<LoadedResult>& results) {
  std::vector<const LoadedResult*> ordered;
  ordered.reserve(results.size());
  for (const auto& result : results) ordered.push_back(&result);
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto* a, const auto* b) {
    return status_severity(status_of(a->document)) < status_severity(status_of(b->document));
  });
  std::size_t name_width = 4;
  std::size_t status_width = 13;
  for (const auto* result : ordered) {
    name_width = std::max(
        name_width, terminal_columns(terminal_text(text_of(field(result->document, "name")))));
    status_width =
        std::max(status_width, terminal_columns(terminal_text(status_of(result->document))));
  }
  std::ostringstream out;
  char columns[128];
  static_cast<void>(
      std::snprintf(columns, sizeof columns, "  %8s  %10s  %9s\n", "EXIT", "TIME", "PEAK MEM"));
  out << padded("STATUS", status_width) << "  " << padded("NAME", name_width) << columns;
  Counts of_results;
  for (const auto* result : ordered) {
    const auto& document = result->document;
    of_results.add(status_of(document));
    char duration[32];
    static_cast<void>(std::snprintf(duration, sizeof duration, "%.1f ms",
                                    number_of(field(document, "duration_ms"))));
    static_cast<void>(std::snprintf(
        columns, sizeof columns, "  %8s  %10s  %9s\n", terminal_text(format_exit(document)).c_str(),
        duration, format_bytes(field(field(document, "usage"), "peak_memory_bytes")).c_str()));
    out << padded(terminal_text(status_of(document)), status_width) << "  "
        << padded(terminal_text(text_of(field(document, "name"))), name_width) << columns;
  }
  out << case_lines(ordered);
  for (const auto* result : ordered) {
    auto lines = stacks_lines(result->document);
    for (auto& line : artifacts_lines(result->document)) lines.push_back(std::move(line));
    if (lines.empty()) continue;
    out << "\n" << terminal_text(text_of(field(result->document, "name"))) << ":\n";
    for (const auto& line : lines) out << "  " << terminal_text(line) << "\n";
  }

  Counts of_tests;
  bool tests_are_results = true;
  for (const auto& result : results) {
    for (const auto& unit : units_of(result)) {
      of_tests.add(unit.status());
      if (unit.test_case != nullptr) tests_are_results = false;
    }
  }
  out << "\n";
  // The totals line alone on its line; when results hold GoogleTest cases, it counts the tests
  // JUnit counts, and the results get a line of their own above it.
  if (!tests_are_results) {
    out << of_results.total() << (of_results.total() == 1 ? " result: " : " results: ")
        << of_results.line();
    if (const auto breakdown = of_results.failed_breakdown(); !breakdown.empty()) {
      out << " (failed: " << breakdown << ")";
    }
    out << "\n"
        << of_tests.total()
        << " tests (the JUnit testcases: each GoogleTest case, or the result itself when it has "
           "none):\n";
  }
  out << of_tests.line() << "\n";
  if (of_tests.flaky > 0) out << "of the passed, flaky: " << of_tests.flaky << "\n";
  if (const auto breakdown = of_tests.failed_breakdown(); !breakdown.empty()) {
    out << "of the failed: " << breakdown << "\n";
  }
  return out.str();
}

int report_exit_code(const std::vector<LoadedResult>& results) {
  for (const auto& result : results) {
    if (!is_good(status_of(result.document))) return 1;
  }
  return 0;
}

std::string junit_xml(const std::vector<LoadedResult>& results) {
  Counts all;
  double all_seconds = 0;
  std::ostringstream suites;
  for (const auto& suite : suites_of(results)) {
    Counts counts;
    std::ostringstream tests;
    for (const auto& unit : suite.tests) {
      counts.add(unit.status());
      all.add(unit.status());
      if (unit.test_case != nullptr) {
        case_testcase(unit, tests);
      } else {
        result_testcase(unit, tests);
      }
    }
    all_seconds += suite.seconds;
    suites << "  <testsuite name=\"" << xml_text(suite.name) << "\" "
           << counts_attributes(counts, suite.seconds) << ">\n"
           << tests.str() << "  </testsuite>\n";
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"isotest\" " +
         counts_attributes(all, all_seconds) + ">\n" + suites.str() + "</testsuites>\n";
}

std::vector<ReportTest> report_tests(const LoadedResult& result) {
  const auto units = units_of(result);
  return {units.begin(), units.end()};
}

std::string report_test_reason(const ReportTest& test) {
  const std::string status = status_of(test.document());
  if (verdict_of(status) == Verdict::passed) return {};
  if (test.test_case != nullptr) return case_reason(*test.test_case, test.result->document);
  return failure_message(test.result->document);
}

std::string run_failure_message(const nlohmann::json& run) {
  return failure_message(run);
}

}  // namespace isotest
