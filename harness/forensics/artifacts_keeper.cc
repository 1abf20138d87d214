#include "artifacts_keeper.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <string_view>

#include "host_paths.h"
#include "mount_plan.h"
#include "once_per_process.h"
#include "setup_error.h"
#include "temporary_parent.h"
#include "unique_fd.h"

namespace isotest {

namespace {

constexpr const char* kTmpPart = "tmp";
constexpr const char* kOutputsPart = "outputs";
constexpr const char* kForensicsPart = "forensics";
// Past this many files copying stops too, as at the size cap: a test that left a million empty
// files must not hold the run for minutes.
constexpr std::size_t kMaxKeptFiles = 10000;

// The names in the directory `fd`, sorted, so that the cap cuts the same files on every run.
std::vector<std::string> sorted_names(int fd) {
  std::vector<std::string> names = entry_names(fd);
  std::sort(names.begin(), names.end());
  return names;
}

// A directory of the kept folder, made only when a file goes into it: the mount points of the
// sandbox's /tmp and the folders that only held them are not the test's.
class KeptDirectory {
 public:
  KeptDirectory(KeptDirectory* parent, int parent_fd, std::string name)
      : parent_(parent), parent_fd_(parent_fd), name_(std::move(name)) {}

  // Its descriptor, -1 when it cannot be made. mkdirat fails on anything already there, so
  // nothing of anyone else's is written through.
  int open() {
    if (fd_.valid() || failed_) return fd_.get();
    const int parent_fd = parent_ != nullptr ? parent_->open() : parent_fd_;
    if (parent_fd < 0 || ::mkdirat(parent_fd, name_.c_str(), 0755) != 0) {
      failed_ = true;
      return -1;
    }
    fd_.reset(::openat(parent_fd, name_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    failed_ = !fd_.valid();
    return fd_.get();
  }

 private:
  KeptDirectory* parent_;
  int parent_fd_;
  std::string name_;
  UniqueFd fd_;
  bool failed_ = false;
};

struct CopyTally {
  std::uint64_t limit_bytes = 0;
  std::uint64_t bytes = 0;
  std::vector<std::string> paths;
  bool truncated = false;
};

bool write_bytes(int to, std::string_view bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t written = ::write(to, bytes.data() + done, bytes.size() - done);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    done += static_cast<std::size_t>(written);
  }
  return true;
}

bool copy_bytes(int from, int to, std::uint64_t size) {
  char buffer[64 * 1024];
  while (size > 0) {
    const ssize_t got = ::read(from, buffer, std::min<std::uint64_t>(size, sizeof buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return got == 0;
    if (!write_bytes(to, std::string_view(buffer, static_cast<std::size_t>(got)))) return false;
    size -= static_cast<std::uint64_t>(got);
  }
  return true;
}

// Copies the open regular file `source` into `into` as NAME; false when the cap stops the
// copying. The copy is a new file of ours, never one already there or a link's target.
bool copy_open_file(const UniqueFd& source, const std::string& name, const std::string& relative,
                    KeptDirectory& into, CopyTally& tally) {
  struct stat info {};
  if (!source.valid() || ::fstat(source.get(), &info) != 0 || !S_ISREG(info.st_mode)) return true;
  const auto size = static_cast<std::uint64_t>(info.st_size);
  if (tally.bytes + size > tally.limit_bytes || tally.paths.size() == kMaxKeptFiles) {
    tally.truncated = true;
    return false;
  }
  const int directory = into.open();
  if (directory < 0) return true;
  const UniqueFd copy(::openat(directory, name.c_str(),
                               O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                               (info.st_mode & 0777) | 0600));
  if (!copy.valid()) return true;
  if (::lseek(source.get(), 0, SEEK_SET) != 0 || !copy_bytes(source.get(), copy.get(), size)) {
    ::unlinkat(directory, name.c_str(), 0);  // a short copy would pass for the whole file
    return true;
  }
  tally.bytes += size;
  tally.paths.push_back(relative);
  return true;
}

// Copies the regular file NAME of `from_fd` into `into`; false when the cap stops the copying.
// The file is opened without following a symlink and checked again once open: a FIFO or device
// put in place of the file is never read, nor anything outside the tree.
bool copy_file(int from_fd, const std::string& name, const std::string& relative,
               KeptDirectory& into, CopyTally& tally) {
  const UniqueFd source(
      ::openat(from_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  return copy_open_file(source, name, relative, into, tally);
}

// Copies the regular files and directories below `from_fd` into `into`, leaving out
// `mount_points` (relative paths) and everything that is neither (symlinks, FIFOs, sockets,
// devices). False once the cap stopped the copying.
bool copy_tree(int from_fd, const std::string& relative, KeptDirectory& into,
               const std::vector<std::string>& mount_points, CopyTally& tally) {
  for (const auto& name : sorted_names(from_fd)) {
    std::string path = relative;
    path += '/';
    path += name;
    if (std::find(mount_points.begin(), mount_points.end(), path) != mount_points.end()) continue;
    struct stat info {};
    if (::fstatat(from_fd, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISREG(info.st_mode)) {
      if (!copy_file(from_fd, name, path, into, tally)) return false;
      continue;
    }
    if (!S_ISDIR(info.st_mode)) continue;
    const UniqueFd child(
        ::openat(from_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!child.valid()) continue;
    KeptDirectory kept_child(&into, -1, name);
    if (!copy_tree(child.get(), path, kept_child, mount_points, tally)) return false;
  }
  return true;
}

bool should_keep(KeepPolicy policy, const RunResult& result) {
  switch (policy) {
    case KeepPolicy::always:
      return true;
    case KeepPolicy::never:
      return false;
    case KeepPolicy::on_failure:
      return !is_good(result.status);
  }
  return false;
}

// An earlier run's tmp/ and outputs/ under DIR go, so that DIR shows this run alone; only when
// its marker says isotest wrote them (check_artifacts_request refused the rest).
void remove_earlier_run(const std::string& directory) {
  const UniqueFd folder(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!folder.valid()) return;
  const std::string marker(kArtifactsMarker);
  struct stat info {};
  if (::fstatat(folder.get(), marker.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0 ||
      !S_ISREG(info.st_mode)) {
    return;
  }
  for (const char* part : {kTmpPart, kOutputsPart, kForensicsPart}) {
    remove_tree(folder.get(), part);
  }
  ::unlinkat(folder.get(), marker.c_str(), 0);
}

// `--capture on-failure` wrote the run's capture into DIR itself (the network lab did, before
// this extension's finish): it is one of the files kept, outside the size cap (--capture-limit
// bounds it).
void list_capture_kept_here(const RunResult& result, ArtifactsResult& kept) {
  if (!result.capture || !result.capture->kept) return;
  const std::filesystem::path capture(result.capture->path);
  if (capture.parent_path() != std::filesystem::path(kept.directory)) return;
  kept.paths.push_back(capture.filename().string());
  kept.files += 1;
  kept.bytes += result.capture->bytes;
}

}  // namespace

void ArtifactsKeeper::adjust(LaunchPlan& plan) {
  if (!request_.active()) return;
  scratch_.emplace(temporary_parent(environment_), kArtifactsScratchPrefix);
  // Below the scratch directory, so that its lock file stays out of the test's reach. tmp/ is
  // world-writable and sticky like the tmpfs it replaces; the scratch directory (0700) keeps
  // other users of the host out.
  const std::string tmp = scratch_->path() + "/" + kTmpPart;
  const std::string outputs = scratch_->path() + "/" + kOutputsPart;
  if (::mkdir(tmp.c_str(), 0700) != 0 || ::chmod(tmp.c_str(), 01777) != 0 ||
      ::mkdir(outputs.c_str(), 0700) != 0 || ::chmod(outputs.c_str(), 0777) != 0) {
    throw_errno("artifacts: create the run's directories", "mkdir below " + scratch_->path(),
                "set TMPDIR to a writable directory");
  }
  if (!plan.own_mount_namespace) {
    // No mount namespace: the test sees the host's /tmp, which is not the run's to keep.
    plan.exec.set_variable(kOutputsVariable, outputs);
    return;
  }
  replace_tmpfs_with_directory(plan.mounts, "/tmp", tmp);
  add_bind(plan.mounts, BindMount{.source = outputs, .target = kOutputsInsideDir});
  plan.exec.set_variable(kOutputsVariable, kOutputsInsideDir);
  for (const auto& op : plan.mounts.ops) {
    if (op.create_target && op.target != "/tmp" && path_is_within(op.target, "/tmp")) {
      mount_points_.push_back(kTmpPart + op.target.substr(4));
    }
  }
}

void ArtifactsKeeper::finish(RunResult& result) {
  if (!scratch_) return;
  ArtifactsResult kept{.directory = request_.directory,
                       .keep = std::string(keep_policy_name(request_.keep)),
                       .limit_bytes = request_.limit_bytes};
  remove_earlier_run(request_.directory);
  if (should_keep(request_.keep, result)) {
    std::error_code error;
    std::filesystem::create_directories(request_.directory, error);
    const UniqueFd folder(::open(request_.directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    const std::string marker(kArtifactsMarker);
    const UniqueFd marker_file(
        folder.valid() ? ::openat(folder.get(), marker.c_str(),
                                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)
                       : -1);
    if (!marker_file.valid()) {
      kept.error = "cannot write in " + request_.directory + ": " + errno_name(errno);
    } else {
      CopyTally tally{.limit_bytes = request_.limit_bytes};
      const UniqueFd scratch(
          ::open(scratch_->path().c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      bool room = true;
      for (const char* part : {kTmpPart, kOutputsPart}) {
        const UniqueFd from(
            ::openat(scratch.get(), part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        KeptDirectory into(nullptr, folder.get(), part);
        room = !from.valid() || copy_tree(from.get(), part, into, mount_points_, tally);
        if (!room) break;
      }
      // The other extensions' files last: a large core must not crowd out what the test left.
      KeptDirectory forensics(nullptr, folder.get(), kForensicsPart);
      for (std::size_t i = 0; room && i < added_.size(); ++i) {
        const std::string relative = std::string(kForensicsPart) + "/" + added_[i].name;
        room = copy_open_file(added_[i].file, added_[i].name, relative, forensics, tally);
      }
      kept.kept = true;
      kept.files = tally.paths.size();
      kept.bytes = tally.bytes;
      kept.truncated = tally.truncated;
      kept.paths = std::move(tally.paths);
      list_capture_kept_here(result, kept);
    }
  }
  result.artifacts = std::move(kept);
  const std::string parent = scratch_->parent();
  scratch_.reset();  // the run's directory goes now, kept or not
  // And those of runs whose isotest was killed (SIGKILL) before it could remove its own.
  if (first_time_in_process("remove stale scratch directories in " + parent)) {
    remove_stale_scratch_directories(parent);
  }
}

void ArtifactsKeeper::add_file(std::string name, UniqueFd file) {
  if (!request_.active()) return;
  added_.push_back(AddedFile{.name = std::move(name), .file = std::move(file)});
}

void ArtifactsKeeper::add_text(std::string name, const std::string& text) {
  if (!request_.active()) return;
  // An anonymous file, so that a text is kept as a file is: by the policy, within the cap.
  UniqueFd file(::memfd_create(name.c_str(), MFD_CLOEXEC));
  if (!file.valid() || !write_bytes(file.get(), text)) return;
  add_file(std::move(name), std::move(file));
}

}  // namespace isotest
