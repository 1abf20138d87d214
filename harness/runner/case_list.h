// The cases of a GoogleTest binary: its --gtest_list_tests output parsed into full names, the
// GoogleTest filter syntax, and GoogleTest's sharding rule.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace isotest {

struct CaseListing {
  std::vector<std::string> cases;  // runnable, in the order listed
  std::size_t disabled_count = 0;  // listed, but DISABLED_
  // A program that is not GoogleTest's (/bin/true, a script) lists no case at all.
  [[nodiscard]] bool names_any_case() const { return !cases.empty() || disabled_count > 0; }
};

// Full names ("Suite.Case", "Inst/Suite.Case/0", "Typed/0.Case") in the order listed. Lines
// that are not part of the listing (gtest_main's "Running main() from ...") are ignored;
// DISABLED_ cases are left out, as GoogleTest leaves them out of a run.
CaseListing parse_case_list(std::string_view listing);

// --gtest_filter syntax: POSITIVE[:POSITIVE...][-NEGATIVE[:NEGATIVE...]], `*` and `?` wildcards;
// an empty positive part means every case.
class CaseFilter {
 public:
  explicit CaseFilter(std::string_view filter);
  [[nodiscard]] bool matches(std::string_view name) const;

 private:
  std::vector<std::string> positive_;
  std::vector<std::string> negative_;
};

bool glob_matches(std::string_view pattern, std::string_view name);

// GoogleTest's rule: the i-th selected case belongs to shard i % count.
std::vector<std::string> select_shard(const std::vector<std::string>& cases, std::int64_t index,
                                      std::int64_t count);

}  // namespace isotest
