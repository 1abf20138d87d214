#include "launch_plan.h"

#include <linux/sched.h>

#include <gtest/gtest.h>

#include <algorithm>

namespace isotest {
namespace {

SandboxSpec command_spec() {
  SandboxSpec spec;
  spec.command = {"/bin/true"};
  spec.seccomp = SeccompMode::off;  // no libseccomp work in these tests
  return spec;
}

HostFacts host_in(const std::string& working_directory) {
  HostFacts host;
  host.working_directory = working_directory;
  host.needed = {NeededPath{.path = working_directory, .why = "working directory"}};
  host.uid = 1000;
  host.gid = 1000;
  return host;
}

const MountOp* find_target(const MountPlan& plan, const std::string& target) {
  for (const auto& op : plan.ops) {
    if (op.target == target) return &op;
  }
  return nullptr;
}

TEST(LaunchPlan, NamespacesDecideCloneFlagsIdMapsAndHostname) {
  auto spec = command_spec();
  auto plan = plan_launch(spec, host_in("/work"));
  EXPECT_EQ(plan.clone_flags,
            static_cast<std::uint64_t>(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
                                       CLONE_NEWIPC | CLONE_NEWUTS));
  ASSERT_TRUE(plan.id_maps);
  EXPECT_EQ(plan.id_maps->uid_map, "1000 1000 1");
  EXPECT_EQ(plan.hostname, "isotest");
  EXPECT_TRUE(plan.new_cgroup_namespace);
  EXPECT_EQ(plan.network, NetworkMode::loopback);

  spec.share(Namespace::user);
  spec.share(Namespace::uts);
  spec.share(Namespace::net);
  plan = plan_launch(spec, host_in("/work"));
  EXPECT_EQ(plan.clone_flags & (CLONE_NEWUSER | CLONE_NEWUTS | CLONE_NEWNET), 0U);
  EXPECT_FALSE(plan.id_maps);
  EXPECT_TRUE(plan.hostname.empty());
  EXPECT_EQ(plan.network, NetworkMode::host);
}

TEST(LaunchPlan, EnvironmentCarriesOnlyTheLimitsReallyApplied) {
  auto spec = command_spec();
  spec.limits.memory_max_bytes = 64ULL << 20;
  spec.limits.pids_max = 10;
  spec.environment = {{"ISOTEST_NAME", "mine"}, {"KEEP", "1"}};
  auto host = host_in("/work");
  host.cgroup.limits.pids_max = 10;  // memory was asked for, not applied
  const auto plan = plan_launch(spec, host);
  EXPECT_EQ(plan.exec.variable("ISOTEST_PIDS_MAX"), "10");
  EXPECT_FALSE(plan.exec.variable("ISOTEST_MEMORY_MAX"));
  EXPECT_EQ(plan.exec.variable("ISOTEST_NAME"), "true") << "isotest's variables win over --env";
  EXPECT_EQ(plan.exec.variable("KEEP"), "1");
  EXPECT_EQ(plan.exec.variable("TMPDIR"), "/tmp");
  EXPECT_EQ(plan.exec.working_directory, "/work");
}

TEST(LaunchPlan, OptionalMountsTheHostLacksAreDropped) {
  auto spec = command_spec();
  auto host = host_in("/work");
  host.exists = [](const std::string& path) { return path != "/dev/mqueue"; };
  const auto plan = plan_launch(spec, host);
  EXPECT_EQ(find_target(plan.mounts, "/dev/mqueue"), nullptr);
  EXPECT_NE(find_target(plan.mounts, "/dev/shm"), nullptr);
  EXPECT_NE(find_target(plan.mounts, "/tmp"), nullptr) << "never optional";
}

TEST(LaunchPlan, SupervisionAndFdsComeFromTheSpec) {
  auto spec = command_spec();
  spec.timeout_ms = 1500;
  spec.kill_after_ms = 300;
  spec.json_path = "result.json";
  spec.pass_fds = {3};
  const auto plan = plan_launch(spec, host_in("/work"));
  EXPECT_EQ(plan.supervision.timeout_ms, 1500);
  EXPECT_EQ(plan.supervision.kill_after_ms, 300);
  EXPECT_TRUE(plan.supervision.capture_output);
  EXPECT_EQ(plan.passed_fds, std::vector<int>{3});
  EXPECT_TRUE(plan.extension_fds.empty());
  Isolation isolation;
  describe_plan(plan, isolation);
  EXPECT_EQ(isolation.passed_fds, std::vector<int>{3});
  EXPECT_EQ(isolation.uid_map, "1000 1000 1");
  EXPECT_EQ(isolation.mounts.size(), plan.mounts.ops.size());
}

TEST(LaunchPlan, AnExtensionsBindGoesInsideTheSandboxTmpAndIsCreatedThere) {
  auto spec = command_spec();
  auto plan = plan_launch(spec, host_in("/work"));
  add_bind(plan.mounts,
           BindMount{.source = "/var/tmp/isotest-x/shared", .target = "/tmp/.isotest"});
  const auto tmp = std::find_if(plan.mounts.ops.begin(), plan.mounts.ops.end(),
                                [](const MountOp& op) { return op.target == "/tmp"; });
  const auto bind = std::find_if(plan.mounts.ops.begin(), plan.mounts.ops.end(),
                                 [](const MountOp& op) { return op.target == "/tmp/.isotest"; });
  ASSERT_NE(bind, plan.mounts.ops.end());
  EXPECT_LT(tmp, bind) << "the parent first";
  EXPECT_TRUE(bind->create_target);
  EXPECT_EQ(bind->description, "bind /var/tmp/isotest-x/shared on /tmp/.isotest");

  spec.share(Namespace::mount);
  plan = plan_launch(spec, host_in("/work"));
  add_bind(plan.mounts, BindMount{.source = "/a", .target = "/b"});
  EXPECT_TRUE(plan.mounts.ops.empty()) << "nothing to bind into with the host's mounts";
}

}  // namespace
}  // namespace isotest
