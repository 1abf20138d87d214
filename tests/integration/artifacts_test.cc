// Artifacts (issue 14): the files a test left in its private /tmp and in
// $TEST_UNDECLARED_OUTPUTS_DIR are kept under --artifacts DIR when the policy says so, up to a
// size cap, without following a symlink out of the tree; and nothing else stays on the host.
#include <sys/stat.h>

#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "host_view.h"
#include "result_file.h"
#include "spawned_process.h"

namespace isotest::integration {
namespace {

// The script runs in the sandbox; it prints where its /tmp comes from on the host (the root of
// /tmp's mount, from mountinfo), so the test can check that this directory is gone afterwards.
std::vector<std::string> script(const std::string& body) {
  return {"sh", "-c",
          "awk '$5 == \"/tmp\" { print \"tmp-root \" $4 }' /proc/self/mountinfo; " + body};
}

// The run's own directory, named in the output by script(); empty when not found.
std::string run_directory_name(const std::string& out) {
  static const std::regex kName("tmp-root .*(isotest-artifacts-[A-Za-z0-9]{6})/tmp");
  std::smatch match;
  return std::regex_search(out, match, kName) ? match[1].str() : std::string();
}

// Nothing remains of the run's own directory in any place isotest may have made it.
void expect_run_directory_removed(const std::string& out) {
  const std::string name = run_directory_name(out);
  ASSERT_FALSE(name.empty()) << "the sandbox's /tmp is not the run's own directory:\n" << out;
  for (const char* parent : {"/dev/shm/", "/tmp/", "/var/tmp/"}) {
    EXPECT_FALSE(path_exists(parent + name)) << parent << name << " was left behind";
  }
}

bool is_symlink_or_absent(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) != 0 || S_ISLNK(info.st_mode);
}

std::vector<std::string> paths_of(const nlohmann::json& artifacts) {
  return artifacts["paths"].get<std::vector<std::string>>();
}

TEST(ArtifactsTest, FailingTestKeepsItsTmpAndOutputs) {
  TempDir dir;
  const auto json = dir / "result.json";
  const auto kept = dir / "kept";
  auto run = run_to_end(isotest_run(
      {"--artifacts", kept, "--json", json},
      script("echo hello > /tmp/log.txt && mkdir /tmp/sub && echo deep > /tmp/sub/deeper.txt && "
             "echo '{}' > \"$TEST_UNDECLARED_OUTPUTS_DIR/trace.json\" && exit 3")));
  EXPECT_EQ(run.exit.exit_code, 3) << describe(run);
  EXPECT_EQ(read_file(kept + "/tmp/log.txt"), "hello\n");
  EXPECT_EQ(read_file(kept + "/tmp/sub/deeper.txt"), "deep\n");
  EXPECT_EQ(read_file(kept + "/outputs/trace.json"), "{}\n");
  // The mount point of the outputs inside /tmp is isotest's, not the test's.
  EXPECT_FALSE(path_exists(kept + "/tmp/.isotest-outputs"));
  auto result = load_result(json);
  const auto& artifacts = result["artifacts"];
  EXPECT_EQ(artifacts["directory"], kept);
  EXPECT_EQ(artifacts["kept"], true);
  EXPECT_EQ(artifacts["keep"], "on-failure");
  EXPECT_EQ(artifacts["files"], 3);
  EXPECT_EQ(artifacts["bytes"], 6 + 5 + 3);
  EXPECT_EQ(artifacts["truncated"], false);
  EXPECT_EQ(paths_of(artifacts),
            (std::vector<std::string>{"tmp/log.txt", "tmp/sub/deeper.txt", "outputs/trace.json"}));
  EXPECT_TRUE(results_match_schema({json}));
  expect_run_directory_removed(run.out);

  // The report names the folder; its JUnit links each file from the test's system-out, the way
  // Jenkins and GitLab show attachments.
  auto report = run_to_end({tools().isotest, "report", "--junit", dir / "junit.xml", json});
  EXPECT_EQ(report.exit.exit_code, 1) << describe(report);
  EXPECT_NE(report.out.find("kept 3 files (14 bytes) in " + kept + "\n"), std::string::npos)
      << report.out;
  const std::string junit = read_file(dir / "junit.xml");
  for (const char* path : {"/tmp/log.txt", "/tmp/sub/deeper.txt", "/outputs/trace.json"}) {
    EXPECT_NE(junit.find("[[ATTACHMENT|" + kept + path + "]]"), std::string::npos) << junit;
  }
}

TEST(ArtifactsTest, PassingTestKeepsNothingByDefault) {
  TempDir dir;
  const auto json = dir / "result.json";
  const auto kept = dir / "kept";
  auto run = run_to_end(
      isotest_run({"--artifacts", kept, "--json", json}, script("echo hello > /tmp/log.txt")));
  EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
  EXPECT_FALSE(path_exists(kept)) << "a passing run made its artifacts folder";
  auto result = load_result(json);
  EXPECT_EQ(result["artifacts"]["kept"], false);
  EXPECT_EQ(result["artifacts"]["files"], 0);
  EXPECT_TRUE(result["artifacts"]["paths"].empty());
  expect_run_directory_removed(run.out);
}

TEST(ArtifactsTest, KeepAlwaysKeepsAPassingRunAndNeverKeepsNone) {
  TempDir dir;
  auto always = run_to_end(isotest_run({"--artifacts", dir / "always", "--keep", "always"},
                                       script("echo hello > /tmp/log.txt")));
  EXPECT_EQ(always.exit.exit_code, 0) << describe(always);
  EXPECT_EQ(read_file(dir / "always/tmp/log.txt"), "hello\n");
  auto never = run_to_end(isotest_run({"--artifacts", dir / "never", "--keep", "never"},
                                      script("echo hello > /tmp/log.txt; exit 1")));
  EXPECT_EQ(never.exit.exit_code, 1) << describe(never);
  EXPECT_FALSE(path_exists(dir / "never"));
  expect_run_directory_removed(never.out);
}

TEST(ArtifactsTest, ARunReplacesWhatTheLastRunKept) {
  TempDir dir;
  const auto kept = dir / "kept";
  auto first = run_to_end(isotest_run({"--artifacts", kept}, script("touch /tmp/old; exit 1")));
  EXPECT_EQ(first.exit.exit_code, 1) << describe(first);
  ASSERT_TRUE(path_exists(kept + "/tmp/old"));
  auto second = run_to_end(isotest_run({"--artifacts", kept}, script("touch /tmp/new; exit 1")));
  EXPECT_EQ(second.exit.exit_code, 1) << describe(second);
  EXPECT_TRUE(path_exists(kept + "/tmp/new"));
  EXPECT_FALSE(path_exists(kept + "/tmp/old")) << "an earlier run's file passes for this run's";
  // A pass keeps nothing, and leaves nothing of the failures before it.
  auto third = run_to_end(isotest_run({"--artifacts", kept}, script("touch /tmp/newer")));
  EXPECT_EQ(third.exit.exit_code, 0) << describe(third);
  EXPECT_FALSE(path_exists(kept + "/tmp"));
}

TEST(ArtifactsTest, SizeCapStopsKeepingAndSaysSo) {
  TempDir dir;
  const auto json = dir / "result.json";
  const auto kept = dir / "kept";
  // Kept in name order: a (512 bytes) fits in 1K, b (2000) does not, c is never reached.
  auto run = run_to_end(
      isotest_run({"--artifacts", kept, "--artifacts-limit", "1K", "--json", json},
                  script("head -c 512 /dev/zero > /tmp/a; head -c 2000 /dev/zero > /tmp/b; "
                         "echo c > /tmp/c; exit 1")));
  EXPECT_EQ(run.exit.exit_code, 1) << describe(run);
  auto result = load_result(json);
  const auto& artifacts = result["artifacts"];
  EXPECT_EQ(artifacts["truncated"], true);
  EXPECT_EQ(artifacts["files"], 1);
  EXPECT_EQ(artifacts["bytes"], 512);
  EXPECT_EQ(artifacts["limit_bytes"], 1024);
  EXPECT_EQ(paths_of(artifacts), std::vector<std::string>{"tmp/a"});
  EXPECT_TRUE(path_exists(kept + "/tmp/a"));
  EXPECT_FALSE(path_exists(kept + "/tmp/b"));
  EXPECT_FALSE(path_exists(kept + "/tmp/c"));
  EXPECT_TRUE(results_match_schema({json}));
}

TEST(ArtifactsTest, SymlinksAndSpecialFilesAreNeverFollowed) {
  TempDir dir;
  const auto json = dir / "result.json";
  const auto kept = dir / "kept";
  auto run = run_to_end(
      isotest_run({"--artifacts", kept, "--json", json},
                  script("ln -s /etc/shadow /tmp/shadow; ln -s /etc /tmp/etc; mkfifo /tmp/fifo; "
                         "echo mine > /tmp/mine; exit 1")));
  EXPECT_EQ(run.exit.exit_code, 1) << describe(run);
  for (const char* name : {"/tmp/shadow", "/tmp/etc", "/tmp/fifo"}) {
    EXPECT_TRUE(is_symlink_or_absent(kept + name)) << name << " was kept as what it points at";
    EXPECT_FALSE(path_exists(kept + name)) << name;
  }
  EXPECT_EQ(read_file(kept + "/tmp/mine"), "mine\n");
  auto result = load_result(json);
  EXPECT_EQ(paths_of(result["artifacts"]), std::vector<std::string>{"tmp/mine"});
}

TEST(ArtifactsTest, TimedOutRunKeepsItsTmp) {
  TempDir dir;
  const auto json = dir / "result.json";
  const auto kept = dir / "kept";
  auto run = run_to_end(
      isotest_run({"--artifacts", kept, "--timeout", "1s", "--stacks", "never", "--json", json},
                  script("echo stuck > /tmp/log.txt; exec sleep 60")));
  EXPECT_EQ(run.exit.exit_code, 124) << describe(run);
  EXPECT_EQ(read_file(kept + "/tmp/log.txt"), "stuck\n");
  EXPECT_EQ(load_result(json)["artifacts"]["kept"], true);
  expect_run_directory_removed(run.out);
}

TEST(ArtifactsTest, BadValuesAreRefusedBeforeTheTestRuns) {
  TempDir dir;
  TempDir visible("/var/tmp");  // the host's inside the sandbox too, unlike /tmp
  write_file(dir / "file", "a regular file\n");
  ASSERT_EQ(::mkdir((dir / "foreign").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((dir / "foreign/tmp").c_str(), 0755), 0);
  // Where a crash's core and the stack dump would go (forensics/).
  ASSERT_EQ(::mkdir((dir / "forensic").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((dir / "forensic/forensics").c_str(), 0755), 0);
  struct Case {
    std::vector<std::string> options;
    std::string message;
  };
  const Case cases[] = {
      {{"--artifacts", dir / "a", "--keep", "sometimes"},
       "isotest: --keep takes on-failure, always or never; got `sometimes`\n"},
      {{"--keep", "always"},
       "isotest: --keep says what to keep of a run's files, which only --artifacts DIR keeps; "
       "add --artifacts DIR\n"},
      {{"--artifacts", dir / "a", "--artifacts-limit", "lots"},
       "isotest: --artifacts-limit takes a size such as 64M or 1G; got `lots`\n"},
      {{"--artifacts", dir / "file"},
       "isotest: --artifacts " + dir / "file" +
           " exists and is not a directory; name a directory, or a path that does not exist "
           "yet\n"},
      {{"--artifacts", "/dev/null"},
       "isotest: --artifacts /dev/null exists and is not a directory; name a directory, or a "
       "path that does not exist yet\n"},
      {{"--artifacts", dir / "file/below"},
       "isotest: --artifacts " + dir / "file/below" + " cannot be created: " + dir / "file" +
           " is not a directory; name a folder below a directory\n"},
      {{"--artifacts", dir / "foreign"},
       "isotest: --artifacts " + dir / "foreign" +
           " already holds tmp that isotest did not write; name an empty folder, or move it "
           "away\n"},
      {{"--artifacts", dir / "forensic"},
       "isotest: --artifacts " + dir / "forensic" +
           " already holds forensics that isotest did not write; name an empty folder, or move "
           "it away\n"},
  };
  for (const auto& c : cases) {
    auto run = run_to_end(isotest_run(c.options, {"touch", visible / "ran"}));
    EXPECT_EQ(run.exit.exit_code, 125) << describe(run);
    EXPECT_NE(run.err.find(c.message), std::string::npos) << run.err;
    EXPECT_FALSE(path_exists(visible / "ran")) << "the test ran";
    EXPECT_FALSE(path_exists(dir / "a")) << "half-written";
  }
  EXPECT_EQ(read_file(dir / "file"), "a regular file\n");
}

}  // namespace
}  // namespace isotest::integration
