// Scratch directories: removed by their owner, and by a later run only when their owner is gone
// (its lock can be taken), only its own user's, never through a symlink.
#include "scratch_directory.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <gtest/gtest.h>

namespace isotest {
namespace {

namespace fs = std::filesystem;

// A private parent directory for one test, removed at the end.
class Parent {
 public:
  Parent() {
    std::string pattern = testing::TempDir() + "scratch-test.XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp");
    path_ = pattern;
  }
  Parent(const Parent&) = delete;
  Parent& operator=(const Parent&) = delete;
  ~Parent() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A scratch directory whose owner died without removing it, as a SIGKILLed run leaves it: made
// by a child process that exits without running its destructor.
std::string left_by_a_dead_owner(const std::string& parent, std::string_view prefix) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe");
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    const auto* directory = new ScratchDirectory(parent, prefix);
    const std::string& path = directory->path();
    const auto written = ::write(fds[1], path.data(), path.size());
    ::_exit(written == static_cast<ssize_t>(path.size()) ? 0 : 1);
  }
  ::close(fds[1]);
  std::string path;
  char buffer[4096];
  for (ssize_t got; (got = ::read(fds[0], buffer, sizeof buffer)) > 0;) path.append(buffer, got);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("child failed");
  return path;
}

// Files, a subdirectory, and symlinks out of the directory to `outside` (a directory with a
// file in it), which must survive the directory's removal.
void fill(const std::string& directory, const std::string& outside) {
  fs::create_directories(directory + "/sub/deeper");
  std::ofstream(directory + "/result.json") << "{}";
  std::ofstream(directory + "/sub/deeper/file") << "x";
  fs::create_directory_symlink(outside, directory + "/link-to-outside");
  fs::create_directory_symlink(outside, directory + "/sub/link-to-outside");
}

TEST(ScratchDirectory, IsLockedAndGoesWithEverythingInItButNotWhatItLinksTo) {
  Parent parent;
  fs::create_directory(parent / "outside");
  std::ofstream(parent / "outside/keep") << "keep";
  std::string path;
  {
    const ScratchDirectory directory(parent.path(), kRunnerScratchPrefix);
    path = directory.path();
    EXPECT_TRUE(fs::path(path).filename().string().starts_with(kRunnerScratchPrefix)) << path;
    EXPECT_EQ(directory.parent(), parent.path());
    EXPECT_EQ(fs::status(path).permissions(), fs::perms::owner_all);
    EXPECT_TRUE(fs::is_regular_file(path + "/owner.lock"));
    fill(path, parent / "outside");
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::exists(parent / "outside/keep"));
}

TEST(ScratchDirectory, ADeadOwnersIsRemovedAndALiveOnesIsNot) {
  Parent parent;
  fs::create_directory(parent / "outside");
  std::ofstream(parent / "outside/keep") << "keep";
  const ScratchDirectory live(parent.path(), kRunnerScratchPrefix);
  const std::string dead_runner = left_by_a_dead_owner(parent.path(), kRunnerScratchPrefix);
  const std::string dead_run = left_by_a_dead_owner(parent.path(), kGtestRunScratchPrefix);
  fill(dead_runner, parent / "outside");
  ASSERT_TRUE(fs::is_directory(dead_runner));
  ASSERT_TRUE(fs::is_directory(dead_run));
  remove_stale_scratch_directories(parent.path());
  EXPECT_FALSE(fs::exists(dead_runner));
  EXPECT_FALSE(fs::exists(dead_run));
  EXPECT_TRUE(fs::exists(live.path() + "/owner.lock")) << "a live owner's directory was touched";
  EXPECT_TRUE(fs::exists(parent / "outside/keep")) << "a symlink inside was followed";
}

TEST(ScratchDirectory, LeavesAloneWhatIsNotAStaleDirectoryOfTheSameUser) {
  Parent parent;
  Parent elsewhere;
  // Another user's (the owner asked for is not the one who made it).
  const std::string others = left_by_a_dead_owner(parent.path(), kRunnerScratchPrefix);
  // A symlink with a scratch directory's name, to a stale directory somewhere else.
  const std::string target = left_by_a_dead_owner(elsewhere.path(), kRunnerScratchPrefix);
  fs::create_directory_symlink(target, parent / "isotest-gtest.symlnk");
  // A directory without a lock file (one being made, or an older isotest's).
  fs::create_directory(parent / "isotest-gtest-nolock");
  // A FIFO where the lock file should be: opening it must not hang.
  fs::create_directory(parent / "isotest-gtest.fifo00");
  ASSERT_EQ(::mkfifo((parent / "isotest-gtest.fifo00/owner.lock").c_str(), 0600), 0);
  // A file with the name, and a directory of another name with an unlocked lock file.
  std::ofstream(parent / "isotest-gtest.file00") << "x";
  fs::create_directory(parent / "unrelated");
  std::ofstream(parent / "unrelated/owner.lock") << "";

  remove_stale_scratch_directories(parent.path(), ::geteuid() + 1);
  EXPECT_TRUE(fs::exists(others)) << "another user's directory was removed";
  remove_stale_scratch_directories(parent.path());
  EXPECT_FALSE(fs::exists(others));
  EXPECT_TRUE(fs::is_symlink(parent / "isotest-gtest.symlnk"));
  EXPECT_TRUE(fs::exists(target + "/owner.lock")) << "the symlink was followed";
  EXPECT_TRUE(fs::exists(parent / "isotest-gtest-nolock"));
  EXPECT_TRUE(fs::exists(parent / "isotest-gtest.fifo00/owner.lock"));
  EXPECT_TRUE(fs::exists(parent / "isotest-gtest.file00"));
  EXPECT_TRUE(fs::exists(parent / "unrelated/owner.lock"));
}

}  // namespace
}  // namespace isotest
