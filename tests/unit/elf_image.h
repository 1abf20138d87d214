// Minimal ELF images for the unit tests of the ELF readers: an ELF header, a PT_LOAD segment
// mapping the whole file, a PT_DYNAMIC segment and a string table, built in memory so that each
// test chooses exactly what the dynamic section holds.
#pragma once

#include <elf.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace isotest::test {

// Each entry: a dynamic tag whose value is a string (DT_RUNPATH, DT_RPATH, DT_NEEDED), and the
// string.
using StringEntries = std::vector<std::pair<std::int64_t, std::string>>;

template <typename Header, typename Segment, typename Dynamic>
std::string elf_image(const StringEntries& entries, unsigned char elf_class) {
  constexpr std::uint64_t kBase = 0x400000;
  std::string strings(1, '\0');
  std::vector<Dynamic> dynamic;
  const std::size_t dynamic_offset = sizeof(Header) + 2 * sizeof(Segment);
  const std::size_t strings_offset = dynamic_offset + (entries.size() + 3) * sizeof(Dynamic);
  auto entry = [&](std::int64_t tag, std::uint64_t value) {
    Dynamic item{};
    item.d_tag = static_cast<decltype(item.d_tag)>(tag);
    item.d_un.d_val = static_cast<decltype(item.d_un.d_val)>(value);
    dynamic.push_back(item);
  };
  for (const auto& [tag, text] : entries) {
    entry(tag, strings.size());
    strings += text;
    strings += '\0';
  }
  entry(DT_STRTAB, kBase + strings_offset);
  entry(DT_STRSZ, strings.size());
  entry(DT_NULL, 0);

  Header header{};
  std::memcpy(header.e_ident, ELFMAG, SELFMAG);
  header.e_ident[EI_CLASS] = elf_class;
  header.e_ident[EI_DATA] = ELFDATA2LSB;
  header.e_ident[EI_VERSION] = EV_CURRENT;
  header.e_type = ET_EXEC;
  header.e_version = EV_CURRENT;
  header.e_phoff = sizeof(Header);
  header.e_ehsize = sizeof(Header);
  header.e_phentsize = sizeof(Segment);
  header.e_phnum = 2;
  Segment load{};
  load.p_type = PT_LOAD;
  load.p_vaddr = kBase;
  using Size = decltype(load.p_filesz);  // 32 bits wide in a 32-bit image
  load.p_filesz = load.p_memsz = static_cast<Size>(strings_offset + strings.size());
  Segment dynamic_segment{};
  dynamic_segment.p_type = PT_DYNAMIC;
  dynamic_segment.p_offset = dynamic_offset;
  dynamic_segment.p_vaddr = kBase + dynamic_offset;
  dynamic_segment.p_filesz = dynamic_segment.p_memsz =
      static_cast<Size>(dynamic.size() * sizeof(Dynamic));

  std::string image;
  image.append(reinterpret_cast<const char*>(&header), sizeof header);
  image.append(reinterpret_cast<const char*>(&load), sizeof load);
  image.append(reinterpret_cast<const char*>(&dynamic_segment), sizeof dynamic_segment);
  image.append(reinterpret_cast<const char*>(dynamic.data()), dynamic.size() * sizeof(Dynamic));
  image += strings;
  return image;
}

inline std::string elf64_image(const StringEntries& entries) {
  return elf_image<Elf64_Ehdr, Elf64_Phdr, Elf64_Dyn>(entries, ELFCLASS64);
}

inline std::string elf32_image(const StringEntries& entries) {
  return elf_image<Elf32_Ehdr, Elf32_Phdr, Elf32_Dyn>(entries, ELFCLASS32);
}

}  // namespace isotest::test
