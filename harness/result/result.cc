#include "result.h"

#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>

#include "exec_exit_code.h"

namespace isotest {

namespace {

nlohmann::json optional_json(const auto& value) {
  if (!value) return nullptr;
  return *value;
}

nlohmann::json output_json(const std::optional<CapturedOutput>& output) {
  if (!output) return nullptr;
  return {{"text", output->text}, {"bytes", output->total_bytes}, {"truncated", output->truncated}};
}

nlohmann::json limits_json(const ResourceLimits& limits) {
  return {{"memory_max_bytes", optional_json(limits.memory_max_bytes)},
          {"pids_max", optional_json(limits.pids_max)},
          {"cpus", optional_json(limits.cpus)}};
}

nlohmann::json cgroup_json(const CgroupIsolation& cgroup) {
  auto text_or_null = [](const std::string& text) {
    return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
  };
  return {{"version", text_or_null(cgroup.version)},
          {"path", text_or_null(cgroup.path)},
          {"controllers", cgroup.controllers},
          {"limits", limits_json(cgroup.limits)},
          {"missing_limits", cgroup.missing_limits},
          {"unavailable_reason", text_or_null(cgroup.unavailable_reason)}};
}

nlohmann::json seccomp_json(const SeccompIsolation& seccomp) {
  nlohmann::json refusals = nlohmann::json::array();
  for (const auto& [syscall, count] : seccomp.refusals) {
    refusals.push_back({{"syscall", syscall}, {"count", count}});
  }
  return {{"mode", seccomp.mode}, {"syscalls", seccomp.syscalls}, {"refusals", refusals}};
}

nlohmann::json case_json(const CaseResult& result) {
  nlohmann::json failures = nlohmann::json::array();
  for (const auto& failure : result.failures) {
    failures.push_back(
        {{"file", failure.file}, {"line", failure.line}, {"message", failure.message}});
  }
  nlohmann::json object = {{"name", result.name},
                           {"status", status_name(result.status)},
                           {"duration_ms", result.duration_ms},
                           {"failures", failures},
                           {"properties", result.properties}};
  if (result.status == RunStatus::skipped) object["skip_message"] = result.skip_message;
  if (result.crash) object["crash"] = to_json(*result.crash);
  return object;
}

nlohmann::json gtest_json(const GtestRun& gtest) {
  nlohmann::json shard = nullptr;
  if (gtest.total_shards) {
    shard = {{"index", optional_json(gtest.shard_index)},
             {"total", *gtest.total_shards},
             {"honoured", optional_json(gtest.honoured_sharding)}};
  }
  return {{"cases_source", gtest.cases_source.empty() ? nlohmann::json(nullptr)
                                                      : nlohmann::json(gtest.cases_source)},
          {"premature_exit", gtest.premature_exit},
          {"shard", shard}};
}

nlohmann::json artifacts_json(const ArtifactsResult& artifacts) {
  nlohmann::json document = {{"directory", artifacts.directory},
                             {"kept", artifacts.kept},
                             {"keep", artifacts.keep},
                             {"files", artifacts.files},
                             {"bytes", artifacts.bytes},
                             {"truncated", artifacts.truncated},
                             {"limit_bytes", artifacts.limit_bytes},
                             {"paths", artifacts.paths}};
  if (!artifacts.error.empty()) document["error"] = artifacts.error;
  return document;
}

nlohmann::json capture_json(const CaptureResult& capture) {
  return {{"path", capture.path},           {"format", capture.format},
          {"packets", capture.packets},     {"bytes", capture.bytes},
          {"truncated", capture.truncated}, {"limit_bytes", capture.limit_bytes},
          {"dropped", capture.dropped},     {"kept", capture.kept}};
}

nlohmann::json conditions_json(const NetworkConditions& conditions) {
  return {{"delay_ms", optional_json(conditions.delay_ms)},
          {"jitter_ms", optional_json(conditions.jitter_ms)},
          {"loss_percent", optional_json(conditions.loss_percent)},
          {"duplicate_percent", optional_json(conditions.duplicate_percent)},
          {"reorder_percent", optional_json(conditions.reorder_percent)},
          {"corrupt_percent", optional_json(conditions.corrupt_percent)},
          {"rate", conditions.rate_text.empty() ? nlohmann::json(nullptr)
                                                : nlohmann::json(conditions.rate_text)},
          {"rate_bytes_per_second", optional_json(conditions.rate_bytes_per_second)}};
}

nlohmann::json service_json(const ServiceResult& service) {
  return {{"name", service.name},
          {"command", service.command},
          {"pid", optional_json(service.pid)},
          {"ready", service.ready},
          {"ready_ms", optional_json(service.ready_ms)},
          {"status", service.status},
          {"exit_code", optional_json(service.exit_code)},
          {"signal_name",
           service.signal ? nlohmann::json(signal_name(*service.signal)) : nlohmann::json(nullptr)},
          {"output_tail", service.output_tail}};
}

}  // namespace

std::string signal_name(int sig) {
  if (const char* abbrev = sigabbrev_np(sig)) return std::string("SIG") + abbrev;
  return "SIG" + std::to_string(sig);
}

void classify(RunResult& result) {
  if (result.error) {
    result.status = RunStatus::sandbox_error;
    result.launcher_exit_code = result.error->step == SetupStage::exec
                                    ? exit_code_for_exec_error(result.error->error_number)
                                    : 125;
    return;
  }
  // The OOM killer acted in the test's cgroup and the test did not pass: the test outgrew
  // --memory. (A shell running the test reports its child's SIGKILL as exit 137.)
  const bool passed = !result.signal && result.exit_code == 0;
  if (result.usage.oom_kills > 0 && !passed) {
    result.status = RunStatus::oom;
    result.launcher_exit_code = 128 + SIGKILL;
    return;
  }
  // The seccomp filter stopped the run (--seccomp kill): exit as a process killed by
  // SECCOMP_RET_KILL would, 128 + SIGSYS, whatever signal the kill itself used.
  if (result.killed_by_harness && result.killed_by_harness->reason == KillReason::seccomp) {
    result.status = result.signal ? RunStatus::crashed : RunStatus::failed;
    result.launcher_exit_code = 128 + SIGSYS;
    return;
  }
  // A service the test relies on exited before the test ended: the run failed, whatever the
  // test made of it (it was stopped then).
  if (result.killed_by_harness && result.killed_by_harness->reason == KillReason::service) {
    result.status = RunStatus::failed;
    result.launcher_exit_code = result.exit_code.value_or(0) != 0 ? *result.exit_code : 1;
    return;
  }
  const bool timed_out =
      result.killed_by_harness && result.killed_by_harness->reason == KillReason::timeout;
  if (timed_out) {
    result.status = RunStatus::timeout;
    result.launcher_exit_code = 124;
    return;
  }
  if (result.signal) {
    result.status = RunStatus::crashed;
    result.launcher_exit_code = 128 + *result.signal;
  } else {
    const int code = result.exit_code.value_or(125);
    result.status = code == 0 ? RunStatus::passed : RunStatus::failed;
    result.launcher_exit_code = code;
  }
  // Interrupted: exit as a shell would for the signal isotest got, and never call it a pass,
  // even when the test's handler exited 0.
  if (result.killed_by_harness) {
    if (result.status == RunStatus::passed) result.status = RunStatus::failed;
    result.launcher_exit_code = 128 + result.killed_by_harness->signal_received;
  }
}

std::string_view kill_reason_name(KillReason reason) {
  switch (reason) {
    case KillReason::timeout:
      return "timeout";
    case KillReason::signal:
      return "signal";
    case KillReason::seccomp:
      return "seccomp";
    case KillReason::service:
      return "service";
  }
  return "unknown";
}

std::string rfc3339_utc(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  // Calendar arithmetic, not gmtime_r: glibc's reads the time zone file on first use.
  const auto day = floor<days>(time);
  const year_month_day date{day};
  const hh_mm_ss clock{floor<milliseconds>(time - day)};
  char text[80];
  static_cast<void>(std::snprintf(
      text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
      static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
      static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
      static_cast<int>(clock.seconds().count()), static_cast<int>(clock.subseconds().count())));
  return text;
}

nlohmann::json to_json(const RunResult& result) {
  nlohmann::json killed = nullptr;
  if (result.killed_by_harness) {
    const auto& kill = *result.killed_by_harness;
    killed = {{"reason", kill_reason_name(kill.reason)},
              {"signal_received", kill.signal_received != 0
                                      ? nlohmann::json(signal_name(kill.signal_received))
                                      : nlohmann::json(nullptr)},
              {"escalated_to_sigkill", kill.escalated_to_kill},
              {"test_started", kill.test_started}};
    if (!kill.syscall.empty()) killed["syscall"] = kill.syscall;
    if (!kill.service.empty()) killed["service"] = kill.service;
  }
  const auto& iso = result.isolation;
  nlohmann::json isolation = {
      {"namespaces", iso.namespaces},
      {"shared_namespaces", iso.shared_namespaces},
      {"network", iso.network},
      {"hostname", iso.hostname.empty() ? nlohmann::json(nullptr) : nlohmann::json(iso.hostname)},
      {"uid_map", iso.uid_map.empty() ? nlohmann::json(nullptr) : nlohmann::json(iso.uid_map)},
      {"gid_map", iso.gid_map.empty() ? nlohmann::json(nullptr) : nlohmann::json(iso.gid_map)},
      {"time_offset_seconds", optional_json(iso.time_offset_seconds)},
      {"read_only_root", iso.read_only_root},
      {"mounts", iso.mounts},
      {"cgroup", cgroup_json(iso.cgroup)},
      {"no_new_privs", iso.no_new_privs},
      {"capabilities_dropped", iso.capabilities_dropped},
      {"passed_fds", iso.passed_fds},
      {"seccomp", seccomp_json(iso.seccomp)}};
  nlohmann::json error = nullptr;
  if (result.error) {
    const auto& err = *result.error;
    error = {{"stage", err.stage},
             {"errno", err.error_number != 0 ? nlohmann::json(err.error_number) : nullptr},
             {"errno_name",
              err.error_number != 0 ? nlohmann::json(errno_name(err.error_number)) : nullptr},
             {"message", err.describe()},
             {"hint", err.hint.empty() ? nlohmann::json(nullptr) : nlohmann::json(err.hint)}};
  }
  nlohmann::json document = {
      {"schema", kResultSchema},
      {"name", result.name},
      {"command", result.command},
      {"status", status_name(result.status)},
      {"exit_code", optional_json(result.exit_code)},
      {"signal", optional_json(result.signal)},
      {"signal_name", result.signal ? nlohmann::json(signal_name(*result.signal)) : nullptr},
      {"launcher_exit_code", result.launcher_exit_code},
      {"started_at", rfc3339_utc(result.started_at)},
      {"duration_ms", result.duration_ms},
      {"timeout_ms", optional_json(result.timeout_ms)},
      {"killed_by_harness", killed},
      {"isolation", isolation},
      {"usage",
       {{"source", result.usage.source},
        {"cpu_user_ms", result.usage.cpu_user_ms},
        {"cpu_system_ms", result.usage.cpu_system_ms},
        {"peak_memory_bytes", result.usage.peak_memory_bytes},
        {"peak_memory_is_approximate", result.usage.peak_memory_is_approximate},
        {"max_rss_bytes", result.usage.max_rss_bytes},
        {"oom_kills", result.usage.oom_kills},
        {"pids_peak", optional_json(result.usage.pids_peak)},
        {"pids_limit_hit", result.usage.pids_limit_hit}}},
      {"output",
       {{"limit_bytes", result.output_limit_bytes},
        {"stdout", output_json(result.stdout_output)},
        {"stderr", output_json(result.stderr_output)}}},
      {"error", error},
  };
  if (result.cases) {
    document["cases"] = nlohmann::json::array();
    for (const auto& c : *result.cases) document["cases"].push_back(case_json(c));
  }
  if (result.gtest) document["gtest"] = gtest_json(*result.gtest);
  if (result.capture) document["capture"] = capture_json(*result.capture);
  if (result.network_conditions) {
    document["network_conditions"] = conditions_json(*result.network_conditions);
  }
  if (!result.services.empty()) {
    document["services"] = nlohmann::json::array();
    for (const auto& service : result.services)
      document["services"].push_back(service_json(service));
  }
  if (result.diagnostics) document["diagnostics"] = to_json(*result.diagnostics);
  if (result.artifacts) document["artifacts"] = artifacts_json(*result.artifacts);
  return document;
}

}  // namespace isotest
