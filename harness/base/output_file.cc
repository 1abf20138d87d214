#include "output_file.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>

#include "setup_error.h"
#include "unique_fd.h"

namespace isotest {

namespace {

// How many symbolic links one lookup follows before the kernel gives up with ELOOP
// (path_resolution(7)); isotest follows the final component's chain no further.
constexpr int kMaxSymlinks = 40;

// While a FIFO has no reader, opening it for writing without blocking fails with ENXIO
// (fifo(7)); isotest tries again this often, watching for a signal meanwhile.
constexpr int kReaderPollMs = 20;

constexpr const char* kAnyOtherPlace =
    "name a regular file, a FIFO, a character device or /dev/stdout";

std::string directory_of(const std::string& file) {
  const auto slash = file.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : file.substr(0, slash);
}

// "out.json" or, when PATH led elsewhere through symbolic links, "its target /x/out.json".
std::string what_is(const std::string& path, const std::string& file) {
  return file == path ? std::string("it") : "its target " + file;
}

// A relative link target is relative to the directory holding the link. The link's own path is
// not normalised: `dir/../x` must go through dir's own symbolic link, as the kernel would.
std::string link_target(const std::string& stage, const std::string& link) {
  std::string target(PATH_MAX, '\0');
  const ssize_t length = ::readlink(link.c_str(), target.data(), target.size());
  if (length < 0) throw_errno(stage, "cannot read the symbolic link " + link);
  target.resize(static_cast<std::size_t>(length));
  if (target.starts_with('/')) return target;
  const auto slash = link.rfind('/');
  return slash == std::string::npos ? target : link.substr(0, slash + 1) + target;
}

OutputDestination inherited(const std::string& stage, int fd) {
  const std::string number = std::to_string(fd);
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) {
    throw_errno(stage, "descriptor " + number + " is not open",
                "open it for writing in the shell (" + number + ">FILE) or name a file");
  }
  if ((flags & O_ACCMODE) == O_RDONLY) {
    throw_error(stage, EBADF, "descriptor " + number + " is open for reading only",
                "open it for writing in the shell (" + number + ">FILE) or name a file");
  }
  return {.method = OutputMethod::inherited_fd, .file = {}, .fd = fd};
}

// The temporary file, and so the swap, needs write and search permission on the directory.
void check_directory(const std::string& stage, const std::string& file) {
  const std::string directory = directory_of(file);
  struct stat status {};
  if (::stat(directory.c_str(), &status) != 0) {
    throw_errno(stage, "cannot use the directory " + directory,
                "create it first (mkdir -p " + directory + ") or name a file in another one");
  }
  if (!S_ISDIR(status.st_mode)) {
    throw_error(stage, ENOTDIR, directory + " is not a directory", "name a file in a directory");
  }
  if (::access(directory.c_str(), W_OK | X_OK) != 0) {
    throw_errno(stage, "cannot create a file in " + directory,
                "name a file in a directory you can write to");
  }
}

OutputDestination existing(const std::string& stage, const std::string& path,
                           const std::string& file, const struct stat& status) {
  const std::string subject = what_is(path, file);
  if (S_ISREG(status.st_mode)) {
    check_directory(stage, file);
    return {.method = OutputMethod::replace_file, .file = file, .fd = -1};
  }
  if (S_ISCHR(status.st_mode) || S_ISFIFO(status.st_mode)) {
    if (::access(file.c_str(), W_OK) != 0) {
      throw_errno(stage, "cannot write to " + subject, "name a file you can write to");
    }
    return {.method = OutputMethod::write_through, .file = file, .fd = -1};
  }
  // Never replaced: a result file is a report, and renaming over these would take a directory's
  // name, a listening socket or a disk from whoever uses it.
  if (S_ISDIR(status.st_mode)) {
    throw_error(stage, EISDIR, subject + " is a directory",
                "name a file inside it, such as " + file + "/" +
                    (path.ends_with(".xml") ? "results.xml" : "result.json"));
  }
  if (S_ISSOCK(status.st_mode)) throw_error(stage, 0, subject + " is a socket", kAnyOtherPlace);
  if (S_ISBLK(status.st_mode)) {
    throw_error(stage, 0, subject + " is a block device", kAnyOtherPlace);
  }
  throw_error(stage, 0, subject + " is not a regular file", kAnyOtherPlace);
}

// While isotest writes to a pipe, a FIFO or a device: SIGPIPE is blocked, so a reader that went
// away is an EPIPE with a message rather than a silent death; and the signals that stop isotest
// are watched through a signalfd, so that a wait for a FIFO's reader can be given up. Their
// disposition is untouched: a signal that ended the wait stays pending and is delivered (or stays
// blocked, as in `isotest run`) once the old mask is back.
class WriteSignals {
 public:
  WriteSignals() {
    ::sigemptyset(&stop_);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaddset(&stop_, sig);
    sigset_t blocked = stop_;
    ::sigaddset(&blocked, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &blocked, &previous_);
    stop_fd_.reset(::signalfd(-1, &stop_, SFD_CLOEXEC | SFD_NONBLOCK));
  }
  WriteSignals(const WriteSignals&) = delete;
  WriteSignals& operator=(const WriteSignals&) = delete;
  ~WriteSignals() {
    if (broken_pipe_ && ::sigismember(&previous_, SIGPIPE) == 0) {
      // The EPIPE is reported as an error; its SIGPIPE must not end isotest once unblocked.
      sigset_t pipe;
      ::sigemptyset(&pipe);
      ::sigaddset(&pipe, SIGPIPE);
      const timespec no_wait{};
      static_cast<void>(::sigtimedwait(&pipe, nullptr, &no_wait));
    }
    ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }

  void broken_pipe() { broken_pipe_ = true; }

  // Waits until FD is writable (FD -1: for TIMEOUT_MS) or a stop signal is pending. Returns the
  // signal, or 0.
  int wait(int fd, int timeout_ms) const {
    std::array<pollfd, 2> watched{pollfd{.fd = stop_fd_.get(), .events = POLLIN, .revents = 0},
                                  pollfd{.fd = fd, .events = POLLOUT, .revents = 0}};
    const nfds_t count = fd >= 0 ? 2 : 1;
    if (::poll(watched.data(), count, fd >= 0 ? -1 : timeout_ms) < 0 && errno != EINTR) return 0;
    if ((watched[0].revents & POLLIN) == 0) return 0;
    sigset_t pending;
    ::sigpending(&pending);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
      if (::sigismember(&pending, sig) == 1) return sig;
    }
    return 0;
  }

 private:
  sigset_t stop_{};
  sigset_t previous_{};
  UniqueFd stop_fd_;
  bool broken_pipe_ = false;
};

[[noreturn]] void throw_interrupted(const std::string& stage, int sig, const std::string& what) {
  const char* name = ::sigabbrev_np(sig);
  throw_error(stage, 0,
              std::string("interrupted by SIG") + (name != nullptr ? name : "?") + " while " + what,
              "start a reader of the FIFO first, or name a file");
}

// Writes all of TEXT to FD, which may be non-blocking (a FIFO isotest opened, or a descriptor a
// caller made so).
void write_all(const std::string& stage, int fd, std::string_view text, WriteSignals* signals) {
  while (!text.empty()) {
    const ssize_t written = ::write(fd, text.data(), text.size());
    if (written > 0) {
      text.remove_prefix(static_cast<std::size_t>(written));
      continue;
    }
    if (written < 0 && errno == EINTR) continue;
    if (written < 0 && errno == EAGAIN && signals != nullptr) {
      if (const int sig = signals->wait(fd, -1)) throw_interrupted(stage, sig, "writing");
      continue;
    }
    if (written < 0 && errno == EPIPE) {
      if (signals != nullptr) signals->broken_pipe();
      throw_error(stage, EPIPE, "the reader went away before the whole text was written",
                  "keep the reader open until isotest exits");
    }
    if (written == 0) errno = EIO;
    throw_errno(stage, "write failed", "name a file where there is room and you can write");
  }
}

// The temporary file beside the destination; removed unless it took the destination's name.
class TemporaryFile {
 public:
  explicit TemporaryFile(const std::string& stage, const std::string& file)
      : path_(file + ".tmp.XXXXXX") {
    fd_.reset(::mkostemp(path_.data(), O_CLOEXEC));
    if (!fd_.valid()) {
      path_.clear();
      throw_errno(stage, "cannot create a file beside it",
                  "name a file in a directory you can write to");
    }
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  ~TemporaryFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  [[nodiscard]] int fd() const { return fd_.get(); }
  [[nodiscard]] const std::string& path() const { return path_; }
  void installed() { path_.clear(); }

 private:
  std::string path_;
  UniqueFd fd_;
};

// Gives FILE the temporary file's contents, replacing a regular file and nothing else: each
// rename is made to fail rather than replace what took the name since it was looked at.
void install(const std::string& stage, TemporaryFile& temporary, const std::string& file) {
  const char* from = temporary.path().c_str();
  for (int attempt = 0; attempt < 3; ++attempt) {
    struct stat status {};
    if (::lstat(file.c_str(), &status) != 0) {
      if (errno != ENOENT) throw_errno(stage, "cannot look at " + file);
      if (::renameat2(AT_FDCWD, from, AT_FDCWD, file.c_str(), RENAME_NOREPLACE) == 0) {
        temporary.installed();
        return;
      }
      if (errno == EEXIST) continue;  // something took the name meanwhile: look again
      // NFS and some FUSE file systems know no RENAME_NOREPLACE.
      if (errno == EINVAL && ::rename(from, file.c_str()) == 0) {
        temporary.installed();
        return;
      }
      throw_errno(stage, "rename into place failed");
    }
    if (!S_ISREG(status.st_mode)) {
      throw_error(stage, EEXIST, file + " stopped being a regular file while isotest wrote it",
                  "name a file no other program replaces");
    }
    // Swapped with the old file, which then goes, rather than renamed over it: on ext4 a rename
    // that replaces a file flushes the new file's data first (auto_da_alloc), about a millisecond
    // per result, and a result file is rewritten on every run. Readers see the old file or the
    // new one either way.
    if (::renameat2(AT_FDCWD, from, AT_FDCWD, file.c_str(), RENAME_EXCHANGE) == 0) {
      struct stat old {};
      if (::lstat(from, &old) == 0 && !S_ISREG(old.st_mode)) {
        // What took the name between the look and the swap is not ours to remove: put it back.
        static_cast<void>(::renameat2(AT_FDCWD, from, AT_FDCWD, file.c_str(), RENAME_EXCHANGE));
        throw_error(stage, EEXIST, file + " stopped being a regular file while isotest wrote it",
                    "name a file no other program replaces");
      }
      return;  // the temporary name now holds the old file, which goes with it
    }
    if (errno == ENOENT) continue;  // the old file went meanwhile
    // A file system without RENAME_EXCHANGE: replace the regular file the plain way.
    if (::rename(from, file.c_str()) == 0) {
      temporary.installed();
      return;
    }
    throw_errno(stage, "rename into place failed");
  }
  throw_error(stage, EBUSY, "the name kept changing while isotest wrote it",
              "name a file no other program replaces");
}

void replace_file(const std::string& stage, const std::string& file, std::string_view text) {
  TemporaryFile temporary(stage, file);
  write_all(stage, temporary.fd(), text, nullptr);
  // mkostemp makes 0600; a result file is an ordinary report, readable like any other output.
  const mode_t umask_now = ::umask(022);
  ::umask(umask_now);
  ::fchmod(temporary.fd(), 0666 & ~umask_now);
  install(stage, temporary, file);
}

// A FIFO is opened as a shell's `>` would, waiting for a reader; a device at once. Neither is
// created (no O_CREAT) nor truncated (no O_TRUNC).
UniqueFd open_for_writing(const std::string& stage, const std::string& file,
                          const WriteSignals& signals) {
  for (;;) {
    UniqueFd fd(::open(file.c_str(), O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (fd.valid()) {
      struct stat status {};
      if (::fstat(fd.get(), &status) != 0 ||
          !(S_ISCHR(status.st_mode) || S_ISFIFO(status.st_mode))) {
        throw_error(stage, 0, file + " stopped being a FIFO or device while isotest opened it",
                    "name a file no other program replaces");
      }
      return fd;
    }
    if (errno == EINTR) continue;
    struct stat status {};
    const bool waiting_for_reader =
        errno == ENXIO && ::stat(file.c_str(), &status) == 0 && S_ISFIFO(status.st_mode);
    if (!waiting_for_reader) {
      throw_errno(stage, "cannot open it for writing", "name a file you can write to");
    }
    if (const int sig = signals.wait(-1, kReaderPollMs)) {
      throw_interrupted(stage, sig, "waiting for a reader of the FIFO " + file);
    }
  }
}

}  // namespace

std::optional<int> descriptor_named_by(std::string_view path) {
  std::string normal = path.starts_with('/')
                           ? std::filesystem::path(path).lexically_normal().string()
                           : std::string(path);
  while (normal.starts_with("//")) normal.erase(0, 1);
  if (normal == "/dev/stdout") return STDOUT_FILENO;
  if (normal == "/dev/stderr") return STDERR_FILENO;
  for (std::string_view prefix : {"/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/"}) {
    if (!std::string_view(normal).starts_with(prefix)) continue;
    const std::string digits = normal.substr(prefix.size());
    if (digits.empty() || digits.size() > 9 ||
        digits.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    return std::stoi(digits);
  }
  return std::nullopt;
}

OutputDestination resolve_output(const std::string& path) {
  const std::string stage = "write " + path;
  if (path.empty()) throw_error(stage, 0, "no file name", "name a file");
  std::string file = path;
  for (int links = 0;; ++links) {
    if (auto fd = descriptor_named_by(file)) return inherited(stage, *fd);
    struct stat status {};
    if (::lstat(file.c_str(), &status) != 0) {
      if (errno != ENOENT) {
        throw_errno(stage, "cannot look at " + file, "check the path and its permissions");
      }
      // A new name, or a dangling symbolic link whose target becomes the file.
      check_directory(stage, file);
      return {.method = OutputMethod::replace_file, .file = file, .fd = -1};
    }
    if (!S_ISLNK(status.st_mode)) return existing(stage, path, file, status);
    if (links == kMaxSymlinks) {
      throw_error(stage, ELOOP, "too many symbolic links", "name the file itself");
    }
    file = link_target(stage, file);
  }
}

void write_output(const std::string& path, std::string_view text) {
  const std::string stage = "write " + path;
  const OutputDestination destination = resolve_output(path);
  switch (destination.method) {
    case OutputMethod::replace_file:
      replace_file(stage, destination.file, text);
      return;
    case OutputMethod::inherited_fd: {
      WriteSignals signals;
      write_all(stage, destination.fd, text, &signals);
      return;
    }
    case OutputMethod::write_through: {
      WriteSignals signals;
      const UniqueFd fd = open_for_writing(stage, destination.file, signals);
      write_all(stage, fd.get(), text, &signals);
      return;
    }
  }
}

void write_kept_file(const std::string& directory, std::string_view name, std::string_view text) {
  const std::string file = directory + "/" + std::string(name);
  const std::string stage = "write " + file;
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) {
    throw_error(stage, error.value(), "cannot create " + directory,
                "name a folder the caller can create");
  }
  struct stat status {};
  if (::lstat(file.c_str(), &status) == 0 && !S_ISREG(status.st_mode)) {
    throw_error(stage, EEXIST, file + " is there and is not a regular file isotest wrote",
                "move it away, or name another folder");
  }
  replace_file(stage, file, text);
}

}  // namespace isotest
