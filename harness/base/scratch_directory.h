// Private directories for isotest's short-lived files (the runner's result files, a GoogleTest
// run's output files), and the removal of those whose owner was killed before it could remove
// them (SIGKILL, a crash).
//
// Each directory holds a lock file on which its owner keeps an flock(2) for its whole life. The
// kernel drops the lock when the last descriptor of it closes, that is when the owner dies,
// however it dies; so a later run that can take the lock knows the owner is gone. The lock file
// gets its name only once it is locked, so a directory is never seen with an untaken lock while
// its owner lives.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <string>
#include <string_view>
#include <vector>

#include "unique_fd.h"

namespace isotest {

// The names isotest gives its scratch directories (PARENT/PREFIX + 6 random characters).
inline constexpr std::string_view kRunnerScratchPrefix = "isotest-gtest.";    // `isotest gtest`
inline constexpr std::string_view kGtestRunScratchPrefix = "isotest-gtest-";  // `isotest run`
inline constexpr std::string_view kArtifactsScratchPrefix = "isotest-artifacts-";  // --artifacts

class ScratchDirectory {
 public:
  // Creates PARENT/PREFIXXXXXXX (mode 0700) and locks it; a SetupFailure names the stage.
  ScratchDirectory(const std::string& parent, std::string_view prefix);
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  ~ScratchDirectory();  // removes the directory and everything in it, then drops the lock

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const std::string& parent() const { return parent_; }

 private:
  std::string parent_;
  std::string path_;
  UniqueFd lock_;
};

// The names in the directory `fd` but . and .., in the order the file system gives them; none
// when it cannot be read.
std::vector<std::string> entry_names(int fd);

// Removes NAME in the directory `parent_fd`: a file, a symlink (never followed) or a directory
// with everything in it. Best effort: what cannot be removed stays.
void remove_tree(int parent_fd, const char* name);

// Removes every directory PARENT/PREFIX* (for the prefixes above) that belongs to `owner` and
// whose lock can be taken: its owner is gone. Leaves alone a symlink, anything not a directory,
// another user's directory, and a directory without a lock file (being created, or made by an
// isotest that did not lock). Never follows a symlink, inside either. Best effort: never fails.
void remove_stale_scratch_directories(const std::string& parent, uid_t owner = ::geteuid());

}  // namespace isotest
