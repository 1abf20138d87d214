// Results built by hand for the unit tests of classify(), the JSON writer and the GoogleTest
// status rules.
#pragma once

#include <string>

#include "result.h"

namespace isotest {

inline RunResult exited_with(int code) {
  RunResult result;
  result.exit_code = code;
  return result;
}

inline CaseResult case_with(const std::string& name, RunStatus status) {
  CaseResult result;
  result.name = name;
  result.status = status;
  return result;
}

}  // namespace isotest
