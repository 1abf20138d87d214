// The report pages `isotest report` and `isotest gtest` write besides JUnit: `--html FILE` and
// `--markdown FILE`, both from the same page data (report_page.h).
#pragma once

#include <string>
#include <vector>

#include "report.h"

namespace isotest {

struct ReportPageRequest {
  std::string html_path;             // empty: no HTML page
  std::string markdown_path;         // empty: no Markdown summary
  std::vector<std::string> sources;  // what the results were read from, shown on the page
};

// Writes the pages REQUEST asks for, through write_output (output_file.h; the callers check the
// destinations with resolve_output before any result is read or any test runs). Throws
// SetupFailure when one cannot be written.
void write_report_pages(const std::vector<LoadedResult>& results, const ReportPageRequest& request);

}  // namespace isotest
