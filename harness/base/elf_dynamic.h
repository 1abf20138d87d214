// Where the dynamic loader looks for an executable's shared libraries before the system's
// directories: the executable's own search path (DT_RUNPATH, or DT_RPATH), which build systems
// point at the build tree ("$ORIGIN/../lib"). The sandbox must keep those directories visible.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace isotest {

struct LibrarySearchPath {
  std::string tag;                   // "RUNPATH" or "RPATH"
  std::vector<std::string> entries;  // as written: "$ORIGIN/../lib", "/opt/x/lib"
};

// The search path of the ELF file open at `fd` (`file_size` bytes): DT_RUNPATH, or DT_RPATH
// when there is no DT_RUNPATH (ld.so ignores DT_RPATH then). Read through the program headers,
// which a stripped binary keeps. No entries for a file that is not ELF, is linked statically or
// has neither.
LibrarySearchPath elf_library_search_path(int fd, std::size_t file_size);

}  // namespace isotest
