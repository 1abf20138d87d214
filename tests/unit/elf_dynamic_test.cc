#include "elf_dynamic.h"

#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "elf_image.h"
#include "unique_fd.h"

namespace isotest {
namespace {

using test::elf32_image;
using test::elf64_image;

LibrarySearchPath search_path_of(const std::string& image) {
  const UniqueFd fd(::memfd_create("elf-dynamic-test", MFD_CLOEXEC));
  EXPECT_TRUE(fd.valid());
  EXPECT_EQ(::write(fd.get(), image.data(), image.size()), static_cast<ssize_t>(image.size()));
  return elf_library_search_path(fd.get(), image.size());
}

using Entries = std::vector<std::string>;

TEST(ElfDynamic, RunpathEntriesComeAsWrittenInOrder) {
  const auto found = search_path_of(
      elf64_image({{DT_NEEDED, "libc.so.6"}, {DT_RUNPATH, "$ORIGIN/../lib:/opt/x/lib"}}));
  EXPECT_EQ(found.tag, "RUNPATH");
  EXPECT_EQ(found.entries, (Entries{"$ORIGIN/../lib", "/opt/x/lib"}));
}

TEST(ElfDynamic, RunpathWinsOverRpathAsInTheLoader) {
  EXPECT_EQ(search_path_of(elf64_image({{DT_RPATH, "/old"}, {DT_RUNPATH, "/new"}})).entries,
            Entries{"/new"});
  const auto rpath_only = search_path_of(elf64_image({{DT_RPATH, "/old::/older"}}));
  EXPECT_EQ(rpath_only.tag, "RPATH");
  EXPECT_EQ(rpath_only.entries, (Entries{"/old", "/older"}));
}

TEST(ElfDynamic, ThirtyTwoBitExecutablesAreRead) {
  EXPECT_EQ(search_path_of(elf32_image({{DT_RUNPATH, "$ORIGIN"}})).entries, Entries{"$ORIGIN"});
}

TEST(ElfDynamic, NothingForFilesWithoutASearchPath) {
  EXPECT_TRUE(search_path_of(elf64_image({{DT_NEEDED, "libc.so.6"}})).entries.empty());
  EXPECT_TRUE(search_path_of("#!/bin/sh\nexit 0\n").entries.empty());
  EXPECT_TRUE(search_path_of("").entries.empty());
  // Cut inside the string table, inside the dynamic section, inside the program headers: each
  // offset the file gives is checked against its size.
  const std::string whole = elf64_image({{DT_RUNPATH, "/a/long/enough/directory/name"}});
  for (std::size_t cut : {whole.size() - 4, whole.size() - 40, sizeof(Elf64_Ehdr) + 10}) {
    EXPECT_TRUE(search_path_of(whole.substr(0, cut)).entries.empty()) << "cut at " << cut;
  }
}

}  // namespace
}  // namespace isotest
