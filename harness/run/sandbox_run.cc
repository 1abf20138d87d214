#include "sandbox_run.h"

#include <cstdio>

#include "cgroup.h"
#include "stack_summary.h"

namespace isotest {

SandboxRunExtensions::SandboxRunExtensions(const SandboxSpec& spec, char* const* environment)
    : gtest_(environment),
      netlab_(spec.netlab),
      artifacts_(spec.artifacts, environment),
      forensics_(spec, &artifacts_),
      list_{&gtest_, &netlab_, &forensics_, &artifacts_} {}

namespace {

// --allow-degraded runs without some limits; say so where people look, not only in the JSON.
std::string missing_limits_line(const CgroupIsolation& cgroup) {
  if (cgroup.missing_limits.empty()) return {};
  return "warning: ran without " + limit_options(cgroup.missing_limits) +
         " (--allow-degraded): " + cgroup.unavailable_reason;
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

std::vector<std::string> setup_error_lines(const SetupError& error, RunStatus status) {
  std::vector<std::string> lines = {error.describe()};
  std::string hint = error.hint;
  // The command, its working directory and the services are the user's: doctor cannot help.
  const bool about_the_machine =
      error.step != SetupStage::exec && error.step != SetupStage::service &&
      error.step != SetupStage::chdir && error.step != SetupStage::resolve_working_directory;
  if (status == RunStatus::sandbox_error && about_the_machine) {
    hint +=
        std::string(hint.empty() ? "" : "; ") + "`isotest doctor` checks what this machine allows";
  }
  if (!hint.empty()) lines.push_back("hint: " + hint);
  return lines;
}

std::vector<std::string> run_messages(const RunResult& result) {
  std::vector<std::string> lines;
  if (result.error) lines = setup_error_lines(*result.error, result.status);
  if (!result.error) {
    if (std::string line = missing_limits_line(result.isolation.cgroup); !line.empty()) {
      lines.push_back(std::move(line));
    }
  }
  if (std::string line = stop_line(result); !line.empty()) lines.push_back(std::move(line));
  if (result.diagnostics && result.diagnostics->stacks) {
    for (auto& line : stack_summary(*result.diagnostics->stacks)) lines.push_back(std::move(line));
  }
  // And where a crashed one died.
  if (result.diagnostics && result.diagnostics->crash) {
    for (auto& line : crash_summary(*result.diagnostics->crash)) lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace isotest
