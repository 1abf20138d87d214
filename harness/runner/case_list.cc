#include "case_list.h"

namespace isotest {

namespace {

// "Suite.  # TypeParam = int" -> "Suite."; "Case/0  # GetParam() = 3" -> "Case/0".
std::string_view without_comment(std::string_view line) {
  const auto comment = line.find("  #");
  if (comment != std::string_view::npos) line = line.substr(0, comment);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) parts.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

bool is_disabled(std::string_view suite, std::string_view name) {
  auto starts_disabled = [](std::string_view part) {
    const auto slash = part.rfind('/');
    if (slash != std::string_view::npos) part = part.substr(slash + 1);
    return part.starts_with("DISABLED_");
  };
  return starts_disabled(suite) || name.starts_with("DISABLED_");
}

}  // namespace

CaseListing parse_case_list(std::string_view listing) {
  CaseListing parsed;
  std::string suite;
  std::size_t start = 0;
  while (start < listing.size()) {
    auto end = listing.find('\n', start);
    if (end == std::string_view::npos) end = listing.size();
    const std::string_view raw = listing.substr(start, end - start);
    start = end + 1;
    const std::string_view line = without_comment(raw);
    if (line.empty()) continue;
    if (line.front() != ' ') {
      suite = line.back() == '.' ? std::string(line) : std::string();
      continue;
    }
    if (suite.empty()) continue;
    const auto name = line.substr(line.find_first_not_of(' '));
    if (is_disabled(std::string_view(suite).substr(0, suite.size() - 1), name)) {
      ++parsed.disabled_count;
      continue;
    }
    parsed.cases.push_back(suite + std::string(name));
  }
  return parsed;
}

bool glob_matches(std::string_view pattern, std::string_view name) {
  // Iterative wildcard match with one backtrack point, as GoogleTest's own PatternMatchesString.
  std::size_t p = 0;
  std::size_t n = 0;
  std::size_t star = std::string_view::npos;
  std::size_t resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

CaseFilter::CaseFilter(std::string_view filter) {
  const auto dash = filter.find('-');
  positive_ = split(filter.substr(0, dash), ':');
  if (dash != std::string_view::npos) negative_ = split(filter.substr(dash + 1), ':');
  if (positive_.empty()) positive_.emplace_back("*");
}

bool CaseFilter::matches(std::string_view name) const {
  auto any = [name](const std::vector<std::string>& patterns) {
    for (const auto& pattern : patterns) {
      if (glob_matches(pattern, name)) return true;
    }
    return false;
  };
  return any(positive_) && !any(negative_);
}

std::vector<std::string> select_shard(const std::vector<std::string>& cases, std::int64_t index,
                                      std::int64_t count) {
  std::vector<std::string> selected;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    if (static_cast<std::int64_t>(i) % count == index) selected.push_back(cases[i]);
  }
  return selected;
}

}  // namespace isotest
