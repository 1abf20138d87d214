// An ExecPlan as the sandbox side uses it: C strings and pointer arrays made before the clone,
// so that starting the test allocates nothing.
#pragma once

#include <string>
#include <vector>

#include "exec_plan.h"

namespace isotest {

class PreparedExec {
 public:
  explicit PreparedExec(ExecPlan plan);
  PreparedExec(const PreparedExec&) = delete;
  PreparedExec& operator=(const PreparedExec&) = delete;

  [[nodiscard]] const std::string& working_directory() const { return plan_.working_directory; }

  // Sandbox side, allocation-free. Tries each candidate path as execvp would; returns only on
  // failure, with the errno that decides 126 (found but not executable) or 127 (not found).
  [[nodiscard]] int exec() const;

 private:
  ExecPlan plan_;
  std::vector<char*> argv_pointers_;
  std::vector<char*> env_pointers_;
};

}  // namespace isotest
