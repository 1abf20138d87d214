// isotest: the command-line program. Dispatch only; the work is in the modules.
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "doctor_findings.h"
#include "doctor_report.h"
#include "launch.h"
#include "report.h"
#include "result.h"
#include "runner/runner.h"

namespace {

// A sandbox that could not be built also points to `isotest doctor`, which checks every cause.
void report_setup_error(const isotest::SetupError& error,
                        isotest::RunStatus status = isotest::RunStatus::passed) {
  std::cerr << "isotest: " << error.describe() << "\n";
  std::string hint = error.hint;
  const bool about_the_machine = error.stage != "exec" && !error.stage.starts_with("chdir") &&
                                 !error.stage.starts_with("resolve working directory");
  if (status == isotest::RunStatus::sandbox_error && about_the_machine) {
    hint +=
        std::string(hint.empty() ? "" : "; ") + "`isotest doctor` checks what this machine allows";
  }
  if (!hint.empty()) std::cerr << "isotest: hint: " << hint << "\n";
}

// --allow-degraded runs without some limits; say so where people look, not only in the JSON.
void warn_missing_limits(const isotest::CgroupIsolation& cgroup) {
  if (cgroup.missing_limits.empty()) return;
  std::string limits;
  for (const auto& limit : cgroup.missing_limits)
    limits += (limits.empty() ? "--" : ", --") + limit;
  std::cerr << "isotest: warning: ran without " << limits
            << " (--allow-degraded): " << cgroup.unavailable_reason << "\n";
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
  if (command_line.action == isotest::CommandLine::Action::gtest) {
    return isotest::run_gtest(command_line.gtest);
  }

  const auto& spec = command_line.spec;
  auto result = isotest::run_sandboxed(spec, environ);
  if (result.error) report_setup_error(*result.error, result.status);
  if (!result.error) warn_missing_limits(result.isolation.cgroup);
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
