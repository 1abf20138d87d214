#include "mountinfo.h"

#include <charconv>
#include <fstream>

namespace isotest {

namespace {

bool is_octal(char c) {
  return c >= '0' && c <= '7';
}

std::optional<int> parse_id(std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// The line's fields: the kernel separates them with one space and escapes any in a value.
std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> fields;
  while (!line.empty()) {
    const auto space = line.find(' ');
    fields.push_back(line.substr(0, space));
    if (space == std::string_view::npos) break;
    line.remove_prefix(space + 1);
  }
  return fields;
}

}  // namespace

std::string unescape_mountinfo(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    // A byte is at most \377.
    if (text[i] == '\\' && i + 3 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '3' &&
        is_octal(text[i + 2]) && is_octal(text[i + 3])) {
      out += static_cast<char>(((text[i + 1] - '0') << 6) | ((text[i + 2] - '0') << 3) |
                               (text[i + 3] - '0'));
      i += 3;
      continue;
    }
    out += text[i];
  }
  return out;
}

std::optional<MountInfoEntry> parse_mountinfo_line(std::string_view line) {
  const auto fields = fields_of(line);
  constexpr std::size_t kFixedBefore = 6;  // mount id to mount options
  constexpr std::size_t kFixedAfter = 3;   // fstype, source, super options
  if (fields.size() < kFixedBefore + 1 + kFixedAfter) return std::nullopt;
  std::size_t separator = kFixedBefore;
  while (separator < fields.size() && fields[separator] != "-") ++separator;
  if (separator + kFixedAfter >= fields.size()) return std::nullopt;
  const auto mount_id = parse_id(fields[0]);
  const auto parent_id = parse_id(fields[1]);
  if (!mount_id || !parent_id) return std::nullopt;
  MountInfoEntry entry;
  entry.mount_id = *mount_id;
  entry.parent_id = *parent_id;
  entry.device = std::string(fields[2]);
  entry.root = unescape_mountinfo(fields[3]);
  entry.mount_point = unescape_mountinfo(fields[4]);
  entry.mount_options = unescape_mountinfo(fields[5]);
  for (std::size_t i = kFixedBefore; i < separator; ++i) {
    entry.optional_fields.emplace_back(fields[i]);
  }
  entry.fstype = unescape_mountinfo(fields[separator + 1]);
  entry.source = unescape_mountinfo(fields[separator + 2]);
  entry.super_options = unescape_mountinfo(fields[separator + 3]);
  return entry;
}

std::vector<MountInfoEntry> read_mountinfo(const char* file) {
  std::vector<MountInfoEntry> entries;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (auto entry = parse_mountinfo_line(line)) entries.push_back(std::move(*entry));
  }
  return entries;
}

}  // namespace isotest
