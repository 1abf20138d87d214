// The verdicts for environments this machine cannot fake (Ubuntu's AppArmor switch, a Docker
// /proc with masks, cgroup v2 without delegation, an old kernel), from made-up facts.
#include "doctor_findings.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace isotest {
namespace {

ProbeStep ok() {
  return ProbeStep{.attempted = true, .ok = true, .error_number = 0, .call = {}};
}
ProbeStep failed(const char* call, int error_number) {
  return ProbeStep{.attempted = true, .ok = false, .error_number = error_number, .call = call};
}

// A cgroup v2 machine where an unprivileged user in a delegated scope gets everything.
DoctorFacts healthy_v2_user() {
  DoctorFacts facts;
  facts.settings.max_user_namespaces = "63000";
  facts.environment.uid = 1000;
  facts.environment.kernel = "6.8.0";
  facts.environment.core_pattern = "core";  // the kernel's default: a plain file
  auto& ns = facts.namespaces;
  for (ProbeStep* step : {&ns.user_namespace, &ns.id_maps, &ns.mount, &ns.network, &ns.ipc, &ns.uts,
                          &ns.cgroup_namespace, &ns.time_namespace, &ns.proc}) {
    *step = ok();
  }
  facts.queueing_disciplines.netem = facts.queueing_disciplines.tbf = ok();
  facts.environment.loads_modules = true;
  auto& cgroup = facts.cgroup;
  cgroup.layout = "v2";
  cgroup.mount_points = {"/sys/fs/cgroup"};
  cgroup.directory = "/sys/fs/cgroup/user.slice/user-1000.slice/run-1.scope";
  cgroup.controllers = {"cpu", "memory", "pids"};
  cgroup.owner = 1000;
  cgroup.directory_writable = cgroup.procs_writable = cgroup.subtree_control_writable = true;
  cgroup.create = cgroup.placement = cgroup.removal = ok();
  cgroup.version = "v2";
  cgroup.clone_into_cgroup = true;
  return facts;
}

const Finding& find(const Diagnosis& diagnosis, const std::string& id) {
  for (const auto& finding : diagnosis.findings) {
    if (finding.id == id) return finding;
  }
  ADD_FAILURE() << "no finding " << id;
  static const Finding none;
  return none;
}

TEST(DoctorFindings, FullIsolationExitsZero) {
  auto diagnosis = diagnose(healthy_v2_user());
  EXPECT_EQ(diagnosis.exit_code, 0) << diagnosis.summary;
  EXPECT_EQ(diagnosis.summary, "full isolation works");
  for (const auto& finding : diagnosis.findings) {
    EXPECT_TRUE(finding.remedy.empty()) << finding.id << ": " << finding.remedy;
  }
  EXPECT_NE(find(diagnosis, "cgroup_placement").verdict.find("CLONE_INTO_CGROUP"),
            std::string::npos);
}

TEST(DoctorFindings, AppArmorRestrictionGetsTheProfileAndTheSysctl) {
  auto facts = healthy_v2_user();
  facts.settings.apparmor_restrict = "1";
  facts.namespaces.mount = failed("make / private", EACCES);
  auto diagnosis = diagnose(facts);
  EXPECT_EQ(diagnosis.exit_code, 2);
  const auto& setting = find(diagnosis, "apparmor_restrict_unprivileged_userns");
  EXPECT_EQ(setting.level, FindingLevel::broken);
  EXPECT_NE(setting.remedy.find("isotest doctor --apparmor-profile | sudo tee "
                                "/etc/apparmor.d/isotest"),
            std::string::npos);
  EXPECT_NE(setting.remedy.find("kernel.apparmor_restrict_unprivileged_userns=0"),
            std::string::npos);
  EXPECT_EQ(find(diagnosis, "mount").remedy, setting.remedy);
}

TEST(DoctorFindings, AppArmorRestrictionWithAProfileIsFine) {
  auto facts = healthy_v2_user();
  facts.settings.apparmor_restrict = "1";
  auto diagnosis = diagnose(facts);
  EXPECT_EQ(diagnosis.exit_code, 0) << diagnosis.summary;
  EXPECT_EQ(find(diagnosis, "apparmor_restrict_unprivileged_userns").level, FindingLevel::ok);
}

TEST(DoctorFindings, DebianSwitchOffIsBrokenForUsersOnly) {
  auto facts = healthy_v2_user();
  facts.settings.unprivileged_userns_clone = "0";
  facts.namespaces.user_namespace = failed("clone(CLONE_NEWUSER)", EPERM);
  auto diagnosis = diagnose(facts);
  EXPECT_EQ(diagnosis.exit_code, 2);
  EXPECT_NE(find(diagnosis, "unprivileged_userns_clone")
                .remedy.find("sudo sysctl -w kernel.unprivileged_userns_clone=1"),
            std::string::npos);
  EXPECT_EQ(diagnosis.summary,
            "isotest cannot build its sandbox here: user namespace, "
            "kernel.unprivileged_userns_clone");
}

TEST(DoctorFindings, MaskedProcInDockerGetsSystempaths) {
  auto facts = healthy_v2_user();
  facts.environment.docker = true;
  facts.environment.proc_submounts = 6;
  facts.namespaces.proc = failed("mount proc on /proc", EPERM);
  auto diagnosis = diagnose(facts);
  EXPECT_EQ(diagnosis.exit_code, 2);
  const auto& proc = find(diagnosis, "proc");
  EXPECT_NE(proc.remedy.find("systempaths=unconfined"), std::string::npos);
  EXPECT_NE(proc.remedy.find("--share pid"), std::string::npos);
  EXPECT_NE(find(diagnosis, "container").remedy.find("docker run"), std::string::npos);
}

TEST(DoctorFindings, KubernetesGetsSecurityContext) {
  auto facts = healthy_v2_user();
  facts.environment.kubernetes = true;
  facts.environment.seccomp_mode = 2;
  facts.settings.seccomp_filtered = true;
  facts.namespaces.user_namespace = failed("clone(CLONE_NEWUSER)", EPERM);
  auto diagnosis = diagnose(facts);
  EXPECT_NE(find(diagnosis, "container").remedy.find("securityContext"), std::string::npos);
  EXPECT_EQ(find(diagnosis, "seccomp").level, FindingLevel::broken);
}

TEST(DoctorFindings, UndelegatedV2GetsSystemdRun) {
  auto facts = healthy_v2_user();
  auto& cgroup = facts.cgroup;
  cgroup.owner = 0;
  cgroup.directory_writable = cgroup.procs_writable = cgroup.subtree_control_writable = false;
  cgroup.create = failed("cannot create a cgroup in /sys/fs/cgroup/user.slice", EACCES);
  cgroup.reason = "cannot create a cgroup in /sys/fs/cgroup/user.slice";
  cgroup.remedy =
      "run isotest in a cgroup delegated to you, e.g. `systemd-run --user --scope -p "
      "Delegate=yes -- <your command>`, or pass --allow-degraded";
  cgroup.missing_limits = {"memory", "pids", "cpus"};
  auto diagnosis = diagnose(facts);
  EXPECT_EQ(diagnosis.exit_code, 1);
  const auto& delegation = find(diagnosis, "cgroup_delegation");
  EXPECT_EQ(delegation.level, FindingLevel::degraded);
  EXPECT_NE(delegation.remedy.find("systemd-run --user --scope -p Delegate=yes"),
            std::string::npos);
  EXPECT_EQ(find(diagnosis, "cgroup_limits").verdict,
            "--memory, --pids, --cpus cannot be applied: cannot create a cgroup in "
            "/sys/fs/cgroup/user.slice: EACCES");
}

TEST(DoctorFindings, KernelWithoutTimeNamespacesIsDegraded) {
  auto facts = healthy_v2_user();
  facts.namespaces.time_namespace = failed("create time namespace: unshare(CLONE_NEWTIME)", EINVAL);
  auto diagnosis = diagnose(facts);
  EXPECT_EQ(diagnosis.exit_code, 1);
  EXPECT_NE(find(diagnosis, "time_namespace").remedy.find("5.6"), std::string::npos);
}

TEST(DoctorFindings, QueueingDisciplinesListTheOptionsTheyServe) {
  auto diagnosis = diagnose(healthy_v2_user());
  const auto& netem = find(diagnosis, "qdisc_netem");
  EXPECT_EQ(netem.level, FindingLevel::ok);
  EXPECT_EQ(netem.verdict,
            "available for --net-delay, --net-loss, --net-duplicate, --net-reorder, "
            "--net-corrupt");
  EXPECT_EQ(find(diagnosis, "qdisc_tbf").verdict, "available for --net-rate alone");
}

// The network lab's options are optional: a kernel without netem keeps full isolation.
TEST(DoctorFindings, MissingNetemIsInfoNamingTheModuleAndItsPackages) {
  auto facts = healthy_v2_user();
  facts.queueing_disciplines.netem = failed("network conditions: add qdisc netem", ENOENT);
  auto diagnosis = diagnose(facts);
  EXPECT_EQ(diagnosis.exit_code, 0) << diagnosis.summary;
  const auto& netem = find(diagnosis, "qdisc_netem");
  EXPECT_EQ(netem.level, FindingLevel::info);
  EXPECT_EQ(netem.verdict,
            "missing (module sch_netem): --net-delay, --net-loss, --net-duplicate, "
            "--net-reorder, --net-corrupt refused (exit 125)");
  EXPECT_NE(netem.remedy.find("modprobe sch_netem"), std::string::npos) << netem.remedy;
  EXPECT_NE(netem.remedy.find("linux-modules-extra-$(uname -r)"), std::string::npos);
  EXPECT_EQ(find(diagnosis, "qdisc_tbf").level, FindingLevel::ok);
}

TEST(DoctorFindings, KernelWithoutModulesNeedsTheDisciplineBuiltIn) {
  auto facts = healthy_v2_user();
  facts.environment.loads_modules = false;
  facts.queueing_disciplines.netem = failed("network conditions: add qdisc netem", ENOENT);
  const auto diagnosis = diagnose(facts);
  const auto& netem = find(diagnosis, "qdisc_netem");
  EXPECT_EQ(netem.remedy,
            "this kernel cannot load modules (no /proc/modules): use one built with "
            "CONFIG_NET_SCH_NETEM");
}

TEST(DoctorFindings, QueueingDisciplinesAreNotTriedWithoutANetworkNamespace) {
  auto facts = healthy_v2_user();
  facts.namespaces.network = failed("unshare(CLONE_NEWNET)", EPERM);
  facts.queueing_disciplines.netem = facts.queueing_disciplines.tbf = ProbeStep{};
  auto diagnosis = diagnose(facts);
  const auto& tbf = find(diagnosis, "qdisc_tbf");
  EXPECT_EQ(tbf.level, FindingLevel::info);
  EXPECT_EQ(tbf.verdict,
            "not tried: it needs a network namespace, which failed; --net-rate alone cannot be "
            "used");
  EXPECT_EQ(find(diagnosis, "network").level, FindingLevel::broken);
}

// Where a crash's core goes changes no exit status; a pipe gets the ways around it.
TEST(DoctorFindings, CorePatternSaysWhetherIsotestCanReadACore) {
  auto facts = healthy_v2_user();
  facts.environment.core_pattern = "core";
  auto file = find(diagnose(facts), "core_pattern");
  EXPECT_EQ(file.level, FindingLevel::info);
  EXPECT_NE(file.verdict.find("`core`: a plain file in the crashing process's working directory"),
            std::string::npos)
      << file.verdict;
  EXPECT_EQ(file.remedy, "");

  facts.environment.core_pattern =
      "|/usr/lib/systemd/systemd-coredump %P %u %g %s %t 9223372036854775808 %h";
  auto diagnosis = diagnose(facts);
  EXPECT_EQ(diagnosis.exit_code, 0);
  auto pipe = find(diagnosis, "core_pattern");
  EXPECT_EQ(pipe.level, FindingLevel::info);
  EXPECT_NE(pipe.verdict.find("pipes cores to /usr/lib/systemd/systemd-coredump, a host program"),
            std::string::npos)
      << pipe.verdict;
  EXPECT_NE(pipe.remedy.find("IsoTest::gtest"), std::string::npos);
  EXPECT_NE(pipe.remedy.find("sysctl kernel.core_pattern=core"), std::string::npos);
}

TEST(DoctorFindings, ApparmorProfileNamesTheBinary) {
  auto profile = apparmor_profile("/opt/my build/isotest");
  EXPECT_NE(profile.find("profile isotest \"/opt/my build/isotest\" flags=(unconfined) {"),
            std::string::npos);
  EXPECT_NE(profile.find("  userns,\n"), std::string::npos);
}

}  // namespace
}  // namespace isotest
