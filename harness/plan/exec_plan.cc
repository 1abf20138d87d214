#include "exec_plan.h"

#include <string_view>

#include "environment.h"

namespace isotest {

namespace {

constexpr std::string_view kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

std::string_view key_of(std::string_view entry) {
  return entry.substr(0, entry.find('='));
}

void set_variable(std::vector<std::string>& env, std::string_view key, std::string_view value) {
  std::string entry = std::string(key) + "=" + std::string(value);
  for (auto& existing : env) {
    if (key_of(existing) == key) {
      existing = std::move(entry);
      return;
    }
  }
  env.push_back(std::move(entry));
}

bool has_variable(const std::vector<std::string>& env, std::string_view key) {
  for (const auto& existing : env) {
    if (key_of(existing) == key) return true;
  }
  return false;
}

}  // namespace

std::optional<std::string> variable_for_test(const SandboxSpec& spec, char* const* inherited,
                                             std::string_view key, bool even_if_cleared) {
  for (auto it = spec.environment.rbegin(); it != spec.environment.rend(); ++it) {
    if (it->first == key) return it->second;
  }
  if (spec.clear_environment && !even_if_cleared) return std::nullopt;
  return environment_variable(inherited, key);
}

std::vector<std::string> exec_candidates(const SandboxSpec& spec, char* const* inherited) {
  std::vector<std::string> candidates;
  const std::string program = spec.command.empty() ? std::string() : spec.command.front();
  if (program.find('/') != std::string::npos) {
    candidates.push_back(program);
    return candidates;
  }
  if (program.empty()) return candidates;
  const auto path_variable = variable_for_test(spec, inherited, "PATH");
  std::string_view path = path_variable ? std::string_view(*path_variable) : kDefaultPath;
  while (true) {
    auto colon = path.find(':');
    std::string_view dir = path.substr(0, colon);
    // An empty PATH element means the current directory, as in execvp.
    candidates.push_back((dir.empty() ? std::string(".") : std::string(dir)) + "/" + program);
    if (colon == std::string_view::npos) break;
    path.remove_prefix(colon + 1);
  }
  return candidates;
}

std::optional<std::string> ExecPlan::variable(std::string_view key) const {
  for (const auto& entry : environment) {
    if (key_of(entry) == key) return entry.substr(key.size() + 1);
  }
  return std::nullopt;
}

void ExecPlan::set_variable(std::string_view key, std::string_view value) {
  isotest::set_variable(environment, key, value);
}

ExecPlan plan_exec(const SandboxSpec& spec, char* const* inherited, std::string working_directory) {
  ExecPlan plan{.argv = spec.command, .working_directory = std::move(working_directory)};
  auto& env = plan.environment;
  if (!spec.clear_environment && inherited != nullptr) {
    for (char* const* entry = inherited; *entry != nullptr; ++entry) env.emplace_back(*entry);
  }
  for (const auto& [key, value] : spec.environment) set_variable(env, key, value);
  // /tmp is the sandbox's own tmpfs, so point the usual variables at it unless set already.
  if (!spec.shares(Namespace::mount)) {
    if (!has_variable(env, "TMPDIR")) set_variable(env, "TMPDIR", "/tmp");
    if (!has_variable(env, "TEST_TMPDIR")) set_variable(env, "TEST_TMPDIR", "/tmp");
  }
  plan.candidates = exec_candidates(spec, inherited);
  return plan;
}

}  // namespace isotest
