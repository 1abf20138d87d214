// Reading an environment block (environ, or one prepared for a child).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace isotest {

// The value of `key` in `environment` (a null-terminated array of "KEY=VALUE"), which may be
// null; the first entry wins, as getenv(3) has it.
std::optional<std::string> environment_variable(char* const* environment, std::string_view key);

}  // namespace isotest
