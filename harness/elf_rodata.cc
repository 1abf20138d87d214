#include "elf_rodata.h"

#include <elf.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace isotest {

namespace {

// A binary with more sections than this is not one a compiler made; search it whole.
constexpr std::size_t kMaxSections = 4096;

bool read_exactly(int fd, void* buffer, std::size_t size, std::size_t offset) {
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

bool within(std::size_t offset, std::size_t size, std::size_t file_size) {
  return offset <= file_size && size <= file_size - offset;
}

// One ELF class (32 or 64 bit); the file's byte order is the machine's, or the binary could not
// run here anyway.
template <typename Header, typename Section>
std::optional<std::vector<FileRange>> rodata_ranges(int fd, std::size_t file_size) {
  Header header{};
  if (!read_exactly(fd, &header, sizeof header, 0)) return std::nullopt;
  const std::size_t count = header.e_shnum;
  if (count == 0 || count > kMaxSections || header.e_shentsize != sizeof(Section) ||
      header.e_shstrndx >= count || !within(header.e_shoff, count * sizeof(Section), file_size)) {
    return std::nullopt;
  }
  std::vector<Section> sections(count);
  if (!read_exactly(fd, sections.data(), count * sizeof(Section), header.e_shoff)) {
    return std::nullopt;
  }
  const Section& names_section = sections[header.e_shstrndx];
  if (!within(names_section.sh_offset, names_section.sh_size, file_size)) return std::nullopt;
  std::string names(names_section.sh_size, '\0');
  if (!read_exactly(fd, names.data(), names.size(), names_section.sh_offset)) return std::nullopt;

  std::vector<FileRange> ranges;
  for (const Section& section : sections) {
    if (section.sh_type != SHT_PROGBITS || section.sh_name >= names.size()) continue;
    const std::string_view name(names.c_str() + section.sh_name);
    if (name != ".rodata" && !name.starts_with(".rodata.")) continue;
    if (!within(section.sh_offset, section.sh_size, file_size)) return std::nullopt;
    ranges.push_back(FileRange{.offset = static_cast<std::size_t>(section.sh_offset),
                               .size = static_cast<std::size_t>(section.sh_size)});
  }
  if (ranges.empty()) return std::nullopt;
  return ranges;
}

}  // namespace

std::optional<std::vector<FileRange>> elf_rodata_ranges(int fd, std::size_t file_size) {
  unsigned char ident[EI_NIDENT] = {};
  if (file_size < sizeof ident || !read_exactly(fd, ident, sizeof ident, 0) ||
      std::memcmp(ident, ELFMAG, SELFMAG) != 0) {
    return std::nullopt;
  }
  if (ident[EI_CLASS] == ELFCLASS64) return rodata_ranges<Elf64_Ehdr, Elf64_Shdr>(fd, file_size);
  if (ident[EI_CLASS] == ELFCLASS32) return rodata_ranges<Elf32_Ehdr, Elf32_Shdr>(fd, file_size);
  return std::nullopt;
}

}  // namespace isotest
