// What the HTML and Markdown reports show (docs/report.md), as one JSON value built from the
// results `isotest report` reads: the header's figures, one row per result (sandbox), one per
// test, the timeline's bars with their lanes. Plain data, so the tests can check it and both
// writers read the same facts.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "report.h"

namespace isotest {

// How much of a test's output a report page keeps, per stream: the head and the tail, as the
// result file itself does (docs/result-json.md, `output`). A page of ten thousand tests must stay
// small, so a test that passed keeps less than one that did not.
struct OutputExcerptLimits {
  std::size_t not_passed_bytes = 16384;
  std::size_t passed_bytes = 512;
};

struct ReportPageContext {
  std::vector<std::string> sources;  // the paths given to `isotest report`
  std::string hostname;              // of the machine that wrote the report
  std::string generated_at;          // RFC 3339, UTC
  OutputExcerptLimits output_limits;
};

// A bar of the timeline: a sandbox's time, [start_ms, start_ms + duration_ms).
struct TimelineInterval {
  double start_ms = 0;
  double duration_ms = 0;
};

// Lanes for INTERVALS by greedy interval packing: in order of start, each goes to the lowest
// lane that is free by then. With N slots running at once, N lanes are enough; a lane is one
// parallel slot of the run (a job of `-j`, a ctest slot), as far as the start times tell.
std::vector<int> assign_lanes(const std::vector<TimelineInterval>& intervals);

// Milliseconds since the epoch of an RFC 3339 UTC time as isotest writes it
// (`2026-11-29T18:38:51.551Z`); negative when TEXT is not one.
double rfc3339_ms(std::string_view text);

// TEXT cut to its first and last HEAD_AND_TAIL_BYTES / 2 bytes (at character boundaries), with a
// line in between that says how many bytes were left out; TEXT itself when it fits.
std::string output_excerpt(const std::string& text, std::size_t head_and_tail_bytes);

// The page's data (its shape is the contract between this and report_assets/page.js):
//   summary: counts by status, the CI line, total and wall time, start, host, isolation levels;
//   results: one per sandbox run (a result file, or a case of `isotest gtest`), with its
//            usage, limits, output excerpt, attempts and the forensics fields when present;
//   tests:   one per test as JUnit counts them, worst first, each naming its result;
//   bars:    [start_ms, duration_ms, lane, result, attempt] per sandbox run on the timeline.
nlohmann::json report_page_data(const std::vector<LoadedResult>& results,
                                const ReportPageContext& context);

}  // namespace isotest
