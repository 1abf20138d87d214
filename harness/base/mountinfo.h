// /proc/<pid>/mountinfo, one mount a line (proc(5)):
//   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//   (1)(2) (3)  (4)   (5)     (6)       (7)   (8) (9)    (10)         (11)
// mount id, parent id, device, root of the mount in its file system, mount point, per-mount
// options, zero or more optional fields ended by "-", file system type, source, super block
// options. The kernel writes a space, tab, newline and backslash in a path or option as an octal
// escape (\040, \011, \012, \134); the fields here are unescaped.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace isotest {

struct MountInfoEntry {
  int mount_id = 0;
  int parent_id = 0;
  std::string device;  // "major:minor"
  std::string root;
  std::string mount_point;
  std::string mount_options;
  std::vector<std::string> optional_fields;  // "shared:1", "master:2", ...
  std::string fstype;
  std::string source;
  std::string super_options;
};

// One line; none when it lacks one of the fixed fields or the "-" that ends the optional ones.
std::optional<MountInfoEntry> parse_mountinfo_line(std::string_view line);

// "\040" and its kind as the byte they stand for; anything else as it is.
std::string unescape_mountinfo(std::string_view text);

// Every well-formed line of FILE (by default this process's mount table); none when it cannot
// be read.
std::vector<MountInfoEntry> read_mountinfo(const char* file = "/proc/self/mountinfo");

}  // namespace isotest
