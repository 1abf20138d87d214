// Where an ELF file keeps its read-only data (.rodata and .rodata.*), which holds a program's
// string literals: looking for a string constant there reads a tenth of a typical test binary,
// which matters when every case of a GoogleTest binary is a separate launch.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

namespace isotest {

struct FileRange {
  std::size_t offset = 0;
  std::size_t size = 0;
};

// The read-only data sections of the ELF file open at `fd` (`file_size` bytes), as ranges of the
// file. nullopt when the file is not an ELF file whose section headers can be read (stripped of
// them, truncated, another format) or has no such section: search the whole file then.
std::optional<std::vector<FileRange>> elf_rodata_ranges(int fd, std::size_t file_size);

}  // namespace isotest
