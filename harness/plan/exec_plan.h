// How the test command is started: its argv, its environment and where to look for it, all
// computed in the launcher so the sandbox side only has to walk prepared C strings.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spec.h"

namespace isotest {

class ExecPlan {
 public:
  // `inherited` is the caller's environment (environ), used unless --clear-env.
  ExecPlan(const SandboxSpec& spec, char* const* inherited, std::string working_directory);
  ExecPlan(const ExecPlan&) = delete;
  ExecPlan& operator=(const ExecPlan&) = delete;

  [[nodiscard]] const std::string& working_directory() const { return working_directory_; }
  [[nodiscard]] const std::vector<std::string>& environment() const { return env_; }
  [[nodiscard]] const std::vector<std::string>& candidates() const { return candidates_; }

  // Sandbox side, allocation-free. Tries each candidate path as execvp would; returns only on
  // failure, with the errno that decides 126 (found but not executable) or 127 (not found).
  int exec() const;

 private:
  std::vector<std::string> argv_;
  std::vector<std::string> env_;
  std::vector<std::string> candidates_;
  std::vector<char*> argv_pointers_;
  std::vector<char*> env_pointers_;
  std::string working_directory_;
};

// A variable's value as the test will see it: the spec's --env wins over the caller's
// environment `inherited`, which --clear-env drops unless `even_if_cleared`.
std::optional<std::string> variable_for_test(const SandboxSpec& spec, char* const* inherited,
                                             std::string_view key, bool even_if_cleared = false);

// Where execvp would look for the command: the command itself when it names a path, else each
// directory of the test's PATH (a default when it has none).
std::vector<std::string> exec_candidates(const SandboxSpec& spec, char* const* inherited);

// 127 for "not found", 126 for anything else that stops execve (as env(1) and timeout(1) do).
int exit_code_for_exec_error(int error_number);

}  // namespace isotest
