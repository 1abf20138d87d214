#include "messages.h"

#include <unistd.h>

#include <cerrno>

namespace isotest {

std::string escape_control_characters(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f) {
      escaped += c;
      continue;
    }
    switch (c) {
      case '\n':
        escaped += "\\n";
        break;
      case '\r':
        escaped += "\\r";
        break;
      case '\t':
        escaped += "\\t";
        break;
      default: {
        constexpr char kHex[] = "0123456789abcdef";
        escaped += "\\x";
        escaped += kHex[byte >> 4];
        escaped += kHex[byte & 0xf];
      }
    }
  }
  return escaped;
}

std::string describe_given(std::string_view text) {
  if (text.empty()) return "an empty value (an unset variable?)";
  return "`" + std::string(text) + "`";
}

void print_message(std::string_view text) {
  // One write per line: lines of isotest and of the test (which shares stderr) never interleave
  // within a line.
  const std::string line = "isotest: " + escape_control_characters(text) + "\n";
  std::string_view rest = line;
  while (!rest.empty()) {
    const ssize_t written = ::write(STDERR_FILENO, rest.data(), rest.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;  // nowhere to say it
    rest.remove_prefix(static_cast<std::size_t>(written));
  }
}

}  // namespace isotest
