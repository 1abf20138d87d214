#include "output_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "setup_error.h"
#include "unique_fd.h"

namespace isotest {
namespace {

namespace fs = std::filesystem;

TEST(DescriptorNamedBy, KnowsTheStandardStreamsAndFdDirectories) {
  EXPECT_EQ(descriptor_named_by("/dev/stdout"), 1);
  EXPECT_EQ(descriptor_named_by("/dev/stderr"), 2);
  EXPECT_EQ(descriptor_named_by("/dev/fd/7"), 7);
  EXPECT_EQ(descriptor_named_by("/proc/self/fd/12"), 12);
  EXPECT_EQ(descriptor_named_by("/proc/thread-self/fd/3"), 3);
  EXPECT_EQ(descriptor_named_by("//dev//stdout"), 1);
  EXPECT_EQ(descriptor_named_by("/dev/./fd/4"), 4);
}

TEST(DescriptorNamedBy, AnythingElseIsAPath) {
  for (const char* path : {"/dev/fd/", "/dev/fd/1x", "/dev/fd/-1", "/dev/fd/99999999999",
                           "dev/stdout", "/tmp/stdout", "/dev/stdout2", "/dev/null", "stdout"}) {
    EXPECT_EQ(descriptor_named_by(path), std::nullopt) << path;
  }
}

class OutputFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/isotest-output-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  [[nodiscard]] std::string path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string read(const std::string& file) {
    std::ifstream in(file);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  [[nodiscard]] std::set<std::string> entries() const {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      names.insert(entry.path().filename().string());
    }
    return names;
  }
  // The SetupError resolve_output throws for PATH; a failed expectation when it throws none.
  static SetupError refusal(const std::string& file) {
    try {
      resolve_output(file);
    } catch (const SetupFailure& failure) {
      return failure.error();
    }
    ADD_FAILURE() << file << " was accepted";
    return {};
  }
  [[nodiscard]] std::string socket_file(const std::string& name) {
    socket_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string file = path(name);
    std::strncpy(address.sun_path, file.c_str(), sizeof address.sun_path - 1);
    EXPECT_EQ(::bind(socket_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address), 0)
        << std::strerror(errno);
    return file;
  }

  fs::path dir_;
  UniqueFd socket_;
};

TEST_F(OutputFile, RegularFilesAndNewNamesAreReplacedAtomically) {
  std::ofstream(path("old.json")) << "old";
  for (const char* name : {"old.json", "new.json"}) {
    const auto destination = resolve_output(path(name));
    EXPECT_EQ(destination.method, OutputMethod::replace_file) << name;
    EXPECT_EQ(destination.file, path(name));
  }
}

TEST_F(OutputFile, ASymlinkLeadsToItsFinalTarget) {
  fs::create_directory(dir_ / "elsewhere");
  std::ofstream(path("elsewhere/result.json")) << "old";
  fs::create_symlink("elsewhere/result.json", dir_ / "hop");
  fs::create_symlink("hop", dir_ / "link.json");
  fs::create_symlink("elsewhere/not-yet.json", dir_ / "dangling.json");
  auto destination = resolve_output(path("link.json"));
  EXPECT_EQ(destination.method, OutputMethod::replace_file);
  EXPECT_EQ(fs::canonical(destination.file), fs::canonical(path("elsewhere/result.json")));
  destination = resolve_output(path("dangling.json"));
  EXPECT_EQ(destination.method, OutputMethod::replace_file);
  EXPECT_EQ(destination.file, path("elsewhere/not-yet.json"));
}

TEST_F(OutputFile, FifosAndCharacterDevicesAreWrittenThrough) {
  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
  fs::create_symlink("/dev/null", dir_ / "null-link");
  for (const std::string& file : {path("fifo"), std::string("/dev/null"), path("null-link")}) {
    const auto destination = resolve_output(file);
    EXPECT_EQ(destination.method, OutputMethod::write_through) << file;
  }
}

TEST_F(OutputFile, StandardStreamsAreWrittenThroughTheOpenDescriptor) {
  fs::create_symlink("/dev/stdout", dir_ / "to-stdout");
  for (const std::string& file :
       {std::string("/dev/stdout"), std::string("/proc/self/fd/1"), path("to-stdout")}) {
    const auto destination = resolve_output(file);
    EXPECT_EQ(destination.method, OutputMethod::inherited_fd) << file;
    EXPECT_EQ(destination.fd, 1) << file;
  }
}

TEST_F(OutputFile, ADescriptorNotOpenForWritingIsRefused) {
  const int closed = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(closed, 0);
  ::close(closed);
  auto error = refusal("/dev/fd/" + std::to_string(closed));
  EXPECT_NE(error.message.find("is not open"), std::string::npos) << error.message;
  EXPECT_NE(error.hint.find(std::to_string(closed) + ">FILE"), std::string::npos) << error.hint;

  const UniqueFd read_only(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  error = refusal("/proc/self/fd/" + std::to_string(read_only.get()));
  EXPECT_NE(error.message.find("reading only"), std::string::npos) << error.message;
}

TEST_F(OutputFile, DirectoriesSocketsAndBlockDevicesAreRefusedWithTheFix) {
  fs::create_directory(dir_ / "results");
  auto error = refusal(path("results"));
  EXPECT_EQ(error.error_number, EISDIR);
  EXPECT_NE(error.message.find("is a directory"), std::string::npos) << error.message;
  EXPECT_NE(error.hint.find(path("results") + "/result.json"), std::string::npos) << error.hint;
  EXPECT_EQ(error.stage, "write " + path("results"));

  error = refusal(socket_file("socket"));
  EXPECT_NE(error.message.find("is a socket"), std::string::npos) << error.message;
  EXPECT_FALSE(error.hint.empty());

  // A block device node of our own where the kernel lets us make one, else the host's.
  std::string block = path("block");
  if (::mknod(block.c_str(), S_IFBLK | 0600, ::makedev(7, 0)) != 0) {
    block.clear();
    for (const auto& entry : fs::directory_iterator("/dev")) {
      if (entry.is_block_file()) block = entry.path().string();
    }
  }
  ASSERT_FALSE(block.empty()) << "no block device to try: mknod failed and /dev has none";
  fs::create_symlink(block, dir_ / "disk-link");
  error = refusal(path("disk-link"));
  EXPECT_NE(error.message.find("its target " + block + " is a block device"), std::string::npos)
      << error.message;
}

TEST_F(OutputFile, AMissingDirectoryOrALinkLoopIsRefused) {
  auto error = refusal(path("no/such/result.json"));
  EXPECT_EQ(error.error_number, ENOENT);
  EXPECT_NE(error.hint.find("mkdir -p " + path("no/such")), std::string::npos) << error.hint;

  fs::create_symlink("loop-b", dir_ / "loop-a");
  fs::create_symlink("loop-a", dir_ / "loop-b");
  EXPECT_EQ(refusal(path("loop-a")).error_number, ELOOP);
  EXPECT_EQ(refusal("").stage, "write ");
}

TEST_F(OutputFile, ReplacingLeavesOnlyTheFinalFile) {
  write_output(path("r.json"), "{\"a\":1}\n");
  write_output(path("r.json"), "{\"a\":2}\n");
  EXPECT_EQ(read(path("r.json")), "{\"a\":2}\n");
  EXPECT_EQ(entries(), std::set<std::string>{"r.json"});
}

TEST_F(OutputFile, ASymlinkStaysASymlinkAndItsTargetGetsTheText) {
  fs::create_directory(dir_ / "real");
  std::ofstream(path("real/result.json")) << "old";
  fs::create_symlink("real/result.json", dir_ / "link.json");
  write_output(path("link.json"), "new\n");
  EXPECT_TRUE(fs::is_symlink(dir_ / "link.json"));
  EXPECT_EQ(read(path("real/result.json")), "new\n");
  EXPECT_EQ(entries(), (std::set<std::string>{"link.json", "real"})) << "a temporary file was left";
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "real"), {}), 1);
}

TEST_F(OutputFile, AFifoGetsTheTextAndStaysAFifo) {
  const std::string fifo = path("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // The reader comes after the writer has started waiting for one, as in `isotest ... & cat`.
  std::future<void> writer =
      std::async(std::launch::async, [&] { write_output(fifo, std::string(200000, 'x')); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const std::string received = read(fifo);
  writer.get();
  EXPECT_EQ(received, std::string(200000, 'x'));
  struct stat status {};
  ASSERT_EQ(::lstat(fifo.c_str(), &status), 0);
  EXPECT_TRUE(S_ISFIFO(status.st_mode));
}

TEST_F(OutputFile, AFullDeviceIsAnErrorNamingEnospcAndStaysADevice) {
  EXPECT_NO_THROW(write_output("/dev/null", "discarded"));
  try {
    write_output("/dev/full", "x");
    FAIL() << "writing to /dev/full succeeded";
  } catch (const SetupFailure& failure) {
    EXPECT_EQ(failure.error().error_number, ENOSPC);
    EXPECT_NE(failure.error().describe().find("ENOSPC"), std::string::npos);
  }
  struct stat status {};
  ASSERT_EQ(::lstat("/dev/full", &status), 0);
  EXPECT_TRUE(S_ISCHR(status.st_mode));
}

TEST_F(OutputFile, AWriteErrorLeavesTheOldFileWhole) {
  std::ofstream(path("r.json")) << "the old result";
  // RLIMIT_FSIZE makes the temporary file's write fail part-way (EFBIG), as a full disk would.
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  const auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  rlimit small = saved;
  small.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  SetupError error;
  try {
    write_output(path("r.json"), std::string(100000, 'n'));
  } catch (const SetupFailure& failure) {
    error = failure.error();
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  ::signal(SIGXFSZ, old_handler);
  EXPECT_EQ(error.error_number, EFBIG) << error.describe();
  EXPECT_EQ(read(path("r.json")), "the old result");
  EXPECT_EQ(entries(), std::set<std::string>{"r.json"}) << "a temporary file was left";
}

TEST_F(OutputFile, ADirectoryInTheWayIsAnErrorAndStaysAsItWas) {
  fs::create_directory(dir_ / "r.json");
  std::ofstream(path("r.json/inside")) << "kept";
  EXPECT_THROW(write_output(path("r.json"), "{}\n"), SetupFailure);
  EXPECT_TRUE(fs::is_directory(dir_ / "r.json"));
  EXPECT_EQ(read(path("r.json/inside")), "kept");
  EXPECT_EQ(entries(), std::set<std::string>{"r.json"}) << "no file left over";
}

}  // namespace
}  // namespace isotest
