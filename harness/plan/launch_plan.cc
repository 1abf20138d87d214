#include "launch_plan.h"

#include <linux/sched.h>

#include "sandbox_environment.h"

namespace isotest {

namespace {

std::uint64_t clone_flags_for(const SandboxSpec& spec) {
  struct FlagFor {
    Namespace ns;
    std::uint64_t flag;
  };
  constexpr FlagFor kFlags[] = {{Namespace::user, CLONE_NEWUSER}, {Namespace::mount, CLONE_NEWNS},
                                {Namespace::pid, CLONE_NEWPID},   {Namespace::net, CLONE_NEWNET},
                                {Namespace::ipc, CLONE_NEWIPC},   {Namespace::uts, CLONE_NEWUTS}};
  // No CLONE_NEWCGROUP: the child unshares it once it sits in its own cgroup (v1 places it only
  // after the clone), so that cgroup -- not isotest's -- is the root the test sees.
  std::uint64_t flags = 0;
  for (const auto& entry : kFlags) {
    if (!spec.shares(entry.ns)) flags |= entry.flag;
  }
  return flags;
}

}  // namespace

LaunchPlan plan_launch(const SandboxSpec& spec, const HostFacts& host) {
  LaunchPlan plan;
  plan.name = spec.display_name();
  plan.clone_flags = clone_flags_for(spec);
  plan.new_cgroup_namespace = !spec.shares(Namespace::cgroup);
  plan.own_mount_namespace = !spec.shares(Namespace::mount);
  if (!spec.shares(Namespace::user)) plan.id_maps = plan_id_maps(spec.map_root, host.uid, host.gid);
  plan.mounts = plan_mounts(spec, host.needed);
  if (host.exists) drop_missing_targets(plan.mounts, host.exists);
  plan.network = spec.shares(Namespace::net) ? NetworkMode::host : spec.network;
  if (!spec.shares(Namespace::uts)) plan.hostname = spec.hostname;
  plan.time_offset_seconds = spec.time_offset_seconds;
  plan.exec = plan_exec(spec, host.environment, host.working_directory);
  add_sandbox_environment(spec, host.cgroup, plan.exec);
  plan.executable = host.executable;
  plan.keep_capabilities = spec.map_root;
  plan.seccomp = build_seccomp_filter(spec);
  plan.passed_fds = spec.pass_fds;
  plan.supervision = SupervisionPlan{.timeout_ms = spec.timeout_ms,
                                     .kill_after_ms = spec.kill_after_ms,
                                     .capture_output = !spec.json_path.empty(),
                                     .output_limit_bytes = spec.output_limit_bytes,
                                     .stdout_copy_fd = spec.stdout_copy_fd};
  return plan;
}

void describe_plan(const LaunchPlan& plan, Isolation& isolation) {
  for (const auto& op : plan.mounts.ops) isolation.mounts.push_back(op.description);
  if (plan.id_maps) {
    isolation.uid_map = plan.id_maps->uid_map;
    isolation.gid_map = plan.id_maps->gid_map;
  }
  isolation.no_new_privs = true;
  isolation.capabilities_dropped = !plan.keep_capabilities;
  isolation.passed_fds = plan.passed_fds;
  isolation.seccomp.mode = std::string(seccomp_mode_name(plan.seccomp.mode));
  isolation.seccomp.syscalls = plan.seccomp.refused;
}

}  // namespace isotest
