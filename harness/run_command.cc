#include "run_command.h"

#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "launch.h"
#include "output_file.h"

namespace isotest {

namespace {

// --allow-degraded runs without some limits; say so where people look, not only in the JSON.
void warn_missing_limits(const CgroupIsolation& cgroup) {
  if (cgroup.missing_limits.empty()) return;
  std::string limits;
  for (const auto& limit : cgroup.missing_limits)
    limits += (limits.empty() ? "--" : ", --") + limit;
  std::cerr << "isotest: warning: ran without " << limits
            << " (--allow-degraded): " << cgroup.unavailable_reason << "\n";
}

}  // namespace

void report_setup_error(const SetupError& error, RunStatus status) {
  std::cerr << "isotest: " << error.describe() << "\n";
  std::string hint = error.hint;
  const bool about_the_machine = error.stage != "exec" && !error.stage.starts_with("chdir") &&
                                 !error.stage.starts_with("resolve working directory");
  if (status == RunStatus::sandbox_error && about_the_machine) {
    hint +=
        std::string(hint.empty() ? "" : "; ") + "`isotest doctor` checks what this machine allows";
  }
  if (!hint.empty()) std::cerr << "isotest: hint: " << hint << "\n";
}

int run_command(const SandboxSpec& requested, char* const* environment) {
  SandboxSpec spec = requested;
  if (!spec.json_path.empty()) {
    try {
      // Checked before the run: a run whose result cannot be written is not started.
      const auto destination = resolve_output(spec.json_path);
      // The result goes to isotest's stdout (`--json /dev/stdout | jq`): the command's own
      // stdout is copied to stderr instead, so that stdout holds the JSON alone.
      if (destination.method == OutputMethod::inherited_fd && destination.fd == STDOUT_FILENO) {
        spec.stdout_copy_fd = STDERR_FILENO;
      }
    } catch (const SetupFailure& failure) {
      report_setup_error(failure.error());
      std::cerr << "isotest: the command was not run\n";
      return 125;
    }
  }
  auto result = run_sandboxed(spec, environment);
  if (result.error) report_setup_error(*result.error, result.status);
  if (!result.error) warn_missing_limits(result.isolation.cgroup);
  if (result.status == RunStatus::timeout) {
    std::cerr << "isotest: " << result.name << ": timed out after " << *spec.timeout_ms << " ms\n";
  }
  if (result.killed_by_harness && result.killed_by_harness->reason == "seccomp") {
    std::cerr << "isotest: " << result.name << ": seccomp: refused "
              << result.killed_by_harness->syscall << "; the sandbox was killed (--seccomp kill)\n";
  }
  if (!spec.json_path.empty()) {
    try {
      // Test output may be any bytes; invalid UTF-8 becomes U+FFFD so the file is always JSON.
      auto text = to_json(result).dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
      text += '\n';
      write_output(spec.json_path, text);
    } catch (const SetupFailure& failure) {
      report_setup_error(failure.error());
      return 125;
    }
  }
  return result.launcher_exit_code;
}

}  // namespace isotest
