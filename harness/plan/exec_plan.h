// How the test command is started, as a value: its argv, its environment and where to look for
// it, all decided before the clone so that the sandbox side only walks prepared C strings
// (sandbox/prepared_exec.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spec.h"

namespace isotest {

struct ExecPlan {
  std::vector<std::string> argv;
  std::vector<std::string> environment;  // "KEY=VALUE", as the test gets it
  std::vector<std::string> candidates;   // the paths execve tries, in order (as execvp would)
  std::string working_directory;         // absolute

  // The value of `key` in `environment`.
  [[nodiscard]] std::optional<std::string> variable(std::string_view key) const;
  // Sets `key`, replacing an earlier value in place.
  void set_variable(std::string_view key, std::string_view value);
};

// `inherited` is the caller's environment (environ), used unless --clear-env; --env wins over
// it, and TMPDIR and TEST_TMPDIR point at the sandbox's own /tmp unless set already.
ExecPlan plan_exec(const SandboxSpec& spec, char* const* inherited, std::string working_directory);

// A variable's value as the test will see it: the spec's --env wins over the caller's
// environment `inherited`, which --clear-env drops unless `even_if_cleared`.
std::optional<std::string> variable_for_test(const SandboxSpec& spec, char* const* inherited,
                                             std::string_view key, bool even_if_cleared = false);

// Where execvp would look for the command: the command itself when it names a path, else each
// directory of the test's PATH (a default when it has none).
std::vector<std::string> exec_candidates(const SandboxSpec& spec, char* const* inherited);

}  // namespace isotest
