#include "host_paths.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "elf_image.h"
#include "setup_error.h"

namespace isotest {
namespace {

namespace fs = std::filesystem;

NeededPath working_directory(const std::string& path) {
  return {.path = path, .why = "working directory", .writable = true};
}

NeededPath executable(const std::string& path) {
  return {.path = path, .why = "the executable " + path, .with_directory = true};
}

NeededPath argument(const std::string& path) {
  return {.path = path, .why = "named in the arguments"};
}

// The default sandbox's fresh mounts, and more.
MountSurroundings fresh_tmp_and_shm(std::vector<std::string> more = {}) {
  MountSurroundings surroundings{.fresh = {"/tmp", "/dev/shm"}};
  surroundings.fresh.insert(surroundings.fresh.end(), more.begin(), more.end());
  return surroundings;
}

std::vector<std::string> descriptions(const std::vector<KeptPath>& kept) {
  std::vector<std::string> texts;
  for (const auto& path : kept) texts.push_back(path.description());
  return texts;
}

using Texts = std::vector<std::string>;

TEST(HostPathsRule, KeepsWhatAFreshMountWouldHideAndSaysWhy) {
  const auto kept = paths_to_keep({working_directory("/"), executable("/tmp/x/mytest"),
                                   argument("/dev/shm/input"), argument("/etc/hostname")},
                                  fresh_tmp_and_shm());
  EXPECT_EQ(descriptions(kept),
            (Texts{"keep /dev/shm/input (named in the arguments; /dev/shm is the sandbox's own)",
                   "keep /tmp/x (directory of the executable /tmp/x/mytest; /tmp is the "
                   "sandbox's own)"}));
  for (const auto& path : kept) EXPECT_EQ(path.access, KeptPath::Access::as_host);
}

TEST(HostPathsRule, AnExecutableRightInAFreshMountKeepsOnlyItself) {
  EXPECT_EQ(descriptions(paths_to_keep({executable("/tmp/mytest")}, fresh_tmp_and_shm())),
            Texts{"keep /tmp/mytest (the executable /tmp/mytest; /tmp is the sandbox's own)"});
  EXPECT_EQ(
      descriptions(paths_to_keep({executable("/scratch/run.sh")}, fresh_tmp_and_shm({"/scratch"}))),
      Texts{"keep /scratch/run.sh (the executable /scratch/run.sh; /scratch is the "
            "sandbox's own)"});
}

TEST(HostPathsRule, NeverKeepsAFreshMountItselfNorTheRoot) {
  auto read_only = fresh_tmp_and_shm({"/scratch"});
  read_only.read_only_root = true;
  for (const char* path : {"/tmp", "/dev/shm", "/scratch", "/"}) {
    EXPECT_TRUE(paths_to_keep({working_directory(path), argument(path)}, read_only).empty())
        << path;
  }
}

TEST(HostPathsRule, OnTheHostTreeOnlyAWritableWorkingDirectoryUnderReadOnlyIsBound) {
  const std::vector<NeededPath> needed = {working_directory("/work"), executable("/usr/bin/env"),
                                          argument("/etc/hostname")};
  EXPECT_TRUE(paths_to_keep(needed, fresh_tmp_and_shm()).empty());
  auto read_only = fresh_tmp_and_shm();
  read_only.read_only_root = true;
  const auto kept = paths_to_keep(needed, read_only);
  ASSERT_EQ(kept.size(), 1U);
  EXPECT_EQ(kept[0].access, KeptPath::Access::writable);
  EXPECT_EQ(kept[0].description(), "keep /work writable (working directory; / is read-only)");
}

TEST(HostPathsRule, PathsInsideAKeptPathCollapseAndEqualOnesMergeTheirReasons) {
  const auto kept =
      paths_to_keep({working_directory("/tmp/build"), executable("/tmp/build/bin/unit_tests"),
                     argument("/tmp/build/data/input.txt"), executable("/tmp/build/tool"),
                     argument("/tmp/build-other/file"), argument("/tmp/build")},
                    fresh_tmp_and_shm());
  EXPECT_EQ(descriptions(kept),
            (Texts{"keep /tmp/build (working directory, directory of the executable "
                   "/tmp/build/tool, named in the arguments; /tmp is the sandbox's own)",
                   "keep /tmp/build-other/file (named in the arguments; /tmp is the sandbox's "
                   "own)"}));
}

TEST(HostPathsRule, UnderReadOnlyKeptPathsAreReadOnlyButTheWorkingDirectory) {
  auto read_only = fresh_tmp_and_shm();
  read_only.read_only_root = true;
  const auto kept = paths_to_keep({{.path = "/tmp/build", .why = "--keep-visible"},
                                   working_directory("/tmp/build/tests"),
                                   argument("/tmp/build/tests/data"),
                                   executable("/tmp/build/bin/t")},
                                  read_only);
  EXPECT_EQ(descriptions(kept),
            (Texts{"keep /tmp/build read-only (--keep-visible; /tmp is the sandbox's own)",
                   "keep /tmp/build/tests writable (working directory; /tmp is the sandbox's "
                   "own)"}));
  // A path both read-only and writable for two reasons is writable.
  const auto merged = paths_to_keep({argument("/tmp/w"), working_directory("/tmp/w")}, read_only);
  ASSERT_EQ(merged.size(), 1U);
  EXPECT_EQ(merged[0].access, KeptPath::Access::writable);
}

TEST(HostPathsRule, AFreshMountBetweenTwoKeptPathsKeepsBoth) {
  const auto kept = paths_to_keep({working_directory("/tmp/w"), argument("/tmp/w/cache/seed")},
                                  fresh_tmp_and_shm({"/tmp/w/cache"}));
  EXPECT_EQ(descriptions(kept),
            (Texts{"keep /tmp/w (working directory; /tmp is the sandbox's own)",
                   "keep /tmp/w/cache/seed (named in the arguments; /tmp/w/cache is the "
                   "sandbox's own)"}));
}

TEST(HostPathsRule, WhatLiesInACallersBindIsTheCallers) {
  auto surroundings = fresh_tmp_and_shm();
  surroundings.bind_targets = {"/tmp/data", "/tmp/.isotest"};
  EXPECT_TRUE(paths_to_keep({argument("/tmp/data/file"), argument("/tmp/data"),
                             working_directory("/tmp/.isotest")},
                            surroundings)
                  .empty());
}

// A directory of its own under /tmp for the tests that look at the host.
class HostPathsNeeded : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = "/tmp/host-paths-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string make_file(const std::string& name, const std::string& content = "",
                        fs::perms permissions = fs::perms::owner_read | fs::perms::owner_write) {
    const std::string path = root_ + "/" + name;
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << content;
    fs::permissions(path, permissions);
    return path;
  }

  // The needed paths as "PATH: WHY", with the flags that are set.
  std::vector<std::string> needed(const SandboxSpec& spec, const std::string& directory,
                                  char* const* environment = nullptr) const {
    std::vector<std::string> texts;
    for (const auto& path : host_paths_needed(spec, environment, directory)) {
      std::string text = path.path + ": " + path.why;
      if (path.writable) text += " [writable]";
      if (path.with_directory) text += " [with directory]";
      texts.push_back(text);
    }
    return texts;
  }

  std::string root_;
};

TEST_F(HostPathsNeeded, ArgumentsNamingExistingPathsInAnyFormAreNeeded) {
  const auto program = make_file("in/program", "#!/bin/sh\n", fs::perms::owner_all);
  const auto input = make_file("in/input.txt");
  make_file("in/relative.txt");
  make_file("in/flag.txt");
  make_file("in/key.txt");
  SandboxSpec spec;
  // `sub/../relative.txt` is looked up as the kernel does: there is no `sub`, so it is nothing.
  spec.command = {program,
                  input,
                  "relative.txt",
                  "--data=" + root_ + "/in/flag.txt",
                  "KEY=key.txt",
                  root_ + "/in/missing",
                  "",
                  "--verbose",
                  "sub/../relative.txt"};
  EXPECT_EQ(
      needed(spec, root_ + "/in"),
      (Texts{root_ + "/in: working directory [writable]",
             program + ": the executable " + program + " [with directory]",
             input + ": named in the arguments", root_ + "/in/relative.txt: named in the arguments",
             root_ + "/in/flag.txt: named in the arguments",
             root_ + "/in/key.txt: named in the arguments"}));
}

TEST_F(HostPathsNeeded, ProgramsAServiceCommandNamesAreNeededWithTheirDirectories) {
  const auto server = make_file("build/server", "#!/bin/sh\n", fs::perms::owner_all);
  const auto config = make_file("build/server.conf");
  SandboxSpec spec;
  spec.command = {"/bin/true"};
  spec.netlab.services = {
      {.name = "db", .command = "exec " + server + " --config=x <" + config + "; ./missing"}};
  const auto texts = needed(spec, root_);
  EXPECT_NE(
      std::find(texts.begin(), texts.end(), server + ": named in --service db [with directory]"),
      texts.end())
      << ::testing::PrintToString(texts);
  EXPECT_NE(
      std::find(texts.begin(), texts.end(), config + ": named in --service db [with directory]"),
      texts.end())
      << ::testing::PrintToString(texts);
  // A word that names nothing on the host is not needed.
  EXPECT_EQ(std::count_if(
                texts.begin(), texts.end(),
                [](const std::string& text) { return text.find("missing") != std::string::npos; }),
            0)
      << ::testing::PrintToString(texts);
}

TEST_F(HostPathsNeeded, SymlinksAreNeededAsNamedAndAsTheirRealPath) {
  const auto real = make_file("real/data.txt");
  fs::create_directory_symlink(root_ + "/real", root_ + "/link");
  SandboxSpec spec;
  spec.command = {"/nonexistent/tool", root_ + "/link/data.txt"};
  EXPECT_EQ(needed(spec, "/"), (Texts{"/: working directory [writable]",
                                      root_ + "/link/data.txt: named in the arguments",
                                      real + ": named in the arguments"}));
}

TEST_F(HostPathsNeeded, TheExecutableIsTheFileExecWouldRun) {
  const auto executable = fs::perms::owner_all;
  make_file("bin/tool", "#!/bin/sh\n", executable);
  make_file("first/tool", "not executable");
  SandboxSpec spec;
  spec.command = {"tool"};
  spec.environment = {{"PATH", root_ + "/first:" + root_ + "/bin"}};
  EXPECT_EQ(needed(spec, "/"),
            (Texts{"/: working directory [writable]",
                   root_ + "/bin/tool: the executable " + root_ + "/bin/tool [with directory]"}));
  // Relative to the working directory; a file that cannot be executed is still the one exec
  // will refuse (126), so it is kept as well.
  spec.command = {"./tool"};
  EXPECT_EQ(needed(spec, root_ + "/first"), (Texts{root_ + "/first: working directory [writable]",
                                                   root_ + "/first/tool: the executable " + root_ +
                                                       "/first/tool [with directory]"}));
}

TEST_F(HostPathsNeeded, RunpathDirectoriesOfTheExecutableAreNeededWithOriginExpanded) {
  const auto executable =
      make_file("build/bin/unit_tests",
                test::elf64_image({{DT_RUNPATH, "$ORIGIN/../lib:${ORIGIN}/../plugins:" + root_ +
                                                    "/build/missing:$LIB/x:relative"}}),
                fs::perms::owner_all);
  fs::create_directories(root_ + "/build/lib");
  fs::create_directories(root_ + "/build/plugins");
  fs::create_directories(root_ + "/relative");
  SandboxSpec spec;
  spec.command = {executable};
  const std::string why = ": RUNPATH of the executable " + executable;
  EXPECT_EQ(needed(spec, root_),
            (Texts{root_ + ": working directory [writable]",
                   executable + ": the executable " + executable + " [with directory]",
                   root_ + "/build/lib" + why, root_ + "/build/plugins" + why,
                   root_ + "/relative" + why}));
}

TEST_F(HostPathsNeeded, KeepVisiblePathsAreNeededAndMissingOnesRefused) {
  make_file("src/CMakeLists.txt");
  SandboxSpec spec;
  spec.command = {"/nonexistent/tool"};
  spec.keep_visible = {root_ + "/src"};
  EXPECT_EQ(needed(spec, "/"),
            (Texts{"/: working directory [writable]", root_ + "/src: --keep-visible"}));
  for (const std::string& missing : {root_ + "/nothing", std::string()}) {
    spec.keep_visible = {missing};
    try {
      host_paths_needed(spec, nullptr, "/");
      ADD_FAILURE() << "accepted --keep-visible `" << missing << "`";
    } catch (const SetupFailure& failure) {
      EXPECT_EQ(failure.error().message,
                "--keep-visible `" + missing + "`: cannot reach this host path");
      EXPECT_FALSE(failure.error().hint.empty());
    }
  }
}

TEST_F(HostPathsNeeded, NothingWithASharedMountNamespace) {
  SandboxSpec spec;
  spec.command = {"/bin/true", root_};
  spec.keep_visible = {root_ + "/nothing"};
  spec.share(Namespace::mount);
  EXPECT_TRUE(needed(spec, root_).empty());
}

}  // namespace
}  // namespace isotest
