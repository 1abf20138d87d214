#include "timings.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "output_file.h"
#include "setup_error.h"

namespace isotest {

std::string default_timings_path(const std::string& binary) {
  return binary + ".isotest-timings.json";
}

CaseTimings load_timings(const std::string& path) {
  CaseTimings timings;
  // Only a regular file is read: a FIFO or /dev/stdout named with --timings would block the read
  // (or wait for a writer that is isotest itself).
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) return timings;
  std::ifstream in(path, std::ios::binary);
  if (!in) return timings;
  const auto document = nlohmann::json::parse(in, nullptr, false);
  if (!document.is_object() || document.value("schema", "") != kTimingsSchema) return timings;
  const auto cases = document.find("cases");
  if (cases == document.end() || !cases->is_object()) return timings;
  for (const auto& [name, value] : cases->items()) {
    if (value.is_number()) timings[name] = value.get<double>();
  }
  return timings;
}

bool save_timings(const std::string& path, const CaseTimings& timings) {
  nlohmann::json document = {{"schema", kTimingsSchema}, {"cases", timings}};
  try {
    write_output(path, document.dump(1) + "\n");
    return true;
  } catch (const SetupFailure&) {
    return false;
  }
}

void order_slowest_first(std::vector<std::string>& cases, const CaseTimings& timings) {
  std::stable_sort(cases.begin(), cases.end(), [&](const std::string& a, const std::string& b) {
    const auto ta = timings.find(a);
    const auto tb = timings.find(b);
    if (ta == timings.end() || tb == timings.end()) {
      return ta == timings.end() && tb != timings.end();
    }
    return ta->second > tb->second;
  });
}

}  // namespace isotest
