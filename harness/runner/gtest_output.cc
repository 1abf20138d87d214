#include "gtest_output.h"

#include <algorithm>
#include <charconv>

namespace isotest {

namespace {

constexpr std::string_view kRun = "[ RUN      ] ";
constexpr std::pair<std::string_view, RunStatus> kEnds[] = {{"[       OK ] ", RunStatus::passed},
                                                            {"[  FAILED  ] ", RunStatus::failed},
                                                            {"[  SKIPPED ] ", RunStatus::skipped}};

// "Suite.Case (12 ms)" -> 12.
std::optional<double> duration_of(std::string_view rest) {
  const auto open = rest.rfind(" (");
  if (open == std::string_view::npos || !rest.ends_with(" ms)")) return std::nullopt;
  const auto digits = rest.substr(open + 2, rest.size() - open - 6);
  long long value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return static_cast<double>(value);
}

}  // namespace

void GtestOutputParser::feed(std::string_view bytes, double now_ms) {
  now_ms_ = now_ms;
  while (!bytes.empty()) {
    const auto newline = bytes.find('\n');
    if (newline == std::string_view::npos) {
      partial_.append(bytes);
      return;
    }
    partial_.append(bytes.substr(0, newline + 1));
    bytes.remove_prefix(newline + 1);
    line(partial_);
    partial_.clear();
  }
}

void GtestOutputParser::finish(double end_ms) {
  now_ms_ = end_ms;
  if (!partial_.empty()) {
    line(partial_);
    partial_.clear();
  }
  if (running_.empty()) return;
  auto& crashed = outcomes_[running_];
  crashed.duration_ms = std::max(0.0, end_ms - crashed.started_ms);
}

void GtestOutputParser::line(std::string_view text) {
  std::string_view bare = text;
  while (!bare.empty() && (bare.back() == '\n' || bare.back() == '\r')) bare.remove_suffix(1);
  if (bare.starts_with(kRun)) {
    running_ = std::string(bare.substr(kRun.size()));
    outcomes_[running_] = CaseOutcome{.started_ms = now_ms_};
  }
  if (running_.empty()) return;
  auto& outcome = outcomes_[running_];
  if (outcome.output.size() + text.size() <= output_limit_bytes_) {
    outcome.output.append(text);
  } else {
    outcome.truncated = true;
  }
  for (const auto& [prefix, status] : kEnds) {
    if (!bare.starts_with(prefix)) continue;
    const auto rest = bare.substr(prefix.size());
    if (!rest.starts_with(running_) ||
        (rest.size() > running_.size() && rest[running_.size()] != ' ')) {
      continue;
    }
    outcome.status = status;
    // Without GoogleTest's time (--gtest_print_time=0), the time between its lines.
    outcome.duration_ms = duration_of(rest).value_or(std::max(0.0, now_ms_ - outcome.started_ms));
    running_.clear();
    return;
  }
}

}  // namespace isotest
