// isotest: the command-line program. Dispatch only; the work is in the modules.
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <string_view>

#include "cli.h"
#include "cmake_include.h"
#include "doctor_findings.h"
#include "doctor_report.h"
#include "launch.h"
#include "messages.h"
#include "output_file.h"
#include "report.h"
#include "report_pages.h"
#include "run_command.h"
#include "runner.h"
#include "safe_text.h"

namespace {

void say_passed_over(const std::vector<isotest::PassedOver>& passed_over) {
  for (const auto& file : passed_over) {
    std::cerr << "isotest: report: passed over " << isotest::terminal_text(file.file) << ": "
              << file.reason << "\n";
  }
}

int report(const isotest::ReportRequest& request) {
  try {
    // Every destination is checked before any result is read. The summary goes to stderr when
    // a file takes stdout (`--junit /dev/stdout`, `--markdown /dev/stdout`).
    std::ostream* console = &std::cout;
    for (const std::string* path :
         {&request.junit_path, &request.html_path, &request.markdown_path}) {
      if (path->empty()) continue;
      const auto destination = isotest::resolve_output(*path);
      if (destination.method == isotest::OutputMethod::inherited_fd &&
          destination.fd == STDOUT_FILENO) {
        console = &std::cerr;
      }
    }
    const isotest::ReportPageRequest pages{request.html_path, request.markdown_path,
                                           request.inputs};
    std::vector<isotest::PassedOver> passed_over;
    std::vector<isotest::LoadedResult> results;
    try {
      results = isotest::load_results(request.inputs, &passed_over);
    } catch (const isotest::SetupFailure&) {
      say_passed_over(passed_over);
      throw;
    }
    say_passed_over(passed_over);
    *console << isotest::summary_table(results) << std::flush;
    if (!request.junit_path.empty()) {
      isotest::write_output(request.junit_path, isotest::junit_xml(results));
    }
    isotest::write_report_pages(results, pages);
    return isotest::report_exit_code(results);
  } catch (const isotest::SetupFailure& failure) {
    isotest::report_setup_error(failure.error());
    return 125;
  }
}

int doctor(const isotest::DoctorRequest& request) {
  if (request.apparmor_profile) {
    char path[4096];
    ssize_t length = ::readlink("/proc/self/exe", path, sizeof path - 1);
    std::cout << isotest::apparmor_profile(length > 0
                                               ? std::string(path, static_cast<std::size_t>(length))
                                               : "/usr/local/bin/isotest");
    return 0;
  }
  const auto facts = isotest::probe_machine();
  const auto diagnosis = isotest::diagnose(facts);
  if (request.json) {
    // Paths come from the kernel and may be any bytes; invalid UTF-8 becomes U+FFFD.
    std::cout << isotest::doctor_json(facts, diagnosis)
                     .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  } else {
    std::cout << isotest::doctor_text(facts, diagnosis);
  }
  return diagnosis.exit_code;
}

int run_command_line(int argc, char** argv) {
  auto command_line = isotest::parse_command_line(argc, argv);
  if (command_line.action == isotest::CommandLine::Action::exit) return command_line.exit_code;
  if (command_line.action == isotest::CommandLine::Action::report) {
    return report(command_line.report);
  }
  if (command_line.action == isotest::CommandLine::Action::doctor) {
    return doctor(command_line.doctor);
  }
  if (command_line.action == isotest::CommandLine::Action::cmake_include) {
    return isotest::print_cmake_include();
  }
  if (command_line.action == isotest::CommandLine::Action::gtest) {
    return isotest::run_gtest(command_line.gtest, isotest::parse_sandbox_options);
  }

  return isotest::run_command(command_line.spec, environ);
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything else: a SIGTERM in the milliseconds `isotest run` takes to parse and prepare
  // must end it in order (a result, a message, 128+N), not kill it (launch.h).
  if (argc > 1 && std::string_view(argv[1]) == "run") isotest::block_forwarded_signals();
  try {
    return run_command_line(argc, argv);
  } catch (const std::exception& error) {
    isotest::print_message(std::string("internal error: ") + error.what());
    return 125;
  }
}
