// The mount namespace: --read-only, --bind, --ro-bind and --tmpfs do what they say inside, and
// nothing mounted inside shows up in the host's mount table.
//
// The sandbox replaces /tmp, so the directories these tests mount or work in live under /var/tmp
// (world-writable like /tmp, and left as the host has it). The last tests pin what happens with
// host paths under /tmp: what the command line needs from there stays visible, nothing else.
#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "host_view.h"
#include "result_file.h"
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

// A copy of `file` in `directory`, executable: a test binary as a build below /tmp leaves it.
std::string copy_executable(const std::string& file, const std::string& directory) {
  std::filesystem::create_directories(directory);
  const auto copy = directory + "/" + std::filesystem::path(file).filename().string();
  std::filesystem::copy_file(file, copy);
  std::filesystem::permissions(copy, std::filesystem::perms::owner_all);
  return copy;
}

// The caller's directory plays no part: from /, a command below the host's /tmp runs all the
// same, and the result says what was kept and why.
TEST(RunTest, CommandBelowHostTmpRunsFromAnyDirectory) {
  TempDir build;  // under the host's /tmp
  TempDir results(kVisibleTmp);
  const auto probe = copy_executable(tools().probe, build / "bin");
  const auto json = results / "result.json";
  auto run = run_to_end(isotest_run({"--json", json}, {probe, "cwd"}));
  EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
  EXPECT_EQ(run.out, "/\n") << describe(run);
  const auto mounts = load_result(json)["isolation"]["mounts"];
  EXPECT_NE(std::find(mounts.begin(), mounts.end(),
                      "keep " + (build / "bin") + " (directory of the executable " + probe +
                          "; /tmp is the sandbox's own)"),
            mounts.end())
      << mounts.dump(1);
  EXPECT_TRUE(results_match_schema({json}));
}

// A file named in the arguments is readable inside; its sibling, which nothing names, is not:
// the sandbox's /tmp holds only what was kept.
TEST(RunTest, FileNamedInTheArgumentsIsVisibleButNotItsSiblings) {
  TempDir data;  // under the host's /tmp
  write_file(data / "named", "from the host's /tmp\n");
  write_file(data / "sibling", "must stay hidden\n");
  auto run = run_to_end(isotest_run({}, {"/bin/sh", "-c", R"sh(
    cat "$1"
    dir=${1%/*}
    if [ -e "$dir/sibling" ]; then echo "sibling visible"; else echo "sibling hidden"; fi
    ls -A "$dir"
    ls -A /tmp)sh",
                                         "sh", data / "named"}));
  EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
  EXPECT_EQ(run.out, "from the host's /tmp\nsibling hidden\nnamed\n" +
                         std::filesystem::path(data.path()).filename().string() + "\n")
      << describe(run);
}

const char* from_environment(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

// A binary whose RUNPATH ($ORIGIN/../lib) leads to its shared library below /tmp: the loader
// inside finds the library where the build left it.
TEST(RunTest, SharedLibraryFoundThroughRunpathBelowHostTmpLoads) {
  TempDir build;  // under the host's /tmp
  const auto sample = copy_executable(
      from_environment("ISOTEST_RUNPATH_SAMPLE", ISOTEST_DEFAULT_RUNPATH_SAMPLE), build / "bin");
  copy_executable(from_environment("ISOTEST_RUNPATH_LIBRARY", ISOTEST_DEFAULT_RUNPATH_LIBRARY),
                  build / "lib");
  auto run = run_to_end(isotest_run({}, {sample}));
  EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
  EXPECT_EQ(run.out, "loaded through RUNPATH\n") << describe(run);
}

// --read-only holds wherever the tree is: a kept path below /tmp is read-only too; the working
// directory stays writable.
TEST(RunTest, ReadOnlyMakesKeptPathsReadOnlyButNotTheWorkingDirectory) {
  TempDir build;  // under the host's /tmp
  TempDir work;   // under the host's /tmp
  const auto probe = copy_executable(tools().probe, build / "bin");
  write_file(build / "bin/data", "");
  const SpawnOptions in_work{.working_directory = work.path()};
  auto read_only =
      run_to_end(isotest_run({"--read-only"}, {probe, "open-write", build / "bin/data"}), in_work);
  EXPECT_EQ(read_only.exit.exit_code, 0) << describe(read_only);
  EXPECT_EQ(read_only.out, (build / "bin/data") + ": EROFS\n") << describe(read_only);
  write_file(work / "in-work", "");
  auto in_work_directory =
      run_to_end(isotest_run({"--read-only"}, {probe, "open-write", "in-work"}), in_work);
  EXPECT_EQ(in_work_directory.out, "in-work: ok\n") << describe(in_work_directory);
  // Without --read-only the same write reaches the host's file: the refusal was --read-only's.
  auto writable = run_to_end(isotest_run({}, {probe, "open-write", build / "bin/data"}), in_work);
  EXPECT_EQ(writable.out, (build / "bin/data") + ": ok\n") << describe(writable);
}

// A tree that no command line names (a source tree a test reaches through a path compiled in)
// is kept visible with --keep-visible; one that does not exist is refused before anything runs.
TEST(RunTest, KeepVisibleKeepsATreeNoCommandLineNames) {
  TempDir source;  // under the host's /tmp
  write_file(source / "data", "compiled-in data\n");
  const std::vector<std::string> command = {"/bin/sh", "-c", R"sh(cat "$DATA_DIR/data")sh"};
  auto hidden = run_to_end(isotest_run({"--env", "DATA_DIR=" + source.path()}, command));
  EXPECT_NE(hidden.exit.exit_code, 0) << "visible without being named: " << describe(hidden);
  auto kept = run_to_end(isotest_run(
      {"--env", "DATA_DIR=" + source.path(), "--keep-visible", source.path()}, command));
  EXPECT_EQ(kept.exit.exit_code, 0) << describe(kept);
  EXPECT_EQ(kept.out, "compiled-in data\n") << describe(kept);
  auto missing =
      run_to_end(isotest_run({"--keep-visible", source / "missing"}, {"/bin/echo", "ran"}));
  EXPECT_EQ(missing.exit.exit_code, 125) << describe(missing);
  EXPECT_EQ(missing.out, "") << describe(missing);
  EXPECT_NE(missing.err.find("--keep-visible `" + (source / "missing") + "`"), std::string::npos)
      << describe(missing);
}

}  // namespace
}  // namespace isotest::integration
