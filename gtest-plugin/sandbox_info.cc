// The in-sandbox API of isotest/gtest.h: what the launcher exported into the environment
// (docs/gtest-plugin.md, "Inside the sandbox").
#include <charconv>
#include <cstdlib>
#include <string_view>

#include "isotest/gtest.h"

namespace isotest {

namespace {

template <typename Number>
std::optional<Number> number_from(const char* variable) {
  const char* text = std::getenv(variable);
  if (text == nullptr) return std::nullopt;
  const std::string_view value(text);
  Number number{};
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (error != std::errc() || end != value.data() + value.size()) return std::nullopt;
  return number;
}

}  // namespace

bool under_isotest() {
  const char* flag = std::getenv("ISOTEST");
  return flag != nullptr && std::string_view(flag) == "1";
}

AppliedLimits applied_limits() {
  AppliedLimits limits;
  if (!under_isotest()) return limits;
  limits.memory_max_bytes = number_from<std::uint64_t>("ISOTEST_MEMORY_MAX");
  limits.pids_max = number_from<std::uint64_t>("ISOTEST_PIDS_MAX");
  limits.cpus = number_from<double>("ISOTEST_CPUS");
  if (auto ms = number_from<std::int64_t>("ISOTEST_TIMEOUT_MS")) {
    limits.timeout = std::chrono::milliseconds(*ms);
  }
  limits.time_offset_seconds = number_from<std::int64_t>("ISOTEST_TIME_OFFSET");
  if (const char* network = std::getenv("ISOTEST_NETWORK")) limits.network = network;
  return limits;
}

std::string scratch_directory() {
  for (const char* variable : {"ISOTEST_SCRATCH_DIR", "TEST_TMPDIR", "TMPDIR"}) {
    const char* value = std::getenv(variable);
    if (value != nullptr && *value != '\0' && (variable[0] == 'T' || under_isotest())) {
      return value;
    }
  }
  return "/tmp";
}

}  // namespace isotest
