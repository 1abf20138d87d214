// `isotest report --markdown FILE`: a short summary for a CI page ($GITHUB_STEP_SUMMARY, a GitLab
// or pull-request comment): the counts, the tests that failed or were flaky with their first
// failure line, the slowest ten (docs/report.md).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace isotest {

// TEXT as literal Markdown text on one line: what a terminal would act on made visible
// (terminal_text), then every ASCII punctuation character backslash-escaped (CommonMark lets any
// of them be), so no name or message becomes a link, an HTML tag, emphasis, a table cell break or
// a mention.
std::string markdown_text(std::string_view text);

// The summary of PAGE_DATA (report_page_data()).
std::string report_markdown(const nlohmann::json& page_data);

}  // namespace isotest
