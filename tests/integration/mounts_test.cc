// The mount namespace: --read-only, --bind, --ro-bind and --tmpfs do what they say inside, and
// nothing mounted inside shows up in the host's mount table.
//
// The sandbox replaces /tmp, so the directories these tests mount or work in live under /var/tmp
// (world-writable like /tmp, and left as the host has it). The last two tests pin what happens
// with host paths under /tmp.
#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "host_view.h"
#include "spawned_process.h"

namespace isotest::integration {
namespace {

constexpr const char* kVisibleTmp = "/var/tmp";

// Host mount entries at or below any of these paths.
std::vector<std::string> host_mounts_at(const std::vector<std::string>& paths) {
  std::vector<std::string> found;
  for (const auto& entry : host_mounts()) {
    const auto mount_point = entry.substr(entry.find(' ') + 1);
    for (const auto& path : paths) {
      if (mount_point == path || mount_point.starts_with(path + "/")) found.push_back(entry);
    }
  }
  return found;
}

// The probe's /bin/sh: one line per attempted write, `NAME ok` or `NAME refused`.
constexpr const char* kTryWrites = R"sh(
  for target in "$@"; do
    name=${target%%=*}; file=${target#*=}
    if echo "$name" > "$file" 2>/dev/null; then echo "$name ok"; else echo "$name refused"; fi
  done)sh";

std::vector<std::string> try_writes(const std::vector<std::string>& targets) {
  std::vector<std::string> command{"/bin/sh", "-c", kTryWrites, "sh"};
  command.insert(command.end(), targets.begin(), targets.end());
  return command;
}

TEST(RunTest, ReadOnlyKeepsOnlyWorkingDirectoryTmpBindsAndTmpfsWritable) {
  TempDir work(kVisibleTmp);
  TempDir bound(kVisibleTmp);
  std::filesystem::create_directory(work / "bind");
  std::filesystem::create_directory(work / "scratch");
  const auto outside = std::string(kVisibleTmp) + "/" + unique_name("isotest-it-outside");
  const auto writes = try_writes({"cwd=in-cwd", "tmp=/tmp/file", "bind=bind/file",
                                  "tmpfs=scratch/file", "outside=" + outside});
  const SpawnOptions in_work{.working_directory = work.path()};

  auto run = run_to_end(isotest_run({"--read-only", "--bind", bound.path() + ":" + (work / "bind"),
                                     "--tmpfs", work / "scratch"},
                                    writes),
                        in_work);
  EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
  EXPECT_EQ(run.out, "cwd ok\ntmp ok\nbind ok\ntmpfs ok\noutside refused\n") << describe(run);
  EXPECT_EQ(read_file(work / "in-cwd"), "cwd\n");
  EXPECT_EQ(read_file(bound / "file"), "bind\n");
  EXPECT_FALSE(path_exists(work / "bind/file")) << "the bind target was written on the host";
  EXPECT_FALSE(path_exists(outside));
  EXPECT_FALSE(path_exists(work / "scratch/file")) << "the tmpfs wrote through to the host";

  // The same write without --read-only succeeds: the refusal above was --read-only's doing.
  auto writable = run_to_end(isotest_run({}, try_writes({"outside=" + outside})), in_work);
  EXPECT_EQ(writable.out, "outside ok\n") << describe(writable);
  std::filesystem::remove(outside);
}

TEST(RunTest, BindRoBindAndTmpfsWorkAndNothingMountedInsideIsVisibleOutside) {
  TempDir work(kVisibleTmp);
  for (const char* name : {"rw_src", "rw_dst", "ro_src", "ro_dst", "scratch"}) {
    std::filesystem::create_directory(work / name);
  }
  write_file(work / "ro_src/given", "from the host\n");
  const std::vector<std::string> watched = {work.path(), "/tmp", "/proc", "/dev/shm",
                                            "/dev/mqueue"};
  const auto before = host_mounts_at(watched);

  SpawnedProcess sandbox(
      isotest_run({"--bind", (work / "rw_src") + ":" + (work / "rw_dst"), "--ro-bind",
                   (work / "ro_src") + ":" + (work / "ro_dst"), "--tmpfs", work / "scratch"},
                  {"/bin/sh", "-c", std::string(kTryWrites) + R"sh(
         echo "read $(cat "$0/ro_dst/given")"
         echo mounted
         exec cat > /dev/null)sh",
                   work.path(), "bind=" + (work / "rw_dst/file"),
                   "ro-bind=" + (work / "ro_dst/file"), "tmpfs=" + (work / "scratch/file")}));
  ASSERT_TRUE(sandbox.wait_for_line("mounted")) << sandbox.stderr_text();
  EXPECT_EQ(host_mounts_at(watched), before) << "a mount made inside is visible on the host";
  sandbox.close_stdin();
  auto exit = sandbox.wait();
  EXPECT_EQ(exit.exit_code, 0) << describe(exit) << sandbox.stderr_text();
  EXPECT_EQ(sandbox.stdout_text(),
            "bind ok\nro-bind refused\ntmpfs ok\nread from the host\nmounted\n");

  EXPECT_EQ(read_file(work / "rw_src/file"), "bind\n");
  EXPECT_TRUE(std::filesystem::is_empty(work / "rw_dst"))
      << "the bind target was written on the host";
  EXPECT_FALSE(path_exists(work / "ro_src/file"));
  EXPECT_TRUE(std::filesystem::is_empty(work / "scratch")) << "the tmpfs wrote through to the host";
  EXPECT_EQ(host_mounts_at(watched), before);
}

// The working directory is made writable again under --read-only; a read-only bind inside it
// must stay mounted and read-only all the same.
TEST(RunTest, RoBindInsideWorkingDirectoryStaysReadOnlyUnderReadOnly) {
  TempDir work(kVisibleTmp);
  TempDir source(kVisibleTmp);
  std::filesystem::create_directory(work / "ro");
  write_file(source / "given", "from the source\n");
  const auto command = try_writes({"ro-bind=ro/file"});
  for (const auto& options :
       {std::vector<std::string>{}, std::vector<std::string>{"--read-only"}}) {
    const std::string with = options.empty() ? "" : " with --read-only";
    auto args = options;
    args.insert(args.end(), {"--ro-bind", source.path() + ":" + (work / "ro")});
    auto script = command;
    script[2] += "\ncat ro/given";
    auto run = run_to_end(isotest_run(args, script), {.working_directory = work.path()});
    EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
    EXPECT_EQ(run.out, "ro-bind refused\nfrom the source\n") << describe(run) << with;
    EXPECT_FALSE(path_exists(source / "file")) << "a write went through to the source" << with;
    EXPECT_FALSE(path_exists(work / "ro/file")) << "a write landed under the target" << with;
    std::filesystem::remove(source / "file");
    std::filesystem::remove(work / "ro/file");
  }
}

// --bind takes a host path; one under the host's /tmp must not be looked up in the sandbox's
// fresh /tmp.
TEST(RunTest, BindSourceUnderHostTmpIsReachable) {
  TempDir source;  // under the host's /tmp
  TempDir target(kVisibleTmp);
  write_file(source / "given", "from the host's /tmp\n");
  auto run = run_to_end(isotest_run({"--ro-bind", source.path() + ":" + target.path()},
                                    {"/bin/sh", "-c", R"sh(cat "$0/given")sh", target.path()}));
  EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
  EXPECT_EQ(run.out, "from the host's /tmp\n");
}

// isotest keeps the caller's working directory, and the caller may well be under /tmp (a build
// tree, a CI checkout): it stays the caller's directory, writable, inside.
TEST(RunTest, WorkingDirectoryUnderHostTmpIsReachable) {
  TempDir work;  // under the host's /tmp
  auto run =
      run_to_end(isotest_run({}, {"/bin/sh", "-c", R"sh(pwd && echo inside > written-inside)sh"}),
                 {.working_directory = work.path()});
  EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
  EXPECT_EQ(run.out, work.path() + "\n");
  EXPECT_EQ(read_file(work / "written-inside"), "inside\n");
}

}  // namespace
}  // namespace isotest::integration
