#include "mountinfo.h"

#include <unistd.h>

#include <gtest/gtest.h>
#include <filesystem>
#include <fstream>

namespace isotest {
namespace {

TEST(Mountinfo, ReadsEveryFieldOfProcFivesExample) {
  const auto entry = parse_mountinfo_line(
      "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->mount_id, 36);
  EXPECT_EQ(entry->parent_id, 35);
  EXPECT_EQ(entry->device, "98:0");
  EXPECT_EQ(entry->root, "/mnt1");
  EXPECT_EQ(entry->mount_point, "/mnt2");
  EXPECT_EQ(entry->mount_options, "rw,noatime");
  EXPECT_EQ(entry->optional_fields, (std::vector<std::string>{"master:1"}));
  EXPECT_EQ(entry->fstype, "ext3");
  EXPECT_EQ(entry->source, "/dev/root");
  EXPECT_EQ(entry->super_options, "rw,errors=continue");
}

// The separator, not a field count, ends the optional fields: there may be none or several.
TEST(Mountinfo, TakesAnyNumberOfOptionalFields) {
  const auto none =
      parse_mountinfo_line("25 1 0:22 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->optional_fields.empty());
  EXPECT_EQ(none->fstype, "cgroup2");
  EXPECT_EQ(none->super_options, "rw,nsdelegate");

  const auto several = parse_mountinfo_line(
      "30 25 0:26 /a /sys/fs/cgroup/memory rw shared:9 master:3 propagate_from:2 unbindable - "
      "cgroup cgroup rw,memory");
  ASSERT_TRUE(several);
  EXPECT_EQ(several->optional_fields,
            (std::vector<std::string>{"shared:9", "master:3", "propagate_from:2", "unbindable"}));
  EXPECT_EQ(several->root, "/a");
  EXPECT_EQ(several->mount_point, "/sys/fs/cgroup/memory");
  EXPECT_EQ(several->fstype, "cgroup");
  EXPECT_EQ(several->super_options, "rw,memory");
}

// The kernel escapes a space, tab, newline and backslash in a path as three octal digits; a
// path with " - " in it must not end the optional fields.
TEST(Mountinfo, UnescapesWhatTheKernelEscaped) {
  const auto entry = parse_mountinfo_line(
      "40 25 0:30 /my\\040root /mnt/a\\040-\\040b\\011c\\012d\\134e rw - tmpfs my\\040src "
      "rw,size=1k");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->root, "/my root");
  EXPECT_EQ(entry->mount_point, "/mnt/a - b\tc\nd\\e");
  EXPECT_TRUE(entry->optional_fields.empty());
  EXPECT_EQ(entry->fstype, "tmpfs");
  EXPECT_EQ(entry->source, "my src");

  EXPECT_EQ(unescape_mountinfo("a\\040b"), "a b");
  EXPECT_EQ(unescape_mountinfo("\\134"), "\\");
  // Not an escape: left as it is.
  EXPECT_EQ(unescape_mountinfo("a\\04"), "a\\04");
  EXPECT_EQ(unescape_mountinfo("a\\9xy"), "a\\9xy");
  EXPECT_EQ(unescape_mountinfo("\\"), "\\");
  EXPECT_EQ(unescape_mountinfo("\\400"), "\\400");
}

TEST(Mountinfo, RefusesALineWithoutItsFixedFields) {
  EXPECT_FALSE(parse_mountinfo_line(""));
  EXPECT_FALSE(parse_mountinfo_line("36 35 98:0 /mnt1 /mnt2 rw master:1 ext3 /dev/root rw"));
  EXPECT_FALSE(parse_mountinfo_line("36 35 98:0 /mnt1 /mnt2 rw - ext3 /dev/root"));
  EXPECT_FALSE(parse_mountinfo_line("36 35 98:0 /mnt1 /mnt2 - ext3 /dev/root rw"));
  EXPECT_FALSE(parse_mountinfo_line("x 35 98:0 /mnt1 /mnt2 rw - ext3 /dev/root rw"));
}

TEST(Mountinfo, ReadsThisProcessesMountTable) {
  const auto mounts = read_mountinfo();
  ASSERT_FALSE(mounts.empty());
  bool root = false;
  for (const auto& mount : mounts) root = root || mount.mount_point == "/";
  EXPECT_TRUE(root);
  const std::string file = testing::TempDir() + "mountinfo-" + std::to_string(::getpid());
  std::ofstream(file) << "garbage\n"
                         "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n";
  const auto read = read_mountinfo(file.c_str());
  std::filesystem::remove(file);
  ASSERT_EQ(read.size(), 1U);
  EXPECT_EQ(read[0].source, "/dev/sda1");
  EXPECT_TRUE(read_mountinfo("/nonexistent/mountinfo").empty());
}

}  // namespace
}  // namespace isotest
