// isotest's GoogleTest plugin: link IsoTest::gtest (or IsoTest::gtest_main instead of
// GTest::gtest_main) and a test binary run under `isotest run` reports every case as it happens,
// so a crash, an OOM kill or a timeout loses nothing but the case that was running
// (docs/gtest-plugin.md). Outside isotest the plugin does nothing.
//
// This header is needed only for the two things a test source can say to isotest:
//
//   ISOTEST_NEEDS(Suite, Case, needs...)   what one case's sandbox needs
//   ISOTEST_SUITE_NEEDS(Suite, needs...)   what every case of a suite needs
//
//   ISOTEST_SUITE_NEEDS(Upload, isotest::needs::network("loopback"));
//   ISOTEST_NEEDS(Cache, HoldsAGigabyte, isotest::needs::memory("1536M"),
//                 isotest::needs::timeout(std::chrono::seconds(60)));
//
// (at namespace scope, like TEST), which isotest_discover_tests() and `isotest gtest` apply
// to that case's sandbox; and, inside the sandbox, where the test runs:
//
//   if (isotest::under_isotest()) { auto limits = isotest::applied_limits(); ... }
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

namespace isotest {

// One `isotest run` option and its value, e.g. {"--memory", "512M"}.
struct Need {
  std::string option;
  std::string value;
};

namespace needs {
// A size in isotest's syntax: "256M", "1G".
inline Need memory(std::string size) {
  return {"--memory", std::move(size)};
}
inline Need pids(unsigned count) {
  return {"--pids", std::to_string(count)};
}
inline Need cpus(double cpus) {
  return {"--cpus", std::to_string(cpus)};
}
// "loopback", "none" or "host".
inline Need network(std::string mode) {
  return {"--network", std::move(mode)};
}
inline Need timeout(std::chrono::milliseconds duration) {
  return {"--timeout", std::to_string(duration.count()) + "ms"};
}
// A time namespace whose CLOCK_MONOTONIC and CLOCK_BOOTTIME run this far ahead.
inline Need time_offset(std::chrono::seconds offset) {
  return {"--time-offset", std::to_string(offset.count())};
}
// Network conditions on the sandbox's lo (docs/cli.md, "Network lab"): netem's delay (with an
// optional jitter), loss, duplication, reordering and corruption in percent, and a rate such as
// "1mbit" (tbf when alone).
inline Need net_delay(std::chrono::milliseconds delay,
                      std::chrono::milliseconds jitter = std::chrono::milliseconds(0)) {
  std::string value = std::to_string(delay.count());
  if (jitter.count() > 0) value += "/" + std::to_string(jitter.count());
  return {"--net-delay", std::move(value)};
}
inline Need net_loss(double percent) {
  return {"--net-loss", std::to_string(percent)};
}
inline Need net_duplicate(double percent) {
  return {"--net-duplicate", std::to_string(percent)};
}
inline Need net_reorder(double percent) {
  return {"--net-reorder", std::to_string(percent)};
}
inline Need net_corrupt(double percent) {
  return {"--net-corrupt", std::to_string(percent)};
}
inline Need net_rate(std::string rate) {
  return {"--net-rate", std::move(rate)};
}
}  // namespace needs

namespace internal {
// Records needs for a suite (`test_case` null) or one case; used by the macros below.
struct NeedsRegistration {
  NeedsRegistration(const char* suite, const char* test_case, std::initializer_list<Need> needs);
};
}  // namespace internal

// True when this process runs in an isotest sandbox (ISOTEST=1 in its environment).
bool under_isotest();

// The limits the sandbox really got, as isotest exported them; unset when there is none (or
// outside isotest).
struct AppliedLimits {
  std::optional<std::uint64_t> memory_max_bytes;
  std::optional<std::uint64_t> pids_max;
  std::optional<double> cpus;
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<std::int64_t> time_offset_seconds;
  std::string network;  // "loopback", "none", "host"; empty outside isotest
};
AppliedLimits applied_limits();

// A directory private to this run, empty when the test started and gone after it: the
// sandbox's own /tmp under isotest; outside, TEST_TMPDIR, TMPDIR or /tmp.
std::string scratch_directory();

}  // namespace isotest

#define ISOTEST_INTERNAL_CONCAT2(a, b) a##b
#define ISOTEST_INTERNAL_CONCAT(a, b) ISOTEST_INTERNAL_CONCAT2(a, b)

#define ISOTEST_NEEDS(suite, test_case, ...)                                   \
  static const ::isotest::internal::NeedsRegistration ISOTEST_INTERNAL_CONCAT( \
      isotest_needs_##suite##_##test_case##_, __LINE__)(#suite, #test_case, {__VA_ARGS__})

#define ISOTEST_SUITE_NEEDS(suite, ...)                                        \
  static const ::isotest::internal::NeedsRegistration ISOTEST_INTERNAL_CONCAT( \
      isotest_suite_needs_##suite##_, __LINE__)(#suite, nullptr, {__VA_ARGS__})
