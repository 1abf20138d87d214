#include "mounts.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>

namespace isotest {

namespace {

MountOp op(MountOp::Kind kind, std::string source, std::string target, std::string description) {
  MountOp result{.kind = kind, .source = std::move(source), .target = std::move(target)};
  result.description = std::move(description);
  return result;
}

bool exists(const char* path) {
  struct stat info {};
  return ::lstat(path, &info) == 0;
}

bool set_read_only(const char* target, bool recursive, bool read_only) {
  mount_attr attr{};
  if (read_only) {
    attr.attr_set = MOUNT_ATTR_RDONLY;
  } else {
    attr.attr_clr = MOUNT_ATTR_RDONLY;
  }
  unsigned flags = recursive ? AT_RECURSIVE : 0;
  return ::mount_setattr(AT_FDCWD, target, flags, &attr, sizeof attr) == 0;
}

bool apply(const MountOp& op) {
  using Kind = MountOp::Kind;
  const char* target = op.target.c_str();
  switch (op.kind) {
    case Kind::make_private:
      return ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
    case Kind::read_only_tree:
      return set_read_only("/", true, true);
    case Kind::proc:
      return ::mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0;
    case Kind::tmpfs:
      return ::mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, op.options.c_str()) == 0;
    case Kind::mqueue:
      return ::mount("mqueue", target, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0;
    case Kind::bind:
      if (::mount(op.source.c_str(), target, nullptr, MS_BIND | MS_REC, nullptr) != 0) return false;
      // Host mounts that were read-only stay so (the kernel locks them); a writable bind only
      // clears what --read-only set, so try recursively first, then just the top mount.
      if (op.read_only) return set_read_only(target, true, true);
      return set_read_only(target, true, false) || set_read_only(target, false, false) ||
             errno == EPERM;
    case Kind::writable_rebind:
      if (::mount(target, target, nullptr, MS_BIND | MS_REC, nullptr) != 0) return false;
      return set_read_only(target, true, false) || set_read_only(target, false, false);
  }
  return false;
}

}  // namespace

MountPlan plan_mounts(const SandboxSpec& spec, const std::string& working_directory) {
  MountPlan plan;
  if (spec.shares(Namespace::mount)) return plan;
  using Kind = MountOp::Kind;
  auto& ops = plan.ops;
  ops.push_back(op(Kind::make_private, "", "/", "make mounts private"));
  // Read-only first: every mount made after it (tmpfs, binds) is writable unless asked otherwise.
  if (spec.read_only_root) ops.push_back(op(Kind::read_only_tree, "", "/", "make / read-only"));
  // procfs can only be mounted for a PID namespace our user namespace owns.
  if (!spec.shares(Namespace::pid)) {
    ops.push_back(op(Kind::proc, "proc", "/proc", "mount proc on /proc"));
  }
  auto tmp = op(Kind::tmpfs, "tmpfs", "/tmp", "mount tmpfs on /tmp");
  tmp.options = "mode=1777";
  ops.push_back(tmp);
  if (!spec.shares(Namespace::ipc)) {
    auto shm = op(Kind::tmpfs, "tmpfs", "/dev/shm", "mount tmpfs on /dev/shm");
    shm.options = "mode=1777";
    shm.skip_if_missing = true;
    ops.push_back(shm);
    auto mqueue = op(Kind::mqueue, "mqueue", "/dev/mqueue", "mount mqueue on /dev/mqueue");
    mqueue.skip_if_missing = true;
    ops.push_back(mqueue);
  }
  for (const auto& bind : spec.binds) {
    auto bind_op = op(Kind::bind, bind.source, bind.target,
                      std::string(bind.read_only ? "read-only bind " : "bind ") + bind.source +
                          " on " + bind.target);
    bind_op.read_only = bind.read_only;
    ops.push_back(bind_op);
  }
  for (const auto& mount : spec.tmpfs) {
    auto tmpfs_op = op(Kind::tmpfs, "tmpfs", mount.target, "mount tmpfs on " + mount.target);
    tmpfs_op.options = "mode=1777";
    if (mount.size_bytes) tmpfs_op.options += ",size=" + std::to_string(*mount.size_bytes);
    ops.push_back(tmpfs_op);
  }
  if (spec.read_only_root && working_directory != "/") {
    ops.push_back(op(Kind::writable_rebind, "", working_directory,
                     "keep working directory " + working_directory + " writable"));
  }
  return plan;
}

bool apply_mount_plan(const MountPlan& plan, ChildError& error) {
  for (const auto& mount_op : plan.ops) {
    if (mount_op.skip_if_missing && !exists(mount_op.target.c_str())) continue;
    if (!apply(mount_op)) {
      set_child_error(error, mount_op.description.c_str(), nullptr, errno);
      return false;
    }
  }
  return true;
}

}  // namespace isotest
