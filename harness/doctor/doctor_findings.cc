#include "doctor_findings.h"

#include <cerrno>

#include "cgroup.h"
#include "core_dump.h"
#include "doctor_apparmor_profile.h"  // generated from packaging/apparmor/isotest
#include "qdisc_request.h"
#include "setup_error.h"

namespace isotest {

namespace {

constexpr std::string_view kProfilePath = "/usr/local/bin/isotest";

bool in_container(const HostEnvironment& env) {
  return env.docker || env.podman || env.kubernetes;
}

std::string join(const std::vector<std::string>& items, std::string_view separator = ", ") {
  std::string text;
  for (const auto& item : items) {
    if (!text.empty()) text += separator;
    text += item;
  }
  return text;
}

std::string failure_text(const ProbeStep& step) {
  std::string text = step.call;
  if (step.error_number != 0) text += ": " + errno_name(step.error_number);
  return text;
}

// The container runtime's options that give isotest what it needs, for the runtime we are in.
std::string container_remedy(const HostEnvironment& env) {
  if (env.kubernetes) {
    return "in the pod's securityContext set seccompProfile.type: Unconfined, "
           "appArmorProfile.type: Unconfined and procMount: Unmasked (or privileged: true)";
  }
  if (env.podman) {
    return "start the container with `podman run --security-opt seccomp=unconfined "
           "--security-opt apparmor=unconfined --security-opt unmask=ALL` (or --privileged)";
  }
  return "start the container with `docker run --security-opt seccomp=unconfined "
         "--security-opt apparmor=unconfined --security-opt systempaths=unconfined` (a seccomp "
         "profile allowing clone, unshare, mount, mount_setattr, open_tree, move_mount and "
         "sethostname can replace seccomp=unconfined; --cap-add SYS_ADMIN also passes Docker's "
         "default profile but gives the container's root broad powers; --privileged does all of "
         "it and exposes the host's devices)";
}

// Why a namespace step failed and its fix: the shared diagnosis of `isotest run`, refined by
// what only the doctor knows (in a container; which step failed).
std::string namespace_remedy(const DoctorFacts& facts, const ProbeStep& step) {
  const auto cause = namespace_refusal_cause(step.error_number, facts.settings);
  if ((cause == RefusalCause::unprivileged_refused || cause == RefusalCause::unknown) &&
      in_container(facts.environment)) {
    return container_remedy(facts.environment);
  }
  return refusal_hint(cause);
}

bool user_namespace_works(const NamespaceProbes& probes) {
  return probes.user_namespace.ok && probes.id_maps.ok;
}

// An unprivileged caller without a user namespace can create no other namespace: those
// failures are consequences, and the user namespace finding carries the fix.
bool needs_user_namespace(const DoctorFacts& facts) {
  return facts.environment.uid != 0 && !user_namespace_works(facts.namespaces);
}

// True when the container runtime's defaults, not a kernel setting, refuse the sandbox.
bool container_refuses(const DoctorFacts& facts) {
  if (!in_container(facts.environment)) return false;
  const auto& probes = facts.namespaces;
  for (const ProbeStep* step :
       {&probes.user_namespace, &probes.id_maps, &probes.mount, &probes.network, &probes.ipc,
        &probes.uts, &probes.cgroup_namespace}) {
    if (!step->attempted || step->ok) continue;
    const auto cause = namespace_refusal_cause(step->error_number, facts.settings);
    return cause == RefusalCause::seccomp_filter || cause == RefusalCause::unprivileged_refused ||
           cause == RefusalCause::unknown;
  }
  return probes.proc.attempted && !probes.proc.ok && facts.environment.proc_submounts > 0;
}

class FindingList {
 public:
  void add(std::string id, std::string title, FindingLevel level, std::string verdict,
           std::string remedy = {}) {
    findings_.push_back(Finding{.id = std::move(id),
                                .title = std::move(title),
                                .level = level,
                                .verdict = std::move(verdict),
                                .remedy = std::move(remedy)});
  }
  std::vector<Finding> take() { return std::move(findings_); }

 private:
  std::vector<Finding> findings_;
};

// A namespace probe that the default sandbox needs: broken when it fails.
void add_namespace_step(FindingList& out, const DoctorFacts& facts, const char* id,
                        const char* title, const ProbeStep& step, const std::string& works,
                        const std::string& share_option) {
  if (step.ok) {
    out.add(id, title, FindingLevel::ok, works);
    return;
  }
  if (!step.attempted) {
    out.add(id, title, FindingLevel::broken,
            "not tried: it needs the mount namespace, which failed");
    return;
  }
  if (needs_user_namespace(facts)) {
    out.add(id, title, FindingLevel::broken,
            "not possible without a user namespace (" + failure_text(step) + ")");
    return;
  }
  std::string remedy = namespace_remedy(facts, step);
  if (!share_option.empty() && remedy == refusal_hint(RefusalCause::unknown)) {
    remedy = "see docs/troubleshooting.md, or run with " + share_option +
             " (keeps the host's, losing that isolation)";
  }
  out.add(id, title, FindingLevel::broken, "failed: " + failure_text(step), remedy);
}

void add_namespace_findings(FindingList& out, const DoctorFacts& facts) {
  const auto& probes = facts.namespaces;
  const bool root = facts.environment.uid == 0;
  if (probes.user_namespace.ok) {
    out.add("user_namespace", "user namespace", FindingLevel::ok, "created");
  } else {
    std::string remedy = namespace_remedy(facts, probes.user_namespace);
    if (root) remedy += "; as root, `--share user` also works around it";
    out.add("user_namespace", "user namespace", FindingLevel::broken,
            "cannot create one: " + failure_text(probes.user_namespace), remedy);
  }
  if (probes.id_maps.ok) {
    out.add("id_maps", "uid and gid maps", FindingLevel::ok, "written");
  } else if (probes.user_namespace.ok) {
    out.add("id_maps", "uid and gid maps", FindingLevel::broken,
            "cannot be written: " + failure_text(probes.id_maps),
            namespace_remedy(facts, probes.id_maps));
  }
  add_namespace_step(out, facts, "mount", "mount namespace", probes.mount,
                     "mounts made private, a tmpfs mounted", "");
  if (probes.proc.ok) {
    out.add("proc", "PID namespace and /proc", FindingLevel::ok, "a new procfs mounted by PID 1");
  } else if (!probes.proc.attempted || needs_user_namespace(facts)) {
    add_namespace_step(out, facts, "proc", "PID namespace and /proc", probes.proc, "", "");
  } else if (probes.proc.call.starts_with("mount proc") &&
             (facts.environment.proc_submounts > 0 || in_container(facts.environment))) {
    out.add("proc", "PID namespace and /proc", FindingLevel::broken,
            "cannot mount a procfs: " + failure_text(probes.proc) + " (" +
                std::to_string(facts.environment.proc_submounts) +
                " mounts cover parts of the current /proc)",
            "give the container an unmasked /proc (docker run --security-opt "
            "systempaths=unconfined, podman run --security-opt unmask=ALL, Kubernetes "
            "procMount: Unmasked), or run with --share pid");
  } else {
    add_namespace_step(out, facts, "proc", "PID namespace and /proc", probes.proc, "",
                       "--share pid");
  }
  add_namespace_step(out, facts, "network", "network namespace", probes.network, "created, lo up",
                     "--network host");
  add_namespace_step(out, facts, "ipc", "IPC namespace", probes.ipc, "created", "--share ipc");
  add_namespace_step(out, facts, "uts", "UTS namespace", probes.uts, "created, hostname set",
                     "--share uts");
  add_namespace_step(out, facts, "cgroup_namespace", "cgroup namespace", probes.cgroup_namespace,
                     "created", "--share cgroup");
  // Only --time-offset needs it.
  if (probes.time_namespace.ok) {
    out.add("time_namespace", "time namespace", FindingLevel::ok,
            "created, CLOCK_MONOTONIC offset (--time-offset works)");
  } else if (needs_user_namespace(facts)) {
    out.add("time_namespace", "time namespace", FindingLevel::degraded,
            "not possible without a user namespace (" + failure_text(probes.time_namespace) +
                "); --time-offset cannot be used");
  } else if (probes.time_namespace.error_number == EINVAL) {
    out.add("time_namespace", "time namespace", FindingLevel::degraded,
            "not supported by this kernel: " + failure_text(probes.time_namespace) +
                "; --time-offset cannot be used",
            "use Linux 5.6 or later built with CONFIG_TIME_NS, or run without --time-offset");
  } else {
    out.add("time_namespace", "time namespace", FindingLevel::degraded,
            "failed: " + failure_text(probes.time_namespace) + "; --time-offset cannot be used",
            namespace_remedy(facts, probes.time_namespace));
  }
}

// A queueing discipline of the network lab. Optional, so a missing one is `info`: the doctor's
// exit status is about the sandbox, and `isotest run` refuses only the options that need it.
void add_qdisc_finding(FindingList& out, const DoctorFacts& facts, const std::string& kind,
                       const ProbeStep& step, const std::string& options) {
  const std::string id = "qdisc_" + kind;
  const std::string title = "queueing discipline " + kind;
  if (step.ok) {
    out.add(id, title, FindingLevel::ok, "available for " + options);
    return;
  }
  if (!step.attempted) {
    out.add(
        id, title, FindingLevel::info,
        "not tried: it needs a network namespace, which failed; " + options + " cannot be used");
    return;
  }
  if (step.error_number != ENOENT) {
    out.add(id, title, FindingLevel::info,
            "failed: " + failure_text(step) + "; " + options + " cannot be used",
            "see docs/troubleshooting.md#network-conditions");
    return;
  }
  std::string upper_kind;
  for (char c : kind) upper_kind += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  out.add(id, title, FindingLevel::info,
          "missing (module " + qdisc_module(kind) + "): " + options + " refused (exit 125)",
          facts.environment.loads_modules
              ? qdisc_remedy(kind)
              : "this kernel cannot load modules (no /proc/modules): use one built with "
                "CONFIG_NET_SCH_" +
                    upper_kind);
}

void add_qdisc_findings(FindingList& out, const DoctorFacts& facts) {
  const auto& qdiscs = facts.queueing_disciplines;
  add_qdisc_finding(out, facts, "netem", qdiscs.netem,
                    "--net-delay, --net-loss, --net-duplicate, --net-reorder, --net-corrupt");
  add_qdisc_finding(out, facts, "tbf", qdiscs.tbf, "--net-rate alone");
}

std::string docker_cgroup_remedy() {
  return "the container's /sys/fs/cgroup is read-only: start it with `docker run --privileged "
         "--cgroupns=private` (cgroup v2: a writable cgroup of its own; --privileged also lifts "
         "seccomp, AppArmor and the /proc masks), or pass --allow-degraded to run without limits";
}

void add_cgroup_probe_findings(FindingList& out, const DoctorFacts& facts) {
  const auto& cgroup = facts.cgroup;
  const bool container = in_container(facts.environment);
  if (cgroup.create.ok && cgroup.missing_limits.empty()) {
    out.add("cgroup_limits", "cgroup limits", FindingLevel::ok,
            "a " + cgroup.version + " cgroup created below " + cgroup.directory +
                " with --memory, --pids and --cpus limits");
  } else {
    std::string verdict = (cgroup.missing_limits.empty()
                               ? std::string("cannot be applied")
                               : limit_options(cgroup.missing_limits) + " cannot be applied") +
                          ": " + cgroup.reason;
    if (!cgroup.create.ok && cgroup.create.error_number != 0) {
      verdict += ": " + errno_name(cgroup.create.error_number);
    }
    std::string remedy = cgroup.remedy;
    if (cgroup.read_only) {
      remedy = container ? docker_cgroup_remedy()
                         : "the cgroup file system is mounted read-only: remount it read-write "
                           "(`sudo mount -o remount,rw " +
                               cgroup.directory + "`), or pass --allow-degraded";
    }
    out.add("cgroup_limits", "cgroup limits", FindingLevel::degraded, verdict, remedy);
  }
  if (!cgroup.create.ok) return;
  if (cgroup.placement.ok) {
    out.add("cgroup_placement", "clone into cgroup", FindingLevel::ok,
            cgroup.clone_into_cgroup
                ? "the sandbox starts in its cgroup (clone3 with CLONE_INTO_CGROUP)"
                : "the sandbox joins its cgroup before it is released (" + cgroup.version +
                      ": no CLONE_INTO_CGROUP)");
  } else {
    out.add("cgroup_placement", "clone into cgroup", FindingLevel::broken,
            "a child cannot be placed in its cgroup: " + failure_text(cgroup.placement),
            "see docs/troubleshooting.md#other-cgroup-failures");
  }
  if (cgroup.removal.ok) {
    out.add("cgroup_cleanup", "cgroup removal", FindingLevel::ok, "the cgroup was removed");
  } else {
    out.add("cgroup_cleanup", "cgroup removal", FindingLevel::degraded,
            "the cgroup stayed behind: " + failure_text(cgroup.removal),
            "remove it by hand (rmdir); the next isotest run also removes stale isotest cgroups");
  }
}

void add_cgroup_setting_findings(FindingList& out, const DoctorFacts& facts) {
  const auto& cgroup = facts.cgroup;
  const bool root = facts.environment.uid == 0;
  const std::string mounts = join(cgroup.mount_points);
  if (cgroup.layout == "none") {
    out.add("cgroup_version", "cgroup version", FindingLevel::degraded,
            "no cgroup file system is mounted",
            "mount one (`sudo mount -t cgroup2 cgroup2 /sys/fs/cgroup`), or pass --allow-degraded");
    return;
  }
  if (cgroup.layout == "v2") {
    out.add("cgroup_version", "cgroup version", FindingLevel::info, "v2 (unified) at " + mounts);
  } else {
    out.add("cgroup_version", "cgroup version", FindingLevel::info,
            (cgroup.layout == "hybrid"
                 ? "hybrid: controllers in v1 hierarchies, an unused cgroup2 mount; isotest uses v1"
                 : "v1 (legacy); isotest uses v1") +
                std::string(" (") + mounts + ")");
  }
  std::vector<std::string> missing;
  for (const char* controller : {"memory", "pids", "cpu"}) {
    bool found = false;
    for (const auto& name : cgroup.controllers) found = found || name == controller;
    if (!found) missing.emplace_back(controller);
  }
  if (missing.empty()) {
    out.add("cgroup_controllers", "cgroup controllers", FindingLevel::ok,
            join(cgroup.controllers, " ") + " available");
  } else if (cgroup.layout == "v2") {
    out.add("cgroup_controllers", "cgroup controllers", FindingLevel::degraded,
            join(missing) + " not available in " + cgroup.directory,
            "enable them in the parent's cgroup.subtree_control (systemd: Delegate=yes), "
            "or pass --allow-degraded");
  } else {
    out.add("cgroup_controllers", "cgroup controllers", FindingLevel::degraded,
            join(missing) + " not mounted",
            "mount the v1 hierarchy (`sudo mount -t cgroup -o " + missing.front() + " cgroup " +
                "/sys/fs/cgroup/" + missing.front() + "`), or pass --allow-degraded");
  }

  const std::string id = "cgroup_delegation";
  const std::string title = "cgroup delegation";
  if (cgroup.read_only) {
    out.add(id, title, FindingLevel::degraded, cgroup.directory + " is on a read-only mount",
            in_container(facts.environment)
                ? docker_cgroup_remedy()
                : "remount it read-write (`sudo mount -o remount,rw " + cgroup.directory + "`)");
    return;
  }
  if (root) {
    out.add(id, title, FindingLevel::ok,
            "running as root: may create cgroups below " + cgroup.directory);
    return;
  }
  if (cgroup.layout != "v2") {
    out.add(id, title, FindingLevel::degraded,
            "cgroup v1 is not delegated to uid " + std::to_string(facts.environment.uid) + " (" +
                cgroup.directory + " is owned by uid " + std::to_string(cgroup.owner) + ")",
            "cgroup v1 cannot be delegated safely to a user: run isotest as root, or boot with "
            "cgroup v2 only (systemd.unified_cgroup_hierarchy=1) and use `systemd-run --user "
            "--scope -p Delegate=yes -- <your command>`");
    return;
  }
  if (cgroup.directory_writable && cgroup.procs_writable && cgroup.subtree_control_writable) {
    out.add(id, title, FindingLevel::ok,
            cgroup.directory + " is delegated to you (owner uid " + std::to_string(cgroup.owner) +
                ", cgroup.procs and cgroup.subtree_control writable)");
    return;
  }
  out.add(id, title, FindingLevel::degraded,
          cgroup.directory + " is not delegated to uid " + std::to_string(facts.environment.uid) +
              " (owner uid " + std::to_string(cgroup.owner) + ")",
          "run isotest in a cgroup delegated to you: `systemd-run --user --scope -p Delegate=yes "
          "-- <your command>`");
}

void add_setting_findings(FindingList& out, const DoctorFacts& facts) {
  const auto& settings = facts.settings;
  const auto& probes = facts.namespaces;
  const bool root = facts.environment.uid == 0;
  const bool userns = user_namespace_works(probes);

  const char* max_id = "max_user_namespaces";
  const char* max_title = "user.max_user_namespaces";
  if (settings.max_user_namespaces.empty()) {
    out.add(max_id, max_title, FindingLevel::info, "not on this kernel");
  } else if (settings.max_user_namespaces == "0") {
    out.add(max_id, max_title, FindingLevel::broken, "= 0: user namespaces are disabled",
            refusal_hint(RefusalCause::max_user_namespaces_zero));
  } else if (!probes.user_namespace.ok && probes.user_namespace.error_number == ENOSPC) {
    out.add(max_id, max_title, FindingLevel::broken,
            "= " + settings.max_user_namespaces + ", and all of them are in use",
            refusal_hint(RefusalCause::max_user_namespaces_reached));
  } else {
    out.add(max_id, max_title, FindingLevel::ok, "= " + settings.max_user_namespaces);
  }

  const char* clone_id = "unprivileged_userns_clone";
  const char* clone_title = "kernel.unprivileged_userns_clone";
  if (settings.unprivileged_userns_clone.empty()) {
    out.add(clone_id, clone_title, FindingLevel::info, "not on this kernel (a Debian switch)");
  } else if (settings.unprivileged_userns_clone == "0" && !root) {
    out.add(clone_id, clone_title, FindingLevel::broken, "= 0: user namespaces are for root only",
            refusal_hint(RefusalCause::userns_clone_disabled));
  } else {
    out.add(clone_id, clone_title, FindingLevel::ok,
            "= " + settings.unprivileged_userns_clone + (root ? " (does not restrict root)" : ""));
  }

  const char* aa_id = "apparmor_restrict_unprivileged_userns";
  const char* aa_title = "kernel.apparmor_restrict_unprivileged_userns";
  if (settings.apparmor_restrict.empty()) {
    out.add(aa_id, aa_title, FindingLevel::info, "not on this kernel (an Ubuntu switch)");
  } else if (settings.apparmor_restrict != "1" || root) {
    out.add(aa_id, aa_title, FindingLevel::ok,
            "= " + settings.apparmor_restrict +
                (root && settings.apparmor_restrict == "1" ? " (does not restrict root)" : ""));
  } else if (userns && probes.mount.ok) {
    out.add(aa_id, aa_title, FindingLevel::ok,
            "= 1, but isotest's user namespaces keep their capabilities (an AppArmor profile "
            "allows it)");
  } else {
    out.add(aa_id, aa_title, FindingLevel::broken,
            "= 1: user namespaces are created without capabilities",
            refusal_hint(RefusalCause::apparmor_restricted));
  }
}

// Where a crashing test's core goes decides whether isotest can name the crash site of a test
// without the GoogleTest plugin (docs/doctor.md, "core_pattern").
void add_core_pattern_finding(FindingList& out, const HostEnvironment& env) {
  const CorePattern pattern{.pattern = env.core_pattern, .uses_pid = env.core_uses_pid};
  std::string remedy;
  if (pattern.pattern.empty() || pattern.pipes()) {
    remedy =
        "link the GoogleTest plugin (IsoTest::gtest), whose handler reports the crash site "
        "itself, or have cores written to a file: sysctl kernel.core_pattern=core";
  }
  out.add("core_pattern", "core_pattern", FindingLevel::info, describe_core_pattern(pattern),
          remedy);
}

void add_environment_findings(FindingList& out, const DoctorFacts& facts) {
  const auto& env = facts.environment;
  const auto& probes = facts.namespaces;
  const bool namespaces_work = user_namespace_works(probes) && probes.mount.ok && probes.proc.ok &&
                               probes.network.ok && probes.ipc.ok && probes.uts.ok &&
                               probes.cgroup_namespace.ok;
  if (env.seccomp_mode == 0) {
    out.add("seccomp", "seccomp", FindingLevel::ok, "no filter on isotest");
  } else if (env.seccomp_mode == 2 && !probes.user_namespace.ok &&
             namespace_refusal_cause(probes.user_namespace.error_number, facts.settings) ==
                 RefusalCause::seccomp_filter) {
    out.add("seccomp", "seccomp", FindingLevel::broken,
            "a filter refuses namespace creation (" + failure_text(probes.user_namespace) + ")",
            refusal_hint(RefusalCause::seccomp_filter));
  } else {
    out.add("seccomp", "seccomp", FindingLevel::info,
            "mode " + std::to_string(env.seccomp_mode) + ": a filter is active" +
                (namespaces_work ? ", and allows what isotest needs" : ""));
  }

  add_core_pattern_finding(out, env);

  std::vector<std::string> where;
  if (env.docker) where.emplace_back("Docker");
  if (env.podman) where.emplace_back("Podman");
  if (env.kubernetes) where.emplace_back("Kubernetes");
  if (env.wsl) where.emplace_back("WSL");
  if (where.empty()) {
    out.add("container", "container", FindingLevel::info, "not in a container or WSL");
    return;
  }
  const std::string verdict = "running in " + join(where, " / ");
  if (container_refuses(facts)) {
    out.add("container", "container", FindingLevel::info,
            verdict + "; its defaults refuse parts of the sandbox", container_remedy(env));
  } else if (env.wsl && !facts.cgroup.missing_limits.empty()) {
    out.add("container", "container", FindingLevel::info, verdict,
            "for cgroup v2 limits, set `kernelCommandLine = cgroup_no_v1=all` under [wsl2] in "
            "%UserProfile%\\.wslconfig, then `wsl --shutdown`");
  } else {
    out.add("container", "container", FindingLevel::info, verdict);
  }
}

}  // namespace

std::string_view level_name(FindingLevel level) {
  switch (level) {
    case FindingLevel::ok:
      return "ok";
    case FindingLevel::info:
      return "info";
    case FindingLevel::degraded:
      return "degraded";
    case FindingLevel::broken:
      return "broken";
  }
  return "broken";
}

Diagnosis diagnose(const DoctorFacts& facts) {
  FindingList list;
  add_namespace_findings(list, facts);
  add_qdisc_findings(list, facts);
  add_cgroup_probe_findings(list, facts);
  add_setting_findings(list, facts);
  add_cgroup_setting_findings(list, facts);
  add_environment_findings(list, facts);
  Diagnosis diagnosis;
  diagnosis.findings = list.take();
  // The summary names the causes: findings with a remedy. Ones without are consequences.
  std::vector<std::string> degraded;
  std::vector<std::string> broken;
  std::vector<std::string> broken_causes;
  for (const auto& finding : diagnosis.findings) {
    if (finding.level == FindingLevel::degraded) degraded.push_back(finding.title);
    if (finding.level != FindingLevel::broken) continue;
    broken.push_back(finding.title);
    if (!finding.remedy.empty()) broken_causes.push_back(finding.title);
  }
  if (!broken_causes.empty()) broken = broken_causes;
  if (!broken.empty()) {
    diagnosis.overall = FindingLevel::broken;
    diagnosis.exit_code = 2;
    diagnosis.summary = "isotest cannot build its sandbox here: " + join(broken);
  } else if (!degraded.empty()) {
    diagnosis.overall = FindingLevel::degraded;
    diagnosis.exit_code = 1;
    diagnosis.summary = "isotest works, degraded: " + join(degraded);
  } else {
    diagnosis.summary = "full isolation works";
  }
  return diagnosis;
}

std::string apparmor_profile(std::string_view binary_path) {
  std::string profile(kAppArmorProfile);
  const std::string line = "profile isotest " + std::string(kProfilePath) + " ";
  auto at = profile.find(line);
  if (at == std::string::npos) return profile;
  std::string path(binary_path);
  // AppArmor needs a path with spaces quoted.
  if (path.find(' ') != std::string::npos) path = "\"" + path + "\"";
  profile.replace(at, line.size(), "profile isotest " + path + " ");
  return profile;
}

}  // namespace isotest
