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

}  // namespace

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
        set_child_error(error, mount_op.stage, mount_op.description.c_str(), errno);
        return false;
      }
      continue;
    }
    if (mount_op.kind != MountOp::Kind::bind) continue;
    if (captured == kMaxBinds) {
      set_child_error(error, mount_op.stage, mount_op.description.c_str(), E2BIG);
      add_child_error_detail(error, "(too many binds)");
      release_trees();
      return false;
    }
    int tree = ::open_tree(AT_FDCWD, mount_op.source.c_str(),
                           OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    if (tree < 0) {
      set_child_error(error, mount_op.stage, mount_op.description.c_str(), errno);
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
      set_child_error(error, mount_op.stage, mount_op.description.c_str(), errno);
      release_trees();
      return false;
    }
  }
  release_trees();
  return true;
}

}  // namespace isotest
