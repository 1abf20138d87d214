#include "mounts.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

namespace isotest {

namespace {

// More binds than this in one sandbox (the caller's, and the host paths kept visible) is a usage
// problem, not something to allocate for.
constexpr int kMaxBinds = 256;

MountOp op(MountOp::Kind kind, std::string source, std::string target, std::string description) {
  MountOp result{.kind = kind, .source = std::move(source), .target = std::move(target)};
  result.description = std::move(description);
  return result;
}

bool set_read_only(const char* target, bool recursive) {
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY;
  return ::mount_setattr(AT_FDCWD, target, recursive ? AT_RECURSIVE : 0, &attr, sizeof attr) == 0;
}

// mkdir -p for a mount point inside our own tmpfs; the last component becomes a file when the
// source is a file (a bind mount needs the same kind on both ends).
bool create_mount_point(const char* target, bool directory) {
  char path[PATH_MAX];
  const std::size_t length = std::strlen(target);
  if (length >= sizeof path) {
    errno = ENAMETOOLONG;
    return false;
  }
  std::memcpy(path, target, length + 1);
  for (std::size_t i = 1; i < length; ++i) {
    if (path[i] != '/') continue;
    path[i] = '\0';
    if (::mkdir(path, 0755) != 0 && errno != EEXIST) return false;
    path[i] = '/';
  }
  if (directory) return ::mkdir(path, 0755) == 0 || errno == EEXIST;
  int fd = ::open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return errno == EEXIST;
  ::close(fd);
  return true;
}

bool attach(const MountOp& bind, int tree) {
  const char* target = bind.target.c_str();
  if (bind.create_target) {
    struct stat source {};
    if (::fstat(tree, &source) != 0 || !create_mount_point(target, S_ISDIR(source.st_mode))) {
      return false;
    }
  }
  if (::move_mount(tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) != 0) return false;
  return !bind.read_only || set_read_only(target, true);
}

bool apply(const MountOp& op) {
  using Kind = MountOp::Kind;
  const char* target = op.target.c_str();
  switch (op.kind) {
    case Kind::make_private:
      return ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
    case Kind::read_only_tree:
      return set_read_only(target, true);
    case Kind::cover: {
      const int tree =
          ::open_tree(AT_FDCWD, target, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
      if (tree < 0) return false;
      const bool moved = ::move_mount(tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) == 0;
      const int saved = errno;
      ::close(tree);
      errno = saved;
      return moved && (!op.read_only || set_read_only(target, false));
    }
    case Kind::proc:
      return ::mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0;
    case Kind::tmpfs:
      if (op.create_target && !create_mount_point(target, true)) return false;
      return ::mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, op.options.c_str()) == 0;
    case Kind::mqueue:
      return ::mount("mqueue", target, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0;
    case Kind::bind:
      return false;  // attached from its captured tree, see apply_mount_plan
  }
  return false;
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
    ops[i].create_target = underneath != nullptr && underneath->kind == Kind::tmpfs;
  }
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
  auto add_bind = [&](const std::string& source, const std::string& target, bool read_only,
                      std::string description) {
    auto bind = op(Kind::bind, source, target, std::move(description));
    bind.read_only = read_only;
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
    add_bind(bind.source, bind.target, bind.read_only,
             std::string(bind.read_only ? "read-only bind " : "bind ") + bind.source + " on " +
                 bind.target);
    surroundings.bind_targets.push_back(bind.target);
  }
  for (const auto& kept : paths_to_keep(needed, surroundings)) {
    add_bind(kept.path, kept.path, kept.access == KeptPath::Access::read_only, kept.description());
  }
  auto depth = [](const MountOp& mount) {
    return std::count(mount.target.begin(), mount.target.end(), '/');
  };
  std::stable_sort(ops.begin() + static_cast<std::ptrdiff_t>(nested_from), ops.end(),
                   [&](const MountOp& a, const MountOp& b) { return depth(a) < depth(b); });
  mark_targets_to_create(ops);
  return plan;
}

bool apply_mount_plan(const MountPlan& plan, ChildError& error) {
  int trees[kMaxBinds] = {};
  int captured = 0;
  auto release_trees = [&] {
    for (int i = 0; i < captured; ++i) ::close(trees[i]);
  };
  // Pass 1: private propagation, then a detached copy of every bind source, taken while the
  // tree still looks as the host sees it.
  for (const auto& mount_op : plan.ops) {
    if (mount_op.kind == MountOp::Kind::make_private) {
      if (!apply(mount_op)) {
        set_child_error(error, mount_op.description.c_str(), nullptr, errno);
        return false;
      }
      continue;
    }
    if (mount_op.kind != MountOp::Kind::bind) continue;
    if (captured == kMaxBinds) {
      set_child_error(error, mount_op.description.c_str(), "(too many binds)", E2BIG);
      release_trees();
      return false;
    }
    int tree = ::open_tree(AT_FDCWD, mount_op.source.c_str(),
                           OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    if (tree < 0) {
      set_child_error(error, mount_op.description.c_str(), nullptr, errno);
      release_trees();
      return false;
    }
    trees[captured++] = tree;
  }
  // Pass 2: everything else in order, binds attached where they stand in the plan.
  int next_tree = 0;
  for (const auto& mount_op : plan.ops) {
    if (mount_op.kind == MountOp::Kind::make_private) continue;
    bool ok = mount_op.kind == MountOp::Kind::bind ? attach(mount_op, trees[next_tree++])
                                                   : apply(mount_op);
    if (!ok) {
      set_child_error(error, mount_op.description.c_str(), nullptr, errno);
      release_trees();
      return false;
    }
  }
  release_trees();
  return true;
}

}  // namespace isotest
