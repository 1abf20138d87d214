#include "mount_plan.h"

#include <algorithm>

namespace isotest {

namespace {

SetupStage stage_of(MountOp::Kind kind) {
  switch (kind) {
    case MountOp::Kind::proc:
      return SetupStage::mount_proc;
    case MountOp::Kind::tmpfs:
      return SetupStage::mount_tmpfs;
    case MountOp::Kind::bind:
      return SetupStage::mount_bind;
    case MountOp::Kind::make_private:
    case MountOp::Kind::read_only_tree:
    case MountOp::Kind::mqueue:
    case MountOp::Kind::cover:
      return SetupStage::mount;
  }
  return SetupStage::mount;
}

MountOp op(MountOp::Kind kind, std::string source, std::string target, std::string description) {
  MountOp result{.kind = kind, .source = std::move(source), .target = std::move(target)};
  result.description = std::move(description);
  result.stage = stage_of(kind);
  return result;
}

// The parts of the fresh procfs that reach the whole machine, read-only (bubblewrap's list). The
// sandbox's own network namespace has its own /proc/sys/net: it stays writable, for tests run
// with --root that tune their loopback (other sysctls are global, or per IPC/UTS namespace and
// set through their own calls).
void add_proc_covers(const SandboxSpec& spec, std::vector<MountOp>& ops) {
  using Kind = MountOp::Kind;
  if (!spec.shares(Namespace::net)) {
    ops.push_back(op(Kind::cover, "", "/proc/sys/net", "keep /proc/sys/net writable"));
  }
  for (const char* path : {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus"}) {
    auto cover = op(Kind::cover, "", path, std::string("read-only ") + path);
    cover.read_only = true;
    cover.skip_if_missing = std::string_view(path) != "/proc/sys";
    ops.push_back(cover);
  }
}

// Whether each bind and tmpfs may create its target: only inside a tmpfs of ours. The mount a
// target lands in is the innermost one made before it whose target holds it (the plan is sorted
// parents first); inside a bind that is the host's tree, where isotest creates nothing.
void mark_targets_to_create(std::vector<MountOp>& ops) {
  using Kind = MountOp::Kind;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].kind != Kind::bind && ops[i].kind != Kind::tmpfs) continue;
    const MountOp* underneath = nullptr;
    for (std::size_t j = 0; j < i; ++j) {
      const MountOp& earlier = ops[j];
      if (earlier.kind == Kind::make_private || earlier.kind == Kind::read_only_tree ||
          earlier.target == ops[i].target || !path_is_within(ops[i].target, earlier.target)) {
        continue;
      }
      if (underneath == nullptr || earlier.target.size() >= underneath->target.size()) {
        underneath = &earlier;
      }
    }
    ops[i].create_target =
        underneath != nullptr && (underneath->kind == Kind::tmpfs || underneath->run_directory);
  }
}

std::string bind_description(const BindMount& bind) {
  return std::string(bind.read_only ? "read-only bind " : "bind ") + bind.source + " on " +
         bind.target;
}

std::ptrdiff_t depth(const MountOp& mount) {
  return std::count(mount.target.begin(), mount.target.end(), '/');
}

}  // namespace

MountPlan plan_mounts(const SandboxSpec& spec, const std::vector<NeededPath>& needed) {
  MountPlan plan;
  if (spec.shares(Namespace::mount)) return plan;
  using Kind = MountOp::Kind;
  auto& ops = plan.ops;
  MountSurroundings surroundings{.read_only_root = spec.read_only_root};
  auto add_tmpfs = [&](const std::string& target, std::string options, bool optional) {
    auto tmpfs = op(Kind::tmpfs, "tmpfs", target, "mount tmpfs on " + target);
    tmpfs.options = std::move(options);
    tmpfs.skip_if_missing = optional;
    ops.push_back(tmpfs);
    surroundings.fresh.push_back(target);
  };
  auto add_bind_op = [&](const std::string& source, const std::string& target, bool read_only,
                         std::string description, SetupStage stage) {
    auto bind = op(Kind::bind, source, target, std::move(description));
    bind.read_only = read_only;
    bind.stage = stage;
    ops.push_back(bind);
  };

  ops.push_back(op(Kind::make_private, "", "/", "make mounts private"));
  // Read-only first: every mount made after it (tmpfs, binds) is writable unless asked otherwise.
  if (spec.read_only_root) ops.push_back(op(Kind::read_only_tree, "", "/", "make / read-only"));
  // procfs can only be mounted for a PID namespace our user namespace owns.
  if (!spec.shares(Namespace::pid)) {
    ops.push_back(op(Kind::proc, "proc", "/proc", "mount proc on /proc"));
    add_proc_covers(spec, ops);
  }
  // sysfs is the host's: its files are owned by the host's root, which a caller's root inside
  // still is (uid 0 maps to 0), so without this a root caller's test could write host settings.
  auto sysfs = op(Kind::read_only_tree, "", "/sys", "make /sys read-only");
  sysfs.skip_if_missing = true;
  ops.push_back(sysfs);
  // From here on a mount may land inside another (a bind inside a kept directory, a kept
  // directory inside a --tmpfs, a kept /dev around the fresh /dev/shm): they are sorted below so
  // that parents come first.
  const std::size_t nested_from = ops.size();
  add_tmpfs("/tmp", "mode=1777", false);
  if (!spec.shares(Namespace::ipc)) {
    add_tmpfs("/dev/shm", "mode=1777", true);
    auto mqueue = op(Kind::mqueue, "mqueue", "/dev/mqueue", "mount mqueue on /dev/mqueue");
    mqueue.skip_if_missing = true;
    ops.push_back(mqueue);
  }
  for (const auto& mount : spec.tmpfs) {
    std::string options = "mode=1777";
    if (mount.size_bytes) options += ",size=" + std::to_string(*mount.size_bytes);
    add_tmpfs(mount.target, options, false);
  }
  // The test must not raise its own limits: its cgroup files stay read-only. (They are already,
  // below the read-only /sys; said again so that it holds whatever becomes of /sys.) The mounts
  // themselves are made read-only, not covered by a read-only copy: a copy would double the
  // dozen mounts of a v1 host, each set up and torn down again on every run.
  auto cgroupfs = op(Kind::read_only_tree, "", "/sys/fs/cgroup", "read-only /sys/fs/cgroup");
  cgroupfs.skip_if_missing = true;
  ops.push_back(cgroupfs);
  for (const auto& bind : spec.binds) {
    add_bind_op(bind.source, bind.target, bind.read_only, bind_description(bind),
                SetupStage::mount_bind);
    surroundings.bind_targets.push_back(bind.target);
  }
  for (const auto& kept : paths_to_keep(needed, surroundings)) {
    // A path the command needs, which exists on the host: not a bind the user can get wrong.
    add_bind_op(kept.path, kept.path, kept.access == KeptPath::Access::read_only,
                kept.description(), SetupStage::mount);
  }
  std::stable_sort(ops.begin() + static_cast<std::ptrdiff_t>(nested_from), ops.end(),
                   [&](const MountOp& a, const MountOp& b) { return depth(a) < depth(b); });
  mark_targets_to_create(ops);
  return plan;
}

void add_bind(MountPlan& plan, const BindMount& bind) {
  if (plan.ops.empty()) return;
  auto added = op(MountOp::Kind::bind, bind.source, bind.target, bind_description(bind));
  added.read_only = bind.read_only;
  // The nested part of the plan, sorted by depth, starts at the sandbox's /tmp (plan_mounts), a
  // tmpfs or the run's own directory in its place.
  const auto nested = std::find_if(plan.ops.begin(), plan.ops.end(), [](const MountOp& mount) {
    return (mount.kind == MountOp::Kind::tmpfs || mount.run_directory) && mount.target == "/tmp";
  });
  const auto after = std::find_if(
      nested, plan.ops.end(), [&](const MountOp& mount) { return depth(mount) > depth(added); });
  plan.ops.insert(after, added);
  mark_targets_to_create(plan.ops);
}

void replace_tmpfs_with_directory(MountPlan& plan, const std::string& target,
                                  const std::string& directory) {
  const auto tmpfs = std::find_if(plan.ops.begin(), plan.ops.end(), [&](const MountOp& mount) {
    return mount.kind == MountOp::Kind::tmpfs && mount.target == target;
  });
  if (tmpfs == plan.ops.end()) return;
  // Same place in the plan: the mounts below `target` still come after it.
  *tmpfs = op(MountOp::Kind::bind, directory, target, "bind " + directory + " on " + target);
  tmpfs->run_directory = true;
  mark_targets_to_create(plan.ops);
}

void drop_missing_targets(MountPlan& plan, const std::function<bool(const std::string&)>& exists) {
  std::erase_if(plan.ops, [&](const MountOp& mount) {
    return mount.skip_if_missing && !exists(mount.target);
  });
}

}  // namespace isotest
