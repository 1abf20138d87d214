#include "run_status.h"

#include <nlohmann/json.hpp>

namespace isotest {

std::string_view status_name(RunStatus status) {
  switch (status) {
    case RunStatus::sandbox_error:
      return "sandbox_error";
    case RunStatus::crashed:
      return "crashed";
    case RunStatus::oom:
      return "oom";
    case RunStatus::timeout:
      return "timeout";
    case RunStatus::failed:
      return "failed";
    case RunStatus::notrun:
      return "notrun";
    case RunStatus::flaky:
      return "flaky";
    case RunStatus::skipped:
      return "skipped";
    case RunStatus::disabled:
      return "disabled";
    case RunStatus::passed:
      return "passed";
  }
  return "?";
}

std::optional<RunStatus> parse_status(std::string_view name) {
  for (const RunStatus status : kRunStatuses) {
    if (status_name(status) == name) return status;
  }
  return std::nullopt;
}

RunStatus status_counted_as(std::string_view name) {
  return parse_status(name).value_or(RunStatus::sandbox_error);
}

bool is_good(RunStatus status) {
  switch (status) {
    case RunStatus::passed:
    case RunStatus::flaky:
    case RunStatus::skipped:
    case RunStatus::disabled:
      return true;
    case RunStatus::sandbox_error:
    case RunStatus::crashed:
    case RunStatus::oom:
    case RunStatus::timeout:
    case RunStatus::failed:
    case RunStatus::notrun:
      return false;
  }
  return false;
}

bool is_good(std::string_view name) {
  return is_good(status_counted_as(name));
}

int status_severity(RunStatus status) {
  return static_cast<int>(status);
}

int status_severity(std::string_view name) {
  return status_severity(status_counted_as(name));
}

std::string status_of(const nlohmann::json& document) {
  if (!document.is_object()) return {};
  const auto it = document.find("status");
  return it != document.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace isotest
