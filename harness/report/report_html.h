// `isotest report --html FILE`: one self-contained page (no network, no external script, style
// or font; it opens from a CI artifact or a file:// URL) that shows the page data of
// report_page.h: the header, the timeline, the memory chart and every test (docs/report.md).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace isotest {

// DATA as JSON that is safe inside a <script> element whatever its strings hold: `<`, `>` and
// `&` are written as \u003c, \u003e, \u0026, so no `</script>` or `<!--` can close or change the
// element; U+2028 and U+2029 as \u2028, \u2029; bytes that are not UTF-8 become U+FFFD.
std::string script_safe_json(const nlohmann::json& data);

// The page for PAGE_DATA (report_page_data()). The page's own script builds the view from the
// embedded data with text nodes only: nothing a test printed or named is ever parsed as HTML.
std::string report_html(const nlohmann::json& page_data);

}  // namespace isotest
