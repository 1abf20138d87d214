#include "report_pages.h"

#include <unistd.h>

#include <chrono>

#include "output_file.h"
#include "report_html.h"
#include "report_markdown.h"
#include "report_page.h"
#include "result.h"

namespace isotest {

namespace {

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "(unknown host)";
  return name;
}

}  // namespace

void write_report_pages(const std::vector<LoadedResult>& results,
                        const ReportPageRequest& request) {
  if (request.html_path.empty() && request.markdown_path.empty()) return;
  const ReportPageContext context{
      request.sources, host_name(), rfc3339_utc(std::chrono::system_clock::now()), {}};
  const auto data = report_page_data(results, context);
  if (!request.html_path.empty()) write_output(request.html_path, report_html(data));
  if (!request.markdown_path.empty()) write_output(request.markdown_path, report_markdown(data));
}

}  // namespace isotest
