// GoogleTest binaries: recognising one, and turning what it reported (the plugin's events,
// GoogleTest's own JSON output) into the result's `cases` (docs/result-json.md,
// docs/gtest-plugin.md). The launch side is gtest_extension.h.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "result.h"

namespace isotest {

enum class GtestKind { none, plain, plugin };

// Looks into the executable file: GoogleTest's help text makes it a GoogleTest binary, the
// plugin's marker (gtest-plugin/listener.cc) one that streams events.
GtestKind detect_gtest_binary(const std::string& path);

// What the plugin's fatal-signal handler reported (gtest-plugin/crash_handler.cc): the crash,
// its frames with their pc only and the modules they lie in (named later, by forensics/).
struct PluginCrash {
  CrashReport report;     // source "plugin"
  std::string case_name;  // empty: outside any case
};

// Builds `cases` from the plugin's event lines (one JSON object per line). Pure logic: times
// are milliseconds since the run started, given by the caller.
class CaseAssembler {
 public:
  // Raw bytes from the pipe, in any pieces.
  void feed(std::string_view bytes, double now_ms);
  [[nodiscard]] bool started() const { return started_; }
  // The crash the plugin reported, if it did.
  [[nodiscard]] const std::optional<PluginCrash>& crash() const { return crash_; }
  // The run is over: a case still running gets `running_status` and lasted until `end_ms`;
  // cases never started are `notrun`.
  [[nodiscard]] std::vector<CaseResult> finish(RunStatus running_status, double end_ms) const;
  // The crash the plugin reported, on its case of `result.cases` and as the run's
  // `diagnostics.crash` (trigger crash); nothing when it reported none.
  void add_crash(RunResult& result) const;

 private:
  void on_event(const nlohmann::json& event, double now_ms);
  void on_crash(const nlohmann::json& event);
  CaseResult& case_named(const std::string& name);

  std::string pending_;
  bool started_ = false;
  std::vector<CaseResult> cases_;  // run order; disabled ones after
  std::optional<std::size_t> running_;
  double running_since_ms_ = 0;
  std::optional<PluginCrash> crash_;
};

// GoogleTest's own JSON output (GTEST_OUTPUT=json:FILE) as `cases`; nullopt when the text is
// not such a document.
std::optional<std::vector<CaseResult>> cases_from_gtest_json(std::string_view text);

}  // namespace isotest
