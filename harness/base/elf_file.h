// Bounded reads of an ELF file, shared by the readers that look into test executables
// (elf_rodata.cc, elf_dynamic.cc). Every offset and size comes from the file itself, so each is
// checked against the file's size before it is used.
#pragma once

#include <elf.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>

namespace isotest::elf {

inline bool read_exactly(int fd, void* buffer, std::size_t size, std::size_t offset) {
  auto* bytes = static_cast<char*>(buffer);
  while (size > 0) {
    const ssize_t got = ::pread(fd, bytes, size, static_cast<off_t>(offset));
    if (got <= 0) return false;
    bytes += got;
    size -= static_cast<std::size_t>(got);
    offset += static_cast<std::size_t>(got);
  }
  return true;
}

inline bool within(std::size_t offset, std::size_t size, std::size_t file_size) {
  return offset <= file_size && size <= file_size - offset;
}

// ELFCLASS64 or ELFCLASS32 for an ELF file, ELFCLASSNONE for anything else. The byte order is
// not checked: a file in another one could not run here anyway.
inline int elf_class(int fd, std::size_t file_size) {
  unsigned char ident[EI_NIDENT] = {};
  if (file_size < sizeof ident || !read_exactly(fd, ident, sizeof ident, 0) ||
      std::memcmp(ident, ELFMAG, SELFMAG) != 0) {
    return ELFCLASSNONE;
  }
  return ident[EI_CLASS];
}

}  // namespace isotest::elf
