#include "elf_dynamic.h"

#include <elf.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>

#include "elf_file.h"

namespace isotest {

namespace {

using elf::read_exactly;
using elf::within;

// More program headers or dynamic entries than this is not something a linker made.
constexpr std::size_t kMaxSegments = 4096;
constexpr std::size_t kMaxDynamicEntries = 65536;
constexpr std::uint64_t kMaxSearchPathBytes = 65536;

std::vector<std::string> split_at_colons(std::string_view text) {
  std::vector<std::string> entries;
  while (true) {
    const auto colon = text.find(':');
    if (!text.substr(0, colon).empty()) entries.emplace_back(text.substr(0, colon));
    if (colon == std::string_view::npos) return entries;
    text.remove_prefix(colon + 1);
  }
}

// One ELF class (32 or 64 bit).
template <typename Header, typename Segment, typename Dynamic>
LibrarySearchPath search_path(int fd, std::size_t file_size) {
  Header header{};
  if (!read_exactly(fd, &header, sizeof header, 0)) return {};
  const std::size_t count = header.e_phnum;
  if (count == 0 || count > kMaxSegments || header.e_phentsize != sizeof(Segment) ||
      !within(header.e_phoff, count * sizeof(Segment), file_size)) {
    return {};
  }
  std::vector<Segment> segments(count);
  if (!read_exactly(fd, segments.data(), count * sizeof(Segment), header.e_phoff)) return {};
  const Segment* dynamic = nullptr;
  for (const Segment& segment : segments) {
    if (segment.p_type == PT_DYNAMIC) dynamic = &segment;
  }
  if (dynamic == nullptr || !within(dynamic->p_offset, dynamic->p_filesz, file_size)) return {};
  const std::size_t entry_count =
      std::min<std::size_t>(dynamic->p_filesz / sizeof(Dynamic), kMaxDynamicEntries);
  std::vector<Dynamic> entries(entry_count);
  if (!read_exactly(fd, entries.data(), entry_count * sizeof(Dynamic), dynamic->p_offset)) {
    return {};
  }

  std::optional<std::uint64_t> string_table_address;
  std::uint64_t string_table_size = 0;
  std::optional<std::uint64_t> runpath;
  std::optional<std::uint64_t> rpath;
  for (const Dynamic& entry : entries) {
    if (entry.d_tag == DT_NULL) break;
    const std::uint64_t value = entry.d_un.d_val;
    if (entry.d_tag == DT_STRTAB) string_table_address = value;
    if (entry.d_tag == DT_STRSZ) string_table_size = value;
    if (entry.d_tag == DT_RUNPATH) runpath = value;
    if (entry.d_tag == DT_RPATH) rpath = value;
  }
  const auto chosen = runpath ? runpath : rpath;
  if (!chosen || !string_table_address || *chosen >= string_table_size) return {};

  // DT_STRTAB holds an address in memory; the PT_LOAD segment that maps it gives its place in
  // the file.
  std::optional<std::uint64_t> string_table_offset;
  for (const Segment& segment : segments) {
    if (segment.p_type != PT_LOAD || *string_table_address < segment.p_vaddr ||
        *string_table_address - segment.p_vaddr >= segment.p_filesz) {
      continue;
    }
    string_table_offset = segment.p_offset + (*string_table_address - segment.p_vaddr);
  }
  if (!string_table_offset || !within(*string_table_offset, string_table_size, file_size)) {
    return {};
  }
  std::string text(std::min(string_table_size - *chosen, kMaxSearchPathBytes), '\0');
  if (!read_exactly(fd, text.data(), text.size(), *string_table_offset + *chosen)) return {};
  text.resize(std::min(text.find('\0'), text.size()));
  return {.tag = runpath ? "RUNPATH" : "RPATH", .entries = split_at_colons(text)};
}

}  // namespace

LibrarySearchPath elf_library_search_path(int fd, std::size_t file_size) {
  switch (elf::elf_class(fd, file_size)) {
    case ELFCLASS64:
      return search_path<Elf64_Ehdr, Elf64_Phdr, Elf64_Dyn>(fd, file_size);
    case ELFCLASS32:
      return search_path<Elf32_Ehdr, Elf32_Phdr, Elf32_Dyn>(fd, file_size);
    default:
      return {};
  }
}

}  // namespace isotest
