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

// What a command started in `working_directory` that names nothing else needs.
std::vector<NeededPath> working_in(const std::string& working_directory) {
  return {{.path = working_directory, .why = "working directory", .writable = true}};
}

TEST(MountPlan, DefaultsArePrivateProcTmpShmMqueueAndReadOnlyCgroupfs) {
  SandboxSpec spec;
  auto plan = plan_mounts(spec, working_in("/work"));
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
  auto plan = plan_mounts(spec, working_in("/work"));
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
  EXPECT_EQ(find_target(plan_mounts(spec, working_in("/work")), "/proc/sys/net"), nullptr)
      << "the host's network settings stay read-only";
}

TEST(MountPlan, SharedMountNamespaceMountsNothing) {
  SandboxSpec spec;
  spec.share(Namespace::mount);
  EXPECT_TRUE(plan_mounts(spec, working_in("/")).ops.empty());
}

TEST(MountPlan, SharedPidAndIpcSkipProcAndIpcMounts) {
  SandboxSpec spec;
  spec.share(Namespace::pid);
  spec.share(Namespace::ipc);
  auto plan = plan_mounts(spec, working_in("/work"));
  EXPECT_EQ(kinds(plan), (std::vector<Kind>{Kind::make_private, Kind::read_only_tree, Kind::tmpfs,
                                            Kind::read_only_tree}));
}

TEST(MountPlan, ReadOnlyComesFirstAndWorkingDirectoryStaysWritable) {
  SandboxSpec spec;
  spec.read_only_root = true;
  spec.binds.push_back({"/src", "/dst", true});
  spec.tmpfs.push_back({"/scratch", 1024});
  auto plan = plan_mounts(spec, working_in("/work"));
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
  auto plan = plan_mounts(spec, working_in("/tmp/build"));
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
  auto plan = plan_mounts(spec, working_in("/w"));
  std::vector<std::string> order;
  for (const auto& op : plan.ops) {
    if (op.target.starts_with("/w")) order.push_back(op.target);
  }
  ASSERT_EQ(order.size(), 3U);
  EXPECT_EQ(order.front(), "/w");  // else the working directory's bind would cover the others
}

TEST(MountPlan, WorkingDirectoryThatIsTmpItselfGetsTheFreshTmp) {
  SandboxSpec spec;
  const auto plan = plan_mounts(spec, working_in("/tmp"));
  const MountOp* tmp = find_target(plan, "/tmp");
  ASSERT_NE(tmp, nullptr);
  EXPECT_EQ(tmp->kind, Kind::tmpfs);  // and no bind of the host's /tmp over it
  spec.read_only_root = true;         // not even to keep it writable
  for (const auto& op : plan_mounts(spec, working_in("/tmp")).ops) {
    EXPECT_NE(op.kind, Kind::bind) << op.description;
  }
}

TEST(MountPlan, BindTargetsInsideOurTmpfsAreCreatedOthersNot) {
  SandboxSpec spec;
  spec.binds.push_back({"/data", "/tmp/data", false});
  spec.binds.push_back({"/data", "/opt/data", false});
  auto plan = plan_mounts(spec, working_in("/work"));
  std::vector<bool> created;
  for (const auto& op : plan.ops) {
    if (op.kind == Kind::bind && op.source == "/data") created.push_back(op.create_target);
  }
  EXPECT_EQ(created, (std::vector<bool>{true, false}));
}

// --artifacts: the run's own host directory is /tmp instead of a tmpfs; it hides the host's /tmp
// as the tmpfs would (what the command needs there stays visible), and isotest may make mount
// points in it, as in its own tmpfs, also for binds added afterwards.
TEST(MountPlan, ATmpBackedByTheRunsOwnDirectoryTakesTheTmpfssPlace) {
  SandboxSpec spec;
  const std::string backing = "/dev/shm/isotest-artifacts-abcdef/tmp";
  spec.binds.push_back({"/data", "/tmp/data", false});
  auto plan = plan_mounts(spec, working_in("/tmp/build"));
  replace_tmpfs_with_directory(plan, "/tmp", backing);
  add_bind(plan, BindMount{.source = "/dev/shm/isotest-artifacts-abcdef/outputs",
                           .target = "/tmp/.isotest-outputs"});
  const MountOp* tmp = find_target(plan, "/tmp");
  ASSERT_NE(tmp, nullptr);
  EXPECT_EQ(tmp->kind, Kind::bind);
  EXPECT_EQ(tmp->source, backing);
  EXPECT_TRUE(tmp->run_directory);
  EXPECT_EQ(tmp->description, "bind /dev/shm/isotest-artifacts-abcdef/tmp on /tmp");
  for (const char* inside : {"/tmp/data", "/tmp/build", "/tmp/.isotest-outputs"}) {
    const MountOp* op = find_target(plan, inside);
    ASSERT_NE(op, nullptr) << inside;
    EXPECT_TRUE(op->create_target) << inside;
    EXPECT_GT(op - plan.ops.data(), tmp - plan.ops.data()) << inside << " before /tmp";
  }
  EXPECT_EQ(find_target(plan, "/tmp/build")->source, "/tmp/build");  // kept visible
}

// An extension's bind after the swap still lands parents first: before a deeper mount already
// in the plan, not after it (where it would hide it).
TEST(MountPlan, ABindAddedAfterTheTmpfsIsReplacedComesBeforeDeeperMounts) {
  SandboxSpec spec;
  spec.binds.push_back({"/data", "/tmp/a/b/c", false});
  auto plan = plan_mounts(spec, working_in("/work"));
  replace_tmpfs_with_directory(plan, "/tmp", "/dev/shm/isotest-artifacts-abcdef/tmp");
  add_bind(plan, BindMount{.source = "/out", .target = "/tmp/a"});
  const MountOp* parent = find_target(plan, "/tmp/a");
  const MountOp* deeper = find_target(plan, "/tmp/a/b/c");
  ASSERT_NE(parent, nullptr);
  ASSERT_NE(deeper, nullptr);
  EXPECT_LT(parent - plan.ops.data(), deeper - plan.ops.data());
  EXPECT_TRUE(parent->create_target);
}

TEST(MountPlan, WhatTheCommandNeedsBelowAFreshMountIsBoundAtTheSamePath) {
  SandboxSpec spec;
  const std::vector<NeededPath> needed = {
      {.path = "/", .why = "working directory", .writable = true},
      {.path = "/tmp/x/mytest", .why = "the executable /tmp/x/mytest", .with_directory = true},
      {.path = "/tmp/x/data/input", .why = "named in the arguments"},
      {.path = "/tmp/y/input", .why = "named in the arguments"}};
  auto plan = plan_mounts(spec, needed);
  std::vector<std::string> binds;
  for (const auto& op : plan.ops) {
    if (op.kind != Kind::bind) continue;
    binds.push_back(op.description);
    EXPECT_EQ(op.source, op.target);
    EXPECT_TRUE(op.create_target) << "inside the fresh /tmp: ours to create";
    EXPECT_FALSE(op.read_only);
  }
  EXPECT_EQ(binds, (std::vector<std::string>{
                       "keep /tmp/x (directory of the executable /tmp/x/mytest; /tmp is the "
                       "sandbox's own)",
                       "keep /tmp/y/input (named in the arguments; /tmp is the sandbox's own)"}));

  spec.read_only_root = true;
  plan = plan_mounts(spec, needed);
  const MountOp* kept = find_target(plan, "/tmp/x");
  ASSERT_NE(kept, nullptr);
  EXPECT_TRUE(kept->read_only) << "--read-only: read-only wherever the tree is";
  for (const auto& op : plan.ops) {
    EXPECT_FALSE(op.kind == Kind::bind && op.target == "/") << "/ itself is never bound";
  }
}

TEST(MountPlan, NothingIsCreatedInsideABindOfTheHostsTree) {
  SandboxSpec spec;
  spec.tmpfs.push_back({"/tmp/w/cache", std::nullopt});
  spec.binds.push_back({"/data", "/tmp/w/data", false});
  spec.binds.push_back({"/data", "/tmp/elsewhere", false});
  spec.binds.push_back({"/data", "/tmp/w/cache/data", false});
  const auto plan = plan_mounts(spec, working_in("/tmp/w"));
  // The working directory is the host's /tmp/w: what is missing there stays missing (ENOENT),
  // the fresh /tmp and the fresh tmpfs inside it are ours.
  EXPECT_TRUE(find_target(plan, "/tmp/w")->create_target);
  EXPECT_FALSE(find_target(plan, "/tmp/w/cache")->create_target);
  EXPECT_FALSE(find_target(plan, "/tmp/w/data")->create_target);
  EXPECT_TRUE(find_target(plan, "/tmp/elsewhere")->create_target);
  EXPECT_TRUE(find_target(plan, "/tmp/w/cache/data")->create_target);
}

TEST(MountPlan, AKeptDirectoryAroundAFreshMountComesBeforeIt) {
  SandboxSpec spec;
  spec.read_only_root = true;
  const auto plan = plan_mounts(spec, working_in("/dev"));
  std::vector<std::string> order;
  for (const auto& op : plan.ops) {
    if (op.target.starts_with("/dev")) order.push_back(op.target);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"/dev", "/dev/shm", "/dev/mqueue"}))
      << "the host's /dev bound after them would bring back the host's /dev/shm";
}

TEST(MountPlan, NothingExtraForAWorkingDirectoryOnTheHostTree) {
  SandboxSpec spec;
  const auto plan = plan_mounts(spec, working_in("/work"));
  EXPECT_EQ(find_target(plan, "/work"), nullptr);
  spec.read_only_root = true;
  EXPECT_EQ(plan_mounts(spec, working_in("/")).ops.back().target, "/sys/fs/cgroup");
}

}  // namespace
}  // namespace isotest
