#include "run_command.h"

#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "artifacts_keeper.h"
#include "cgroup.h"
#include "forensics.h"
#include "gtest_extension.h"
#include "launch.h"
#include "messages.h"
#include "network_lab.h"
#include "output_file.h"
#include "stack_summary.h"

namespace isotest {

namespace {

// --allow-degraded runs without some limits; say so where people look, not only in the JSON.
void warn_missing_limits(const CgroupIsolation& cgroup) {
  if (cgroup.missing_limits.empty()) return;
  print_message("warning: ran without " + limit_options(cgroup.missing_limits) +
                " (--allow-degraded): " + cgroup.unavailable_reason);
}

// 256 MiB for a limit (exact, in the largest unit that divides it), as --memory is written.
std::string limit_text(std::uint64_t bytes) {
  constexpr const char* kUnits[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  std::size_t unit = 0;
  while (unit + 1 < std::size(kUnits) && bytes != 0 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++unit;
  }
  return std::to_string(bytes) + " " + kUnits[unit];
}

// 255.8 MiB for a measurement.
std::string measured_text(std::uint64_t bytes) {
  char text[32];
  static_cast<void>(
      std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0)));
  return text;
}

// ", with exit code 3" / ", killed by SIGKILL", as the result's services say it ended.
std::string service_end_text(const std::string& name, const RunResult& result) {
  for (const auto& service : result.services) {
    if (service.name != name) continue;
    if (service.exit_code) return " (exit code " + std::to_string(*service.exit_code) + ")";
    if (service.signal) return " (killed by " + signal_name(*service.signal) + ")";
  }
  return {};
}

std::string harness_kill_text(const HarnessKill& kill, const RunResult& result) {
  std::string text;
  switch (kill.reason) {
    case KillReason::timeout:
      text = "stopped: timed out after " + std::to_string(result.timeout_ms.value_or(0)) +
             " ms (--timeout)";
      break;
    case KillReason::signal:
      text = "stopped: isotest received " + signal_name(kill.signal_received) +
             (kill.test_started ? "" : " before the test started; the test did not run");
      break;
    case KillReason::service:
      text = "stopped: service " + kill.service + " exited before the test ended" +
             service_end_text(kill.service, result);
      break;
    case KillReason::seccomp:
      text = "stopped: the seccomp filter refused " + kill.syscall + " (--seccomp kill)";
      break;
  }
  if (kill.escalated_to_kill) text += ", then killed with SIGKILL after the grace period";
  return text;
}

}  // namespace

std::string stop_line(const RunResult& result) {
  std::vector<std::string> parts;
  if (result.killed_by_harness)
    parts.push_back(harness_kill_text(*result.killed_by_harness, result));
  const auto& limits = result.isolation.cgroup.limits;
  if (result.usage.oom_kills > 0) {
    const std::string figures =
        (limits.memory_max_bytes ? "limit " + limit_text(*limits.memory_max_bytes) : "no limit") +
        ", peak " + measured_text(result.usage.peak_memory_bytes);
    parts.push_back(result.status == RunStatus::oom
                        ? "stopped: out of memory (" + figures + ")"
                        : "the OOM killer killed a process of the test (" + figures + ")");
  }
  if (result.usage.pids_limit_hit) {
    parts.push_back("reached the task limit: a fork or a new thread failed (--pids " +
                    (limits.pids_max ? std::to_string(*limits.pids_max) : std::string("?")) + ")");
  }
  if (parts.empty()) return {};
  std::string line = result.name + ":";
  for (std::size_t i = 0; i < parts.size(); ++i) line += (i == 0 ? " " : "; ") + parts[i];
  return line;
}

void report_setup_error(const SetupError& error, RunStatus status) {
  print_message(error.describe());
  std::string hint = error.hint;
  // The command, its working directory and the services are the user's: doctor cannot help.
  const bool about_the_machine =
      error.step != SetupStage::exec && error.step != SetupStage::service &&
      error.step != SetupStage::chdir && error.step != SetupStage::resolve_working_directory;
  if (status == RunStatus::sandbox_error && about_the_machine) {
    hint +=
        std::string(hint.empty() ? "" : "; ") + "`isotest doctor` checks what this machine allows";
  }
  if (!hint.empty()) print_message("hint: " + hint);
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
      print_message("the command was not run");
      return 125;
    }
  }
  // GoogleTest binaries get their cases and status rules (gtest/), a run with --capture,
  // --net-* or --service its network lab (netlab/), a run that times out its stacks and a run
  // with --artifacts its kept files (forensics/). `isotest gtest` runs its cases through here
  // too. Forensics comes after GoogleTest, whose crash report it completes, and hands the
  // artifacts its stack dump and core. The artifacts come last: they leave out the mount points
  // the others make in /tmp, and keep by the status the others have settled.
  GtestExtension gtest(environment);
  NetworkLab netlab(spec.netlab);
  ArtifactsKeeper artifacts(spec.artifacts, environment);
  Forensics forensics(spec, &artifacts);
  LaunchExtension* const extensions[] = {&gtest, &netlab, &forensics, &artifacts};
  auto result = run_sandboxed(spec, environment, extensions);
  if (result.error) report_setup_error(*result.error, result.status);
  if (!result.error) warn_missing_limits(result.isolation.cgroup);
  if (const std::string line = stop_line(result); !line.empty()) print_message(line);
  // Where a timed-out test was stuck, in the CTest log: the result file may never be looked at.
  if (result.diagnostics && result.diagnostics->stacks) {
    for (const auto& line : stack_summary(*result.diagnostics->stacks)) print_message(line);
  }
  // And where a crashed one died.
  if (result.diagnostics && result.diagnostics->crash) {
    for (const auto& line : crash_summary(*result.diagnostics->crash)) print_message(line);
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
