#include "report_html.h"

#include "report_assets.h"

namespace isotest {

std::string script_safe_json(const nlohmann::json& data) {
  const std::string json = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string safe;
  safe.reserve(json.size() + json.size() / 16);
  // Every character replaced here can only stand inside a JSON string, where the escape means
  // the same character: the data reads back unchanged.
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (c == '<') {
      safe += "\\u003c";
    } else if (c == '>') {
      safe += "\\u003e";
    } else if (c == '&') {
      safe += "\\u0026";
    } else if (c == '\xE2' && i + 2 < json.size() && json[i + 1] == '\x80' &&
               (json[i + 2] == '\xA8' || json[i + 2] == '\xA9')) {
      // U+2028 and U+2029 end a line in JavaScript before ES2019.
      safe += json[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      safe += c;
    }
  }
  return safe;
}

std::string report_html(const nlohmann::json& page_data) {
  std::string page;
  page += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  // Nothing leaves the page: no fetch, no image, no font, no frame; only its own inline style
  // and script run.
  page +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n";
  page += "<title>isotest report</title>\n<style>\n";
  page += kReportPageCss;
  page += "</style>\n</head>\n<body data-render=\"pending\">\n";
  page += kReportPageBody;
  page += "<script type=\"application/json\" id=\"isotest-report-data\">";
  page += script_safe_json(page_data);
  page += "</script>\n<script>\n";
  page += kReportPageJs;
  page += "</script>\n</body>\n</html>\n";
  return page;
}

}  // namespace isotest
