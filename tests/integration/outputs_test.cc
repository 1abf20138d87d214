// Every file isotest writes lands safely wherever the user points it: a FIFO, a device, a
// symlink, /dev/stdout; a destination it must not write is refused before the test runs. And what
// `isotest report` writes is well-formed XML and terminal-safe text, whatever the names hold.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "host_view.h"
#include "result_file.h"
#include "spawned_process.h"

namespace isotest::integration {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The state letter of /proc/PID/stat ('Z' once it has exited, unreaped); 0 when it is gone.
char process_state(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() ? '\0' : stat[paren + 2];
}

// Whether PID has SIG blocked, from the SigBlk mask in /proc/PID/status.
bool blocks_signal(pid_t pid, int sig) {
  for (const auto& line : lines_of(read_file("/proc/" + std::to_string(pid) + "/status"))) {
    if (!line.starts_with("SigBlk:")) continue;
    const auto mask = std::stoull(line.substr(line.find_first_not_of(" \t", 7)), nullptr, 16);
    return ((mask >> static_cast<unsigned>(sig - 1)) & 1U) != 0;
  }
  return false;
}

mode_t file_type(const std::string& path) {
  struct stat status {};
  if (::lstat(path.c_str(), &status) != 0) return 0;
  return status.st_mode & S_IFMT;
}

// A command that leaves `ran` in DIR (bound into the sandbox) if it is run at all.
std::vector<std::string> leave_marker(const TempDir& dir) {
  return {"/bin/sh", "-c", "echo ran > \"$1\"", "sh", dir / "ran"};
}

// A Unix socket bound at a path, closed at the end of the test.
class BoundSocket {
 public:
  explicit BoundSocket(const std::string& path)
      : fd_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      ADD_FAILURE() << "bind " << path << ": " << std::strerror(errno);
    }
  }
  BoundSocket(const BoundSocket&) = delete;
  BoundSocket& operator=(const BoundSocket&) = delete;
  ~BoundSocket() { ::close(fd_); }

 private:
  int fd_;
};

// isotest's stdout, named as users do. As root the tests name it /dev/fd/1: a regression that
// renamed over the path would then fail on /proc rather than replace the host's /dev/stdout
// symlink. Nobody, who cannot write /dev, tests /dev/stdout itself.
std::string stdout_path() {
  return ::geteuid() == 0 ? "/dev/fd/1" : "/dev/stdout";
}

::testing::AssertionResult well_formed_xml(const std::string& path) {
  auto parse = run_to_end({"/usr/bin/python3", "-c",
                           "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])", path});
  if (parse.exit.exit_code == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << path << " is not well-formed XML:\n"
                                       << parse.err << "\n"
                                       << read_file(path);
}

TEST(OutputTest, AFifoGetsTheResultAndStaysAFifo) {
  TempDir dir;
  const auto fifo = dir / "result.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  SpawnedProcess reader({"/bin/cat", fifo}, SpawnOptions{.deadline = 30s});
  auto run = run_to_end(isotest_run_probe({"--json", fifo}, {"exit", "0"}));
  EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
  EXPECT_EQ(file_type(fifo), S_IFIFO) << "the FIFO was replaced";
  reader.close_stdin();
  const auto read = reader.wait();
  EXPECT_FALSE(read.hit_deadline) << "the reader got nothing";
  const auto result = nlohmann::json::parse(reader.stdout_text(), nullptr, false);
  ASSERT_TRUE(result.is_object()) << reader.stdout_text();
  EXPECT_EQ(result.value("status", ""), "passed");
}

TEST(OutputTest, AWaitForAFifoReaderEndsAtCtrlC) {
  TempDir dir;
  const auto fifo = dir / "nobody-reads.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  SpawnedProcess isotest(isotest_run_probe({"--json", fifo}, {"exit", "0"}));
  isotest.close_stdin();
  // Until isotest blocks SIGINT (to stop its sandbox gracefully) the signal would just kill it.
  // A first SIGINT may still reach the run itself (which then stops the sandbox and waits for a
  // reader all the same); the wait must end at the next one.
  ASSERT_TRUE(wait_until([&] { return blocks_signal(isotest.pid(), SIGINT); }))
      << "isotest never blocked SIGINT";
  for (int i = 0; i < 10 && process_state(isotest.pid()) != 'Z'; ++i) {
    isotest.send_signal(SIGINT);
    std::this_thread::sleep_for(300ms);
  }
  const auto exit = isotest.wait();
  EXPECT_EQ(exit.exit_code, 125) << describe(exit) << isotest.stderr_text();
  EXPECT_TRUE(contains(isotest.stderr_text(), "interrupted by SIGINT while waiting for a reader"))
      << isotest.stderr_text();
  EXPECT_EQ(file_type(fifo), S_IFIFO);
}

TEST(OutputTest, DevStdoutIntoAPipeHoldsTheJsonAlone) {
  // The command prints on stdout too; with the result on isotest's stdout its output goes to
  // stderr, so a pipe into jq gets one JSON document.
  auto run = run_to_end(isotest_run_probe({"--json", stdout_path()}, {"hostname"}));
  ASSERT_EQ(run.exit.exit_code, 0) << describe(run);
  const auto result = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_TRUE(result.is_object()) << "stdout is not one JSON document:\n" << run.out;
  EXPECT_EQ(result.value("status", ""), "passed");
  EXPECT_EQ(result["output"]["stdout"].value("text", ""), "isotest\n");
  EXPECT_TRUE(contains(run.err, "isotest\n")) << "the command's stdout was not shown:\n" << run.err;
}

TEST(OutputTest, DevStdoutRedirectedToAFileIsWrittenWhereTheShellLeftIt) {
  TempDir dir;
  // Opening /dev/stdout anew would start at offset 0 and overwrite what the shell wrote first.
  auto run = run_to_end({"/bin/sh", "-c", "{ echo first; \"$@\"; } > \"$0\"", dir / "out.txt",
                         tools().isotest, "run", "--json", stdout_path(), "--", "/bin/true"});
  ASSERT_EQ(run.exit.exit_code, 0) << describe(run);
  const std::string text = read_file(dir / "out.txt");
  ASSERT_TRUE(text.starts_with("first\n{")) << text;
  EXPECT_TRUE(nlohmann::json::parse(text.substr(6), nullptr, false).is_object()) << text;
}

TEST(OutputTest, AFullDeviceStaysADeviceAndTheErrorNamesEnospc) {
  TempDir dir;
  // As root, a twin of /dev/full of our own: if isotest ever replaced a device again, the host's
  // would be safe. Nobody cannot make one, nor replace the host's (it cannot write /dev).
  std::string full = "/dev/full";
  if (::geteuid() == 0) {
    full = dir / "full";
    ASSERT_EQ(::mknod(full.c_str(), S_IFCHR | 0666, ::makedev(1, 7)), 0) << std::strerror(errno);
  }
  auto run = run_to_end(isotest_run_probe({"--json", full}, {"exit", "0"}));
  EXPECT_EQ(run.exit.exit_code, 125) << describe(run);
  EXPECT_TRUE(contains(run.err, "ENOSPC")) << run.err;
  EXPECT_EQ(file_type(full), S_IFCHR) << full << " was replaced";
  if (full != "/dev/full") {
    EXPECT_EQ(fs::directory_iterator(dir.path())->path().filename(), "full") << "a file was left";
  }
}

TEST(OutputTest, ASymlinkStaysASymlinkAndItsTargetGetsTheResult) {
  TempDir links;
  TempDir results;
  write_file(results / "result.json", "the previous result");
  fs::create_symlink(results / "result.json", links / "latest.json");
  auto run = run_to_end(isotest_run_probe({"--json", links / "latest.json"}, {"exit", "3"}));
  EXPECT_EQ(run.exit.exit_code, 3) << describe(run);
  EXPECT_EQ(file_type(links / "latest.json"), S_IFLNK) << "the symlink was replaced";
  EXPECT_EQ(load_result(results / "result.json")["exit_code"], 3);
  EXPECT_EQ(std::distance(fs::directory_iterator(results.path()), {}), 1) << "a temporary was left";
  EXPECT_EQ(std::distance(fs::directory_iterator(links.path()), {}), 1) << "a temporary was left";
}

TEST(OutputTest, ADirectoryOrSocketIsRefusedBeforeTheCommandRuns) {
  TempDir dir;
  fs::create_directory(dir / "results");
  const BoundSocket socket(dir / "results.sock");
  for (const auto& [destination, problem] :
       {std::pair{dir / "results", std::string("is a directory")},
        std::pair{dir / "results.sock", std::string("is a socket")}}) {
    auto run =
        run_to_end(isotest_run({"--bind", dir.path(), "--json", destination}, leave_marker(dir)));
    EXPECT_EQ(run.exit.exit_code, 125) << describe(run);
    EXPECT_TRUE(contains(run.err, problem)) << run.err;
    EXPECT_TRUE(contains(run.err, "hint: ")) << run.err;
    EXPECT_FALSE(path_exists(dir / "ran")) << "the command ran although its result could not be "
                                              "written";
  }
  EXPECT_EQ(file_type(dir / "results"), S_IFDIR);
  EXPECT_EQ(file_type(dir / "results.sock"), S_IFSOCK);
  EXPECT_TRUE(fs::is_empty(dir / "results"));
}

// A result whose name and output hold what XML 1.0 forbids and terminals act on.
std::string hostile_result(const TempDir& dir) {
  const std::string name = "evil\xef\xbf\xbf\x1b[31m.case\x01";
  auto run = run_to_end(
      isotest_run({"--json", dir / "hostile.json", "--name", name},
                  {"/usr/bin/printf", R"(\xef\xbf\xbe out \x01 \x1b[2J \xed\xa0\x80 \xff\n)"}));
  EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
  return dir / "hostile.json";
}

TEST(ReportTest, JunitIsWellFormedAndTheSummaryTerminalSafeWhateverTheNames) {
  TempDir dir;
  const auto result = hostile_result(dir);
  auto report = run_to_end({tools().isotest, "report", result, "--junit", dir / "junit.xml"});
  EXPECT_EQ(report.exit.exit_code, 0) << describe(report);
  EXPECT_TRUE(well_formed_xml(dir / "junit.xml"));
  EXPECT_FALSE(contains(report.out, "\x1b")) << "an escape sequence reached the terminal";
  EXPECT_FALSE(contains(report.out, "\x01")) << report.out;
  EXPECT_TRUE(contains(report.out, "evil\xef\xbf\xbf\\x1b[31m.case\\x01")) << report.out;
}

TEST(ReportTest, JunitGoesThroughStdoutAndFifosAndIsRefusedForADirectory) {
  TempDir dir;
  auto run = run_to_end(isotest_run_probe({"--json", dir / "r.json"}, {"exit", "0"}));
  ASSERT_EQ(run.exit.exit_code, 0) << describe(run);

  auto to_stdout =
      run_to_end({tools().isotest, "report", dir / "r.json", "--junit", stdout_path()});
  EXPECT_EQ(to_stdout.exit.exit_code, 0) << describe(to_stdout);
  write_file(dir / "stdout.xml", to_stdout.out);
  EXPECT_TRUE(well_formed_xml(dir / "stdout.xml")) << "the summary went to stdout too";
  EXPECT_TRUE(contains(to_stdout.err, "1 passed, 0 failed, 0 skipped")) << to_stdout.err;

  const auto fifo = dir / "junit.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  SpawnedProcess reader({"/bin/cat", fifo}, SpawnOptions{.deadline = 30s});
  auto to_fifo = run_to_end({tools().isotest, "report", dir / "r.json", "--junit", fifo});
  EXPECT_EQ(to_fifo.exit.exit_code, 0) << describe(to_fifo);
  reader.close_stdin();
  EXPECT_FALSE(reader.wait().hit_deadline);
  EXPECT_TRUE(contains(reader.stdout_text(), "<testsuites name=\"isotest\" tests=\"1\""))
      << reader.stdout_text();
  EXPECT_EQ(file_type(fifo), S_IFIFO);

  auto to_directory =
      run_to_end({tools().isotest, "report", dir / "r.json", "--junit", dir.path()});
  EXPECT_EQ(to_directory.exit.exit_code, 125) << describe(to_directory);
  EXPECT_TRUE(contains(to_directory.err, "is a directory")) << to_directory.err;
  EXPECT_EQ(file_type(dir.path()), S_IFDIR);
}

TEST(ReportTest, AFolderScanPassesOverForeignJsonAndSaysSo) {
  TempDir dir;
  auto run = run_to_end(isotest_run_probe({"--json", dir / "r.json"}, {"exit", "0"}));
  ASSERT_EQ(run.exit.exit_code, 0) << describe(run);
  write_file(dir / "compile_commands.json", "[{\"file\": \"a.cc\"}]");
  write_file(dir / "package.json", "{\"name\": \"web\"}");

  auto scan = run_to_end({tools().isotest, "report", dir.path()});
  EXPECT_EQ(scan.exit.exit_code, 0) << describe(scan);
  EXPECT_TRUE(contains(scan.out, "1 passed, 0 failed, 0 skipped")) << scan.out;
  EXPECT_TRUE(contains(scan.err, "passed over " + (dir / "compile_commands.json") + ": not a"))
      << scan.err;
  EXPECT_TRUE(contains(scan.err, "passed over " + (dir / "package.json") + ": not an isotest"))
      << scan.err;
  EXPECT_EQ(lines_of(scan.err).size(), 2U) << scan.err;

  auto named = run_to_end({tools().isotest, "report", dir / "r.json", dir / "package.json"});
  EXPECT_EQ(named.exit.exit_code, 125) << describe(named);
  EXPECT_TRUE(contains(named.err, dir / "package.json")) << named.err;
}

}  // namespace
}  // namespace isotest::integration
