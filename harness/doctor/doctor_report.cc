#include "doctor_report.h"

#include "setup_error.h"

namespace isotest {

namespace {

nlohmann::json step_json(const ProbeStep& step) {
  nlohmann::json out = {{"attempted", step.attempted}, {"ok", step.ok}};
  if (step.attempted && !step.ok) {
    out["call"] = step.call;
    out["errno"] = step.error_number == 0 ? "" : errno_name(step.error_number);
  }
  return out;
}

// A setting as the kernel shows it, or null where this kernel does not have it.
nlohmann::json setting_json(const std::string& value) {
  return value.empty() ? nlohmann::json(nullptr) : nlohmann::json(value);
}

}  // namespace

std::string doctor_text(const DoctorFacts& facts, const Diagnosis& diagnosis) {
  std::string text = "isotest doctor: what this machine allows (Linux " + facts.environment.kernel +
                     ", uid " + std::to_string(facts.environment.uid) + ", probed in " +
                     std::to_string(facts.elapsed_ms) + " ms)\n\n";
  for (const auto& finding : diagnosis.findings) {
    std::string level(level_name(finding.level));
    level.resize(9, ' ');
    text += "  " + level + finding.title + ": " + finding.verdict + "\n";
    if (!finding.remedy.empty()) text += "           fix: " + finding.remedy + "\n";
  }
  text += "\n" + diagnosis.summary + " (exit " + std::to_string(diagnosis.exit_code) + ")\n";
  return text;
}

nlohmann::json doctor_json(const DoctorFacts& facts, const Diagnosis& diagnosis) {
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& finding : diagnosis.findings) {
    nlohmann::json item = {{"id", finding.id},
                           {"title", finding.title},
                           {"level", level_name(finding.level)},
                           {"verdict", finding.verdict}};
    if (!finding.remedy.empty()) item["remedy"] = finding.remedy;
    findings.push_back(std::move(item));
  }
  const auto& ns = facts.namespaces;
  const auto& cgroup = facts.cgroup;
  const auto& env = facts.environment;
  return {
      {"schema", "isotest-doctor/1"},
      {"status", level_name(diagnosis.overall)},
      {"exit_code", diagnosis.exit_code},
      {"summary", diagnosis.summary},
      {"elapsed_ms", facts.elapsed_ms},
      {"findings", findings},
      {"probes",
       {{"user_namespace", step_json(ns.user_namespace)},
        {"id_maps", step_json(ns.id_maps)},
        {"mount", step_json(ns.mount)},
        {"proc", step_json(ns.proc)},
        {"network", step_json(ns.network)},
        {"ipc", step_json(ns.ipc)},
        {"uts", step_json(ns.uts)},
        {"cgroup_namespace", step_json(ns.cgroup_namespace)},
        {"time_namespace", step_json(ns.time_namespace)},
        {"qdisc_netem", step_json(facts.queueing_disciplines.netem)},
        {"qdisc_tbf", step_json(facts.queueing_disciplines.tbf)},
        {"cgroup_create", step_json(cgroup.create)},
        {"cgroup_placement", step_json(cgroup.placement)},
        {"cgroup_removal", step_json(cgroup.removal)}}},
      {"settings",
       {{"user.max_user_namespaces", setting_json(facts.settings.max_user_namespaces)},
        {"kernel.unprivileged_userns_clone",
         setting_json(facts.settings.unprivileged_userns_clone)},
        {"kernel.apparmor_restrict_unprivileged_userns",
         setting_json(facts.settings.apparmor_restrict)}}},
      {"cgroup",
       {{"layout", cgroup.layout},
        {"mount_points", cgroup.mount_points},
        {"directory", cgroup.directory},
        {"read_only", cgroup.read_only},
        {"controllers", cgroup.controllers},
        {"owner_uid", cgroup.owner},
        {"procs_writable", cgroup.procs_writable},
        {"subtree_control_writable", cgroup.subtree_control_writable},
        {"missing_limits", cgroup.missing_limits},
        {"clone_into_cgroup", cgroup.clone_into_cgroup}}},
      {"environment",
       {{"kernel", env.kernel},
        {"uid", env.uid},
        {"docker", env.docker},
        {"podman", env.podman},
        {"kubernetes", env.kubernetes},
        {"wsl", env.wsl},
        {"seccomp_mode", env.seccomp_mode},
        {"proc_submounts", env.proc_submounts},
        {"loads_modules", env.loads_modules},
        {"binary", env.binary_path},
        {"core_pattern", env.core_pattern},
        {"core_uses_pid", env.core_uses_pid}}},
  };
}

}  // namespace isotest
