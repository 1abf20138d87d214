#include "mounts.h"

#include <gtest/gtest.h>

namespace isotest {
namespace {

std::vector<MountOp::Kind> kinds(const MountPlan& plan) {
  std::vector<MountOp::Kind> result;
  for (const auto& op : plan.ops) result.push_back(op.kind);
  return result;
}

const MountOp* find_target(const MountPlan& plan, const std::string& target) {
  for (const auto& op : plan.ops) {
    if (op.target == target) return &op;
  }
  return nullptr;
}

std::vector<std::string> targets(const MountPlan& plan) {
  std::vector<std::string> result;
  for (const auto& op : plan.ops) result.push_back(op.target);
  return result;
}

using Kind = MountOp::Kind;

TEST(MountPlan, DefaultsArePrivateProcTmpShmMqueueAndReadOnlyCgroupfs) {
  SandboxSpec spec;
  auto plan = plan_mounts(spec, "/work");
  EXPECT_EQ(kinds(plan),
            (std::vector<Kind>{Kind::make_private, Kind::proc, Kind::cover, Kind::cover,
                               Kind::cover, Kind::cover, Kind::cover, Kind::read_only_tree,
                               Kind::tmpfs, Kind::tmpfs, Kind::mqueue, Kind::read_only_tree}));
  EXPECT_EQ(targets(plan),
            (std::vector<std::string>{"/", "/proc", "/proc/sys/net", "/proc/sys",
                                      "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/sys",
                                      "/tmp", "/dev/shm", "/dev/mqueue", "/sys/fs/cgroup"}));
  EXPECT_FALSE(plan.ops[8].skip_if_missing);  // /tmp is required
  EXPECT_TRUE(plan.ops[10].skip_if_missing);  // hosts without /dev/mqueue still work
  // The test cannot raise its own limits; its mounts are made read-only, not covered by copies.
  EXPECT_EQ(plan.ops[11].description, "read-only /sys/fs/cgroup");
}

TEST(MountPlan, ProcSysIsReadOnlyButTheSandboxsOwnNetworkSettingsAreNot) {
  SandboxSpec spec;
  auto plan = plan_mounts(spec, "/work");
  const MountOp* net = find_target(plan, "/proc/sys/net");
  const MountOp* sys = find_target(plan, "/proc/sys");
  ASSERT_NE(net, nullptr);
  ASSERT_NE(sys, nullptr);
  EXPECT_FALSE(net->read_only);
  EXPECT_TRUE(sys->read_only);
  EXPECT_FALSE(sys->skip_if_missing);
  EXPECT_LT(net, sys) << "/proc/sys/net must be its own mount before /proc/sys turns read-only";
  EXPECT_TRUE(find_target(plan, "/proc/sysrq-trigger")->read_only);

  spec.share(Namespace::net);
  spec.network = NetworkMode::host;
  EXPECT_EQ(find_target(plan_mounts(spec, "/work"), "/proc/sys/net"), nullptr)
      << "the host's network settings stay read-only";
}

TEST(MountPlan, SharedMountNamespaceMountsNothing) {
  SandboxSpec spec;
  spec.share(Namespace::mount);
  EXPECT_TRUE(plan_mounts(spec, "/").ops.empty());
}

TEST(MountPlan, SharedPidAndIpcSkipProcAndIpcMounts) {
  SandboxSpec spec;
  spec.share(Namespace::pid);
  spec.share(Namespace::ipc);
  auto plan = plan_mounts(spec, "/work");
  EXPECT_EQ(kinds(plan), (std::vector<Kind>{Kind::make_private, Kind::read_only_tree, Kind::tmpfs,
                                            Kind::read_only_tree}));
}

TEST(MountPlan, ReadOnlyComesFirstAndWorkingDirectoryStaysWritable) {
  SandboxSpec spec;
  spec.read_only_root = true;
  spec.binds.push_back({"/src", "/dst", true});
  spec.tmpfs.push_back({"/scratch", 1024});
  auto plan = plan_mounts(spec, "/work");
  ASSERT_GE(plan.ops.size(), 3U);
  EXPECT_EQ(plan.ops[1].kind, Kind::read_only_tree);
  const MountOp* kept = find_target(plan, "/work");
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(kept->kind, Kind::bind);
  EXPECT_EQ(kept->source, "/work");
  EXPECT_FALSE(kept->read_only);
  bool saw_bind = false;
  bool saw_sized_tmpfs = false;
  for (const auto& op : plan.ops) {
    if (op.kind == Kind::bind && op.source == "/src") {
      saw_bind = true;
      EXPECT_TRUE(op.read_only);
      EXPECT_FALSE(op.create_target);  // a host path: never created by us
      EXPECT_EQ(op.description, "read-only bind /src on /dst");
    }
    if (op.kind == Kind::tmpfs && op.target == "/scratch") {
      saw_sized_tmpfs = op.options.find("size=1024") != std::string::npos;
      EXPECT_FALSE(op.skip_if_missing);  // a user's mount is never silently dropped
    }
  }
  EXPECT_TRUE(saw_bind);
  EXPECT_TRUE(saw_sized_tmpfs);
}

TEST(MountPlan, WorkingDirectoryUnderTmpIsBoundIntoTheNewTmp) {
  SandboxSpec spec;
  auto plan = plan_mounts(spec, "/tmp/build");
  const MountOp* kept = find_target(plan, "/tmp/build");
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(kept->kind, Kind::bind);
  EXPECT_TRUE(kept->create_target);  // inside our own tmpfs, so ours to create
}

TEST(MountPlan, MountsInsideTheWorkingDirectoryComeAfterIt) {
  SandboxSpec spec;
  spec.read_only_root = true;
  spec.binds.push_back({"/b", "/w/bind", false});
  spec.tmpfs.push_back({"/w/scratch", std::nullopt});
  auto plan = plan_mounts(spec, "/w");
  std::vector<std::string> order;
  for (const auto& op : plan.ops) {
    if (op.target.starts_with("/w")) order.push_back(op.target);
  }
  ASSERT_EQ(order.size(), 3U);
  EXPECT_EQ(order.front(), "/w");  // else the working directory's bind would cover the others
}

TEST(MountPlan, WorkingDirectoryThatIsTmpItselfGetsTheFreshTmp) {
  SandboxSpec spec;
  const auto plan = plan_mounts(spec, "/tmp");
  const MountOp* tmp = find_target(plan, "/tmp");
  ASSERT_NE(tmp, nullptr);
  EXPECT_EQ(tmp->kind, Kind::tmpfs);  // and no bind of the host's /tmp over it
}

TEST(MountPlan, BindTargetsInsideOurTmpfsAreCreatedOthersNot) {
  SandboxSpec spec;
  spec.binds.push_back({"/data", "/tmp/data", false});
  spec.binds.push_back({"/data", "/opt/data", false});
  auto plan = plan_mounts(spec, "/work");
  std::vector<bool> created;
  for (const auto& op : plan.ops) {
    if (op.kind == Kind::bind && op.source == "/data") created.push_back(op.create_target);
  }
  EXPECT_EQ(created, (std::vector<bool>{true, false}));
}

TEST(MountPlan, NothingExtraForAWorkingDirectoryOnTheHostTree) {
  SandboxSpec spec;
  const auto plan = plan_mounts(spec, "/work");
  EXPECT_EQ(find_target(plan, "/work"), nullptr);
  spec.read_only_root = true;
  EXPECT_EQ(plan_mounts(spec, "/").ops.back().target, "/sys/fs/cgroup");
}

}  // namespace
}  // namespace isotest
