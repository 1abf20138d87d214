// isotest: the command-line program. Dispatch only; the work is in the modules.
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "cmake_include.h"
#include "doctor_findings.h"
#include "doctor_report.h"
#include "report.h"
#include "result.h"
#include "run_command.h"
#include "runner/runner.h"

namespace {

int report(const isotest::ReportRequest& request) {
  try {
    const auto results = isotest::load_results(request.inputs);
    std::cout << isotest::summary_table(results);
    if (!request.junit_path.empty()) {
      isotest::write_file_atomically(request.junit_path, isotest::junit_xml(results));
    }
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
    return isotest::run_gtest(command_line.gtest);
  }

  return isotest::run_command(command_line.spec, environ);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_command_line(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "isotest: internal error: " << error.what() << "\n";
    return 125;
  }
}
