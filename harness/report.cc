#include "report.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "result.h"
#include "setup_error.h"

namespace isotest {

namespace {

namespace fs = std::filesystem;

// Order of the summary: what needs attention first.
constexpr std::string_view kStatusOrder[] = {
    "sandbox_error", "crashed", "oom", "timeout", "failed", "notrun", "flaky", "skipped", "passed"};

int severity(const std::string& status) {
  for (std::size_t i = 0; i < std::size(kStatusOrder); ++i) {
    if (kStatusOrder[i] == status) return static_cast<int>(i);
  }
  return 0;
}

bool is_good(const std::string& status) {
  return status == "passed" || status == "skipped" || status == "flaky";
}

// nlohmann's const operator[] asserts (or is undefined) for a missing key; result files are
// input, so every lookup goes through here.
const nlohmann::json& field(const nlohmann::json& object, const char* key) {
  static const nlohmann::json kMissing;
  if (!object.is_object()) return kMissing;
  auto it = object.find(key);
  return it == object.end() ? kMissing : *it;
}

std::string text_of(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : std::string();
}

std::string status_of(const nlohmann::json& document) {
  return text_of(field(document, "status"));
}

// `isotest gtest --json` documents hold one result per case; each counts as a result of its own,
// so shards of one binary merge into one summary.
constexpr std::string_view kRunnerSchema = "isotest-gtest/1";

std::vector<LoadedResult> load_file(const fs::path& file) {
  const std::string name = file.string();
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw_errno("report: read " + name, "cannot open the file", "check the path");
  }
  nlohmann::json document = nlohmann::json::parse(in, nullptr, false);
  if (document.is_discarded() || !document.is_object()) {
    throw_error("report: read " + name, 0, "not a JSON document",
                "pass result files written by `isotest run --json`");
  }
  const std::string schema = document.value("schema", "");
  if (schema == kRunnerSchema) {
    std::vector<LoadedResult> cases;
    if (!field(document, "cases").is_array()) {
      throw_error("report: read " + name, 0, "runner document without a \"cases\" array",
                  "the file is damaged; run isotest gtest again");
    }
    for (auto& entry : document["cases"]) {
      if (!field(entry, "name").is_string() || !field(entry, "status").is_string()) {
        throw_error("report: read " + name, 0, "case without a name or status",
                    "the file is damaged; run isotest gtest again");
      }
      cases.push_back(LoadedResult{name, std::move(entry)});
    }
    return cases;
  }
  if (schema != kResultSchema) {
    throw_error("report: read " + name, 0,
                "not an isotest result (no \"schema\": \"" + std::string(kResultSchema) +
                    "\" or \"" + std::string(kRunnerSchema) + "\")",
                "pass result files written by `isotest run --json` or `isotest gtest --json`");
  }
  if (!field(document, "name").is_string() || !field(document, "status").is_string()) {
    throw_error("report: read " + name, 0, "result without a name or status",
                "the file is damaged; run the test again");
  }
  return {LoadedResult{name, std::move(document)}};
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

// XML 1.0 allows no control characters but tab, newline and carriage return.
std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
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

double seconds_of(const nlohmann::json& document) {
  return field(document, "duration_ms").is_number()
             ? field(document, "duration_ms").get<double>() / 1000
             : 0;
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

// Under the table, the cases of GoogleTest runs that did not pass.
std::string case_lines(const std::vector<const LoadedResult*>& ordered) {
  std::string lines;
  for (const auto* result : ordered) {
    const auto& cases = field(result->document, "cases");
    if (!cases.is_array()) continue;
    for (const auto& test_case : cases) {
      const std::string status = status_of(test_case);
      if (status == "passed") continue;
      lines += "  " + text_of(field(result->document, "name")) + ": " + status + "  " +
               text_of(field(test_case, "name"));
      const std::string reason = case_reason(test_case, result->document);
      if (!reason.empty() && reason != status) lines += "  (" + reason + ")";
      lines += "\n";
    }
  }
  return lines.empty() ? lines : "\ncases that did not pass:\n" + lines;
}

struct JunitCounts {
  int tests = 0;
  int failures = 0;
  int errors = 0;
  int skipped = 0;
};

// One <testcase> per GoogleTest case: classname the suite, name the case.
void junit_cases(const nlohmann::json& run, std::ostringstream& out, JunitCounts& counts) {
  char number[32];
  for (const auto& test_case : field(run, "cases")) {
    const std::string status = status_of(test_case);
    const std::string full_name = text_of(field(test_case, "name"));
    const auto dot = full_name.find('.');
    const std::string classname =
        dot == std::string::npos ? text_of(field(run, "name")) : full_name.substr(0, dot);
    const std::string name = dot == std::string::npos ? full_name : full_name.substr(dot + 1);
    const double seconds = field(test_case, "duration_ms").is_number()
                               ? field(test_case, "duration_ms").get<double>() / 1000
                               : 0;
    static_cast<void>(std::snprintf(number, sizeof number, "%.3f", seconds));
    ++counts.tests;
    out << "  <testcase classname=\"" << xml_escape(classname) << "\" name=\"" << xml_escape(name)
        << "\" time=\"" << number << "\">\n";
    const std::string message = xml_escape(case_reason(test_case, run));
    if (status == "failed") {
      ++counts.failures;
      std::string body;
      for (const auto& failure : field(test_case, "failures")) {
        body += case_location(failure) + text_of(field(failure, "message")) + "\n";
      }
      out << "    <failure message=\"" << message << "\" type=\"failed\">" << xml_escape(body)
          << "</failure>\n";
    } else if (status == "crashed" || status == "timeout") {
      ++counts.errors;
      out << "    <error message=\"" << message << "\" type=\"" << status << "\">"
          << xml_escape(failure_body(run)) << "</error>\n";
    } else if (status != "passed") {
      ++counts.skipped;
      out << "    <skipped message=\"" << message << "\"/>\n";
    }
    out << "  </testcase>\n";
  }
}

bool any_case_failed(const nlohmann::json& run) {
  for (const auto& test_case : field(run, "cases")) {
    const std::string status = status_of(test_case);
    if (status == "failed" || status == "crashed" || status == "timeout") return true;
  }
  return false;
}

}  // namespace

std::vector<LoadedResult> load_results(const std::vector<std::string>& paths) {
  std::vector<LoadedResult> results;
  for (const auto& path : paths) {
    std::error_code error;
    if (fs::is_directory(path, error)) {
      std::vector<fs::path> files;
      for (const auto& entry : fs::recursive_directory_iterator(path, error)) {
        if (entry.is_regular_file() && entry.path().extension() == ".json") {
          files.push_back(entry.path());
        }
      }
      std::sort(files.begin(), files.end());
      for (const auto& file : files) {
        for (auto& result : load_file(file)) results.push_back(std::move(result));
      }
      continue;
    }
    for (auto& result : load_file(path)) results.push_back(std::move(result));
  }
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
    return severity(status_of(a->document)) < severity(status_of(b->document));
  });
  std::size_t name_width = 4;
  for (const auto* result : ordered) {
    name_width = std::max(name_width, text_of(field(result->document, "name")).size());
  }
  std::ostringstream out;
  char line[512];
  static_cast<void>(std::snprintf(line, sizeof line, "%-13s  %-*s  %8s  %10s  %9s\n", "STATUS",
                                  static_cast<int>(name_width), "NAME", "EXIT", "TIME",
                                  "PEAK MEM"));
  out << line;
  std::map<std::string, int> counts;
  for (const auto* result : ordered) {
    const auto& document = result->document;
    const std::string status = status_of(document);
    ++counts[status];
    char duration[32];
    static_cast<void>(std::snprintf(duration, sizeof duration, "%.1f ms",
                                    field(document, "duration_ms").is_number()
                                        ? field(document, "duration_ms").get<double>()
                                        : 0.0));
    const auto& usage = field(document, "usage");
    static_cast<void>(std::snprintf(line, sizeof line, "%-13s  %-*s  %8s  %10s  %9s\n",
                                    status.c_str(), static_cast<int>(name_width),
                                    text_of(field(document, "name")).c_str(),
                                    format_exit(document).c_str(), duration,
                                    format_bytes(field(usage, "peak_memory_bytes")).c_str()));
    out << line;
  }
  out << case_lines(ordered);
  // "N passed, N failed, N skipped" alone on a line, as CI log scanners expect; the statuses
  // behind the failures on the next.
  int not_good = 0;
  std::string breakdown;
  for (std::string_view status : kStatusOrder) {
    const auto it = counts.find(std::string(status));
    if (it == counts.end() || is_good(it->first)) continue;
    not_good += it->second;
    breakdown += (breakdown.empty() ? "" : ", ") + it->first + " " + std::to_string(it->second);
  }
  out << "\n"
      << counts["passed"] + counts["flaky"] << " passed, " << not_good << " failed, "
      << counts["skipped"] << " skipped\n";
  if (counts["flaky"] > 0) out << "of the passed, flaky: " << counts["flaky"] << "\n";
  if (!breakdown.empty()) out << "of the failed: " << breakdown << "\n";
  return out.str();
}

int report_exit_code(const std::vector<LoadedResult>& results) {
  for (const auto& result : results) {
    if (!is_good(status_of(result.document))) return 1;
  }
  return 0;
}

std::string junit_xml(const std::vector<LoadedResult>& results) {
  JunitCounts counts;
  int& failures = counts.failures;
  int& errors = counts.errors;
  int& skipped = counts.skipped;
  double total_seconds = 0;
  std::ostringstream cases;
  char number[32];
  for (const auto& result : results) {
    const auto& document = result.document;
    const std::string status = status_of(document);
    // A GoogleTest run with cases becomes one testcase per case; the run itself shows up too
    // only when it failed although no case did (a crash in a global tear-down, say).
    if (field(document, "cases").is_array() && !field(document, "cases").empty()) {
      junit_cases(document, cases, counts);
      if (is_good(status) || any_case_failed(document)) {
        total_seconds += seconds_of(document);
        continue;
      }
    }
    ++counts.tests;
    const auto [classname, name] = class_and_name(text_of(field(document, "name")));
    total_seconds += seconds_of(document);
    static_cast<void>(std::snprintf(number, sizeof number, "%.3f", seconds_of(document)));
    cases << "  <testcase classname=\"" << xml_escape(classname) << "\" name=\"" << xml_escape(name)
          << "\" time=\"" << number << "\">\n";
    const std::string message = xml_escape(failure_message(document));
    if (status == "failed") {
      ++failures;
      cases << "    <failure message=\"" << message << "\" type=\"failed\">"
            << xml_escape(failure_body(document)) << "</failure>\n";
    } else if (status == "skipped") {
      ++skipped;
      cases << "    <skipped message=\"" << message << "\"/>\n";
    } else if (!is_good(status)) {
      ++errors;
      cases << "    <error message=\"" << message << "\" type=\"" << xml_escape(status) << "\">"
            << xml_escape(failure_body(document)) << "</error>\n";
    }
    // A flaky test passed in the end; its failed attempts stay visible (Surefire's element).
    if (field(document, "attempts").is_array()) {
      for (const auto& attempt : field(document, "attempts")) {
        if (!attempt.is_object() || is_good(status_of(attempt))) continue;
        if (status != "flaky") continue;
        cases << "    <flakyFailure message=\"" << xml_escape(failure_message(attempt))
              << "\" type=\"" << xml_escape(status_of(attempt)) << "\">"
              << xml_escape(failure_body(attempt)) << "</flakyFailure>\n";
      }
    }
    if (const std::string out = output_text(document, "stdout"); !out.empty()) {
      cases << "    <system-out>" << xml_escape(out) << "</system-out>\n";
    }
    if (const std::string err = output_text(document, "stderr"); !err.empty()) {
      cases << "    <system-err>" << xml_escape(err) << "</system-err>\n";
    }
    cases << "  </testcase>\n";
  }
  static_cast<void>(std::snprintf(number, sizeof number, "%.3f", total_seconds));
  std::ostringstream xml;
  xml << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuite name=\"isotest\" tests=\"" << counts.tests << "\" failures=\"" << failures
      << "\" errors=\"" << errors << "\" skipped=\"" << skipped << "\" time=\"" << number << "\">\n"
      << cases.str() << "</testsuite>\n";
  return xml.str();
}

}  // namespace isotest
