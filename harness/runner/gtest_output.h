// Reads GoogleTest's console output as it streams in: which case is running, how each case
// ended, and the lines each case printed. A batch that crashed is attributed from this when the
// result file has no per-case `cases`.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace isotest {

struct CaseOutcome {
  std::string status;  // "passed", "failed", "skipped"; empty: started, never finished
  std::optional<double> duration_ms;
  std::string output;  // from its `[ RUN      ]` line to its result line, bounded
  bool truncated = false;
};

class GtestOutputParser {
 public:
  explicit GtestOutputParser(std::size_t output_limit_bytes = std::size_t{64} * 1024)
      : output_limit_bytes_(output_limit_bytes) {}

  void feed(std::string_view bytes);
  void finish();  // the last line may lack its newline

  // The case whose `[ RUN      ]` line came last and has no result line yet; empty if none.
  [[nodiscard]] const std::string& running_case() const { return running_; }
  [[nodiscard]] const std::map<std::string, CaseOutcome>& outcomes() const { return outcomes_; }

 private:
  void line(std::string_view text);

  std::size_t output_limit_bytes_;
  std::string partial_;
  std::string running_;
  std::map<std::string, CaseOutcome> outcomes_;
};

}  // namespace isotest
