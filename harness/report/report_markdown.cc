#include "report_markdown.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "report.h"
#include "result_reading.h"
#include "run_status.h"
#include "safe_text.h"

namespace isotest {

namespace {

// A CI page is for a glance: long names and messages are cut, and long lists end with a count
// of the rest (GitHub keeps at most 1 MiB of a step's summary).
constexpr std::size_t kNameKeptCharacters = 200;
constexpr std::size_t kReasonKeptCharacters = 300;
constexpr std::size_t kTestsListed = 50;
constexpr std::size_t kSlowestListed = 10;

// TEXT cut to about KEPT bytes at a character boundary, with an ellipsis.
std::string cut(std::string text, std::size_t kept) {
  if (text.size() <= kept) return text;
  while (kept > 0 && (static_cast<unsigned char>(text[kept]) & 0xC0U) == 0x80U) --kept;
  text.resize(kept);
  return text + "\u2026";
}

std::string duration_text(double ms) {
  char text[32];
  if (ms >= 1000) {
    static_cast<void>(std::snprintf(text, sizeof text, "%.2f s", ms / 1000));
  } else {
    static_cast<void>(std::snprintf(text, sizeof text, "%.1f ms", ms));
  }
  return text;
}

// The worst first, as in report.cc's order.
std::vector<std::string> statuses_by_severity(const nlohmann::json& counts) {
  std::vector<std::string> statuses;
  for (const auto& [status, count] : counts.items()) statuses.push_back(status);
  std::stable_sort(statuses.begin(), statuses.end(), [](const auto& a, const auto& b) {
    return status_severity(a) < status_severity(b);
  });
  return statuses;
}

// A test as the console names it: a GoogleTest case of a result after the result's name.
std::string test_name(const nlohmann::json& test, const nlohmann::json& results) {
  std::string name = text_of(test["name"]);
  if (!test.value("case", false)) return name;
  return text_of(results[test["result"].get<std::size_t>()]["name"]) + ": " + name;
}

void test_table(std::string& out, const std::vector<const nlohmann::json*>& listed,
                const nlohmann::json& results, const char* third_column) {
  out += "| test | status | ";
  out += third_column;
  out += " |\n|---|---|---|\n";
  for (std::size_t i = 0; i < listed.size() && i < kTestsListed; ++i) {
    const auto& test = *listed[i];
    const auto& result = results[test["result"].get<std::size_t>()];
    std::string third;
    if (test["status"] == "flaky") {
      third = std::to_string(result.value("failed_attempts", 0)) + " of " +
              std::to_string(result.contains("attempts") ? result["attempts"].size() : 1) +
              " attempts failed";
    } else {
      third = text_of(test.value("reason", nlohmann::json()));
      third = third.substr(0, third.find('\n'));
    }
    out += "| " + markdown_text(cut(test_name(test, results), kNameKeptCharacters)) + " | " +
           markdown_text(text_of(test["status"])) + " | " +
           markdown_text(cut(third, kReasonKeptCharacters)) + " |\n";
  }
  if (listed.size() > kTestsListed) {
    out += "\nand " + std::to_string(listed.size() - kTestsListed) +
           " more (the HTML report or `isotest report` lists them all)\n";
  }
}

}  // namespace

std::string markdown_text(std::string_view text) {
  const std::string visible = terminal_text(text);
  std::string escaped;
  escaped.reserve(visible.size() * 2);
  for (const char c : visible) {
    const bool punctuation = (c >= '!' && c <= '/') || (c >= ':' && c <= '@') ||
                             (c >= '[' && c <= '`') || (c >= '{' && c <= '~');
    if (punctuation) escaped += '\\';
    escaped += c;
  }
  return escaped;
}

std::string report_markdown(const nlohmann::json& page_data) {
  const auto& summary = page_data["summary"];
  const auto& tests = page_data["tests"];
  const auto& results = page_data["results"];
  std::string out = "### isotest: " + text_of(summary["line"]);
  if (summary.value("flaky", 0) > 0) {
    out += " (flaky: " + std::to_string(summary.value("flaky", 0)) + ")";
  }
  out += "\n\n";
  out += "| status | tests |\n|---|---:|\n";
  for (const auto& status : statuses_by_severity(summary["counts"])) {
    out += "| " + markdown_text(status) + " | " + summary["counts"][status].dump() + " |\n";
  }
  out += "\n" + std::to_string(summary.value("tests", 0)) + " tests in " +
         std::to_string(summary.value("results", 0)) + " results";
  if (summary["started_at"].is_string()) {
    out += ", started " + markdown_text(text_of(summary["started_at"])) + ", wall time " +
           duration_text(summary.value("wall_ms", 0.0)) + ", sandbox time " +
           duration_text(summary.value("total_ms", 0.0));
  }
  out += ".\n";

  std::vector<const nlohmann::json*> failed;
  std::vector<const nlohmann::json*> flaky;
  std::vector<const nlohmann::json*> by_duration;
  for (const auto& test : tests) {
    const std::string status = text_of(test["status"]);
    if (status == "flaky") flaky.push_back(&test);
    const Verdict verdict = verdict_of(status);
    if (verdict == Verdict::failure || verdict == Verdict::error) failed.push_back(&test);
    by_duration.push_back(&test);
  }
  if (!failed.empty()) {
    out += "\n#### Failed (" + std::to_string(failed.size()) + ")\n\n";
    test_table(out, failed, results, "first failure");
  }
  if (!flaky.empty()) {
    out += "\n#### Flaky (" + std::to_string(flaky.size()) + ")\n\n";
    test_table(out, flaky, results, "attempts");
  }
  std::stable_sort(by_duration.begin(), by_duration.end(), [](const auto* a, const auto* b) {
    return (*a)["duration_ms"].template get<double>() > (*b)["duration_ms"].template get<double>();
  });
  if (!by_duration.empty()) {
    out += "\n#### Slowest " + std::to_string(std::min(kSlowestListed, by_duration.size())) +
           "\n\n| test | status | duration |\n|---|---|---:|\n";
    for (std::size_t i = 0; i < by_duration.size() && i < kSlowestListed; ++i) {
      const auto& test = *by_duration[i];
      out += "| " + markdown_text(cut(test_name(test, results), kNameKeptCharacters)) + " | " +
             markdown_text(text_of(test["status"])) + " | " +
             duration_text(test["duration_ms"].get<double>()) + " |\n";
    }
  }
  return out;
}

}  // namespace isotest
