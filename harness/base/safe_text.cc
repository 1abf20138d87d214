#include "safe_text.h"

#include <cstdint>
#include <cstdio>
#include <optional>

namespace isotest {

namespace {

struct Decoded {
  std::optional<char32_t> code_point;  // nullopt: not UTF-8
  std::size_t length = 1;              // bytes taken; one for a byte that is not UTF-8
};

// One character of TEXT, strictly (RFC 3629): no overlong forms, no surrogates, nothing past
// U+10FFFF. A byte that starts no valid sequence is taken alone.
Decoded decode(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
  const std::uint8_t lead = byte(0);
  if (lead < 0x80) return {lead, 1};
  std::size_t length = 0;
  char32_t value = 0;
  char32_t smallest = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, value = lead & 0x1FU, smallest = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, value = lead & 0x0FU, smallest = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, value = lead & 0x07U, smallest = 0x10000;
  } else {
    return {};
  }
  if (text.size() < length) return {};
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0U) != 0x80) return {};
    value = (value << 6U) | (byte(i) & 0x3FU);
  }
  if (value < smallest || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return {};
  return {value, length};
}

// https://www.w3.org/TR/xml/#NT-Char
bool allowed_in_xml(char32_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

bool acted_on_by_terminals(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2066 && c <= 0x2069);
}

std::string escaped(const char* format, unsigned value) {
  char text[16];
  static_cast<void>(std::snprintf(text, sizeof text, format, value));
  return text;
}

// TEXT, each character (or byte that is not UTF-8: no code point) replaced by what APPEND adds.
template <typename Append>
std::string each_character(std::string_view text, const Append& append) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const Decoded next = decode(text);
    append(next.code_point, text.substr(0, next.length), out);
    text.remove_prefix(next.length);
  }
  return out;
}

void append_for_xml(std::optional<char32_t> c, std::string_view bytes, std::string& out) {
  if (!c || !allowed_in_xml(*c)) {
    out += '?';
    return;
  }
  switch (*c) {
    case '&':
      out += "&amp;";
      return;
    case '<':
      out += "&lt;";
      return;
    case '>':
      out += "&gt;";
      return;
    case '"':
      out += "&quot;";
      return;
    case '\'':
      out += "&apos;";
      return;
    default:
      out += bytes;
  }
}

void append_for_terminal(std::optional<char32_t> c, std::string_view bytes, std::string& out) {
  if (!c) {
    out += escaped("\\x%02x", static_cast<std::uint8_t>(bytes.front()));
  } else if (*c == '\t') {
    out += "\\t";
  } else if (*c == '\n') {
    out += "\\n";
  } else if (*c == '\r') {
    out += "\\r";
  } else if (!acted_on_by_terminals(*c)) {
    out += bytes;
  } else {
    out += escaped(*c < 0x80 ? "\\x%02x" : "\\u%04x", static_cast<unsigned>(*c));
  }
}

}  // namespace

std::string xml_text(std::string_view text) {
  return each_character(text, append_for_xml);
}

std::string terminal_text(std::string_view text) {
  return each_character(text, append_for_terminal);
}

std::size_t terminal_columns(std::string_view text) {
  std::size_t columns = 0;
  for (char c : text) {
    if ((static_cast<std::uint8_t>(c) & 0xC0U) != 0x80) ++columns;  // not a continuation byte
  }
  return columns;
}

}  // namespace isotest
