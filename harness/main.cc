// isotest: the command-line program. Dispatch only; the work is in the modules.
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "launch.h"
#include "report.h"
#include "result.h"

namespace {

void report_setup_error(const isotest::SetupError& error) {
  std::cerr << "isotest: " << error.describe() << "\n";
  if (!error.hint.empty()) std::cerr << "isotest: hint: " << error.hint << "\n";
}

int report(const isotest::ReportRequest& request) {
  try {
    const auto results = isotest::load_results(request.inputs);
    std::cout << isotest::summary_table(results);
    if (!request.junit_path.empty()) {
      isotest::write_file_atomically(request.junit_path, isotest::junit_xml(results));
    }
    return isotest::report_exit_code(results);
  } catch (const isotest::SetupFailure& failure) {
    report_setup_error(failure.error());
    return 125;
  }
}

int run_command_line(int argc, char** argv) {
  auto command_line = isotest::parse_command_line(argc, argv);
  if (command_line.action == isotest::CommandLine::Action::exit) return command_line.exit_code;
  if (command_line.action == isotest::CommandLine::Action::report) {
    return report(command_line.report);
  }

  const auto& spec = command_line.spec;
  auto result = isotest::run_sandboxed(spec, environ);
  if (result.error) report_setup_error(*result.error);
  if (result.status == isotest::RunStatus::timeout) {
    std::cerr << "isotest: " << result.name << ": timed out after " << *spec.timeout_ms << " ms\n";
  }
  if (result.killed_by_harness && result.killed_by_harness->reason == "seccomp") {
    std::cerr << "isotest: " << result.name << ": seccomp: refused "
              << result.killed_by_harness->syscall << "; the sandbox was killed (--seccomp kill)\n";
  }
  if (!spec.json_path.empty()) {
    try {
      // Test output may be any bytes; invalid UTF-8 becomes U+FFFD so the file is always JSON.
      auto text =
          isotest::to_json(result).dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
      text += '\n';
      isotest::write_file_atomically(spec.json_path, text);
    } catch (const isotest::SetupFailure& failure) {
      report_setup_error(failure.error());
      return 125;
    }
  }
  return result.launcher_exit_code;
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
