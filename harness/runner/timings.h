// How long each case took last time, kept between runs so the slowest cases start first (the
// long poles would otherwise finish last, with the other workers idle).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace isotest {

inline constexpr const char* kTimingsSchema = "isotest-timings/1";

using CaseTimings = std::map<std::string, double>;  // full case name -> milliseconds

// BINARY.isotest-timings.json beside the binary, in the build tree.
std::string default_timings_path(const std::string& binary);

// Empty when the file is missing or not a timings file: order is only an optimisation.
CaseTimings load_timings(const std::string& path);

// Writes `timings` as write_output does; false (and nothing written) when it cannot.
bool save_timings(const std::string& path, const CaseTimings& timings);

// Slowest first; cases without a timing (new ones) before all others, in their listed order.
void order_slowest_first(std::vector<std::string>& cases, const CaseTimings& timings);

}  // namespace isotest
