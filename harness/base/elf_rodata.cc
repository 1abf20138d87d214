#include "elf_rodata.h"

#include <elf.h>

#include <string>
#include <string_view>
#include <vector>

#include "elf_file.h"

namespace isotest {

namespace {

using elf::read_exactly;
using elf::within;

// A binary with more sections than this is not one a compiler made; search it whole.
constexpr std::size_t kMaxSections = 4096;

// One ELF class (32 or 64 bit).
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
  switch (elf::elf_class(fd, file_size)) {
    case ELFCLASS64:
      return rodata_ranges<Elf64_Ehdr, Elf64_Shdr>(fd, file_size);
    case ELFCLASS32:
      return rodata_ranges<Elf32_Ehdr, Elf32_Shdr>(fd, file_size);
    default:
      return std::nullopt;
  }
}

}  // namespace isotest
