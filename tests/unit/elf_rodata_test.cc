#include "elf_rodata.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "gtest_cases.h"

namespace isotest {
namespace {

// A string only this test binary has, kept in the link.
[[gnu::used]] const char kOwnMarker[] = "elf-rodata-test:a constant only this binary holds";

// The read-only data of the file at `path`, section after section.
std::optional<std::string> rodata_of(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat info {};
  ::fstat(fd, &info);
  const auto ranges = elf_rodata_ranges(fd, static_cast<std::size_t>(info.st_size));
  std::optional<std::string> bytes;
  if (ranges) {
    bytes.emplace();
    for (const auto& range : *ranges) {
      std::string part(range.size, '\0');
      EXPECT_EQ(::pread(fd, part.data(), part.size(), static_cast<off_t>(range.offset)),
                static_cast<ssize_t>(part.size()));
      *bytes += part;
    }
  }
  ::close(fd);
  return bytes;
}

TEST(ElfRodata, HoldsTheStringConstantsOfAnExecutable) {
  const auto bytes = rodata_of("/proc/self/exe");
  ASSERT_TRUE(bytes.has_value());
  EXPECT_NE(bytes->find(kOwnMarker), std::string::npos);
  struct stat info {};
  ASSERT_EQ(::stat("/proc/self/exe", &info), 0);
  EXPECT_LT(bytes->size(), static_cast<std::size_t>(info.st_size)) << "only part of the file";
}

TEST(ElfRodata, RefusesWhatIsNotAnElfFileWithSections) {
  char path[] = "/tmp/elf-rodata-test-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string script = "#!/bin/sh\necho @G--gtest_list_tests@D\n";
  ASSERT_EQ(::write(fd, script.data(), script.size()), static_cast<ssize_t>(script.size()));
  EXPECT_FALSE(elf_rodata_ranges(fd, script.size()).has_value());
  // An ELF header whose section table lies past the end of the file.
  ASSERT_EQ(::ftruncate(fd, 0), 0);
  std::string truncated(64, '\0');
  truncated.replace(0, 4,
                    "\x7f"
                    "ELF");
  truncated[4] = 2;      // ELFCLASS64
  truncated[0x28] = 1;   // e_shoff = 1 (low byte)
  truncated[0x3a] = 64;  // e_shentsize
  truncated[0x3c] = 5;   // e_shnum
  ASSERT_EQ(::pwrite(fd, truncated.data(), truncated.size(), 0),
            static_cast<ssize_t>(truncated.size()));
  EXPECT_FALSE(elf_rodata_ranges(fd, truncated.size()).has_value());
  ::close(fd);
  ::unlink(path);
}

TEST(ElfRodata, GoogleTestBinaryIsRecognisedFromItsReadOnlyData) {
  // This test binary is a GoogleTest binary (without the plugin).
  EXPECT_EQ(detect_gtest_binary("/proc/self/exe"), GtestKind::plain);
}

}  // namespace
}  // namespace isotest
