#include "scratch_directory.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "setup_error.h"
#include "unique_dir.h"

namespace isotest {

namespace {

constexpr const char* kLockName = "owner.lock";
constexpr const char* kUnnamedLock = "owner.lock.new";

// The names in the directory `fd` (but . and ..) for which `keep(entry)` holds.
template <typename Keep>
std::vector<std::string> names_in(int fd, Keep keep) {
  std::vector<std::string> names;
  UniqueFd listing_fd(::dup(fd));
  if (!listing_fd.valid()) return names;
  // fdopendir takes the descriptor over when it succeeds, and only then.
  const UniqueDir listing(::fdopendir(listing_fd.get()));
  if (!listing) return names;
  static_cast<void>(listing_fd.release());
  while (const dirent* entry = ::readdir(listing.get())) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != ".." && keep(*entry)) names.emplace_back(name);
  }
  return names;
}

// Every entry below the directory `fd`, then nothing else: the caller removes the directory
// itself. Entries are unlinked by name relative to their directory's descriptor and
// subdirectories opened with O_NOFOLLOW, so a symlink is removed, never followed, even if one
// replaces a directory while we work.
void remove_contents(int fd) {
  for (const auto& name : entry_names(fd)) {
    remove_tree(fd, name.c_str());
  }
}

bool has_scratch_prefix(std::string_view name) {
  for (const auto prefix :
       {kRunnerScratchPrefix, kGtestRunScratchPrefix, kArtifactsScratchPrefix}) {
    if (name.size() > prefix.size() && name.starts_with(prefix)) return true;
  }
  return false;
}

// PARENT/NAME, if it is a stale scratch directory of `owner`: removed while we hold its lock.
void remove_if_stale(int parent_fd, const char* name, uid_t owner) {
  const UniqueFd directory(
      ::openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  struct stat info {};
  if (!directory.valid() || ::fstat(directory.get(), &info) != 0 || info.st_uid != owner) return;
  // O_NONBLOCK: a FIFO planted under the lock's name must not hang us.
  const UniqueFd lock(
      ::openat(directory.get(), kLockName, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!lock.valid() || ::fstat(lock.get(), &info) != 0 || !S_ISREG(info.st_mode)) return;
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) return;  // its owner is alive
  remove_contents(directory.get());
  ::unlinkat(parent_fd, name, AT_REMOVEDIR);
}

}  // namespace

std::vector<std::string> entry_names(int fd) {
  return names_in(fd, [](const dirent&) { return true; });
}

void remove_tree(int parent_fd, const char* name) {
  if (::unlinkat(parent_fd, name, 0) == 0 || (errno != EISDIR && errno != EPERM)) return;
  const UniqueFd child(::openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!child.valid()) return;
  remove_contents(child.get());
  ::unlinkat(parent_fd, name, AT_REMOVEDIR);
}

ScratchDirectory::ScratchDirectory(const std::string& parent, std::string_view prefix)
    : parent_(parent) {
  std::string pattern = parent + "/" + std::string(prefix) + "XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw_errno("create a scratch directory " + pattern, "mkdtemp failed",
                "set TMPDIR to a writable directory");
  }
  path_ = pattern;
  const UniqueFd directory(::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  // Locked before it is named: a run that looks in between sees no lock file and passes by.
  lock_.reset(directory.valid() ? ::openat(directory.get(), kUnnamedLock,
                                           O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)
                                : -1);
  if (!lock_.valid() || ::flock(lock_.get(), LOCK_EX | LOCK_NB) != 0 ||
      ::renameat(directory.get(), kUnnamedLock, directory.get(), kLockName) != 0) {
    const int error = errno;
    if (directory.valid()) remove_contents(directory.get());
    ::rmdir(path_.c_str());
    throw_error("lock the scratch directory " + path_, error, "cannot create its lock file",
                "set TMPDIR to a writable directory on a local file system");
  }
}

ScratchDirectory::~ScratchDirectory() {
  const UniqueFd directory(::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (directory.valid()) remove_contents(directory.get());
  ::rmdir(path_.c_str());
}

void remove_stale_scratch_directories(const std::string& parent, uid_t owner) {
  const UniqueFd parent_fd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent_fd.valid()) return;
  // A directory (or a file system that does not say); remove_if_stale checks again.
  const auto candidates = names_in(parent_fd.get(), [](const dirent& entry) {
    return has_scratch_prefix(entry.d_name) &&
           (entry.d_type == DT_DIR || entry.d_type == DT_UNKNOWN);
  });
  for (const auto& name : candidates) remove_if_stale(parent_fd.get(), name.c_str(), owner);
}

}  // namespace isotest
