#include "environment.h"

namespace isotest {

std::optional<std::string> environment_variable(char* const* environment, std::string_view key) {
  if (environment == nullptr) return std::nullopt;
  for (char* const* entry = environment; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    if (text.size() > key.size() && text.starts_with(key) && text[key.size()] == '=') {
      return std::string(text.substr(key.size() + 1));
    }
  }
  return std::nullopt;
}

}  // namespace isotest
