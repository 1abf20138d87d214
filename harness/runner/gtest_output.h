// Reads GoogleTest's console output as it streams in: which case is running, how each case
// ended, and the lines each case printed. A batch that crashed is attributed from this when the
// result file has no per-case `cases`.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "run_status.h"

namespace isotest {

// One case as GoogleTest's console lines tell it (the runner's view of a batch without the
// plugin's events). Not a CaseResult (result.h): no failures, properties or crash, but the
// case's slice of the output and when it started.
struct CaseOutcome {
  // passed, failed or skipped; unset: started, never finished
  std::optional<RunStatus> status;
  // GoogleTest's own "(N ms)"; else from its `[ RUN      ]` line to its result line, or to the
  // end of the output for the case that never finished (set by finish()).
  std::optional<double> duration_ms;
  double started_ms = 0;  // when its `[ RUN      ]` line arrived
  std::string output;     // from its `[ RUN      ]` line to its result line, bounded
  bool truncated = false;
};

class GtestOutputParser {
 public:
  explicit GtestOutputParser(std::size_t output_limit_bytes = std::size_t{64} * 1024)
      : output_limit_bytes_(output_limit_bytes) {}

  // `now_ms`: when the bytes arrived, in milliseconds from any fixed start.
  void feed(std::string_view bytes, double now_ms = 0);
  // The output is over at `end_ms` (the last line may lack its newline): the case still running
  // lasted until then.
  void finish(double end_ms = 0);

  // The case whose `[ RUN      ]` line came last and has no result line yet; empty if none.
  [[nodiscard]] const std::string& running_case() const { return running_; }
  [[nodiscard]] const std::map<std::string, CaseOutcome>& outcomes() const { return outcomes_; }

 private:
  void line(std::string_view text);

  std::size_t output_limit_bytes_;
  double now_ms_ = 0;
  std::string partial_;
  std::string running_;
  std::map<std::string, CaseOutcome> outcomes_;
};

}  // namespace isotest
