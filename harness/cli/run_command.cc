#include "run_command.h"

#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "launch.h"
#include "messages.h"
#include "output_file.h"
#include "sandbox_run.h"

namespace isotest {

void report_setup_error(const SetupError& error, RunStatus status) {
  for (const auto& line : setup_error_lines(error, status)) print_message(line);
}

int run_command(const SandboxSpec& requested, char* const* environment) {
  SandboxSpec spec = requested;
  if (!spec.json_path.empty()) {
    try {
      // Checked before the run: a run whose result cannot be written is not started.
      const auto destination = resolve_output(spec.json_path);
      // The result goes to isotest's stdout (`--json /dev/stdout | jq`): the command's own
      // stdout is copied to stderr instead, so that stdout holds the JSON alone.
      if (destination.method == OutputMethod::inherited_fd && destination.fd == STDOUT_FILENO) {
        spec.stdout_copy_fd = STDERR_FILENO;
      }
    } catch (const SetupFailure& failure) {
      report_setup_error(failure.error());
      print_message("the command was not run");
      return 125;
    }
  }
  // `isotest gtest` runs its cases with the same extensions (sandbox_run.h).
  const SandboxRunExtensions extensions(spec, environment);
  auto result = run_sandboxed(spec, environment, extensions.list());
  for (const auto& line : run_messages(result)) print_message(line);
  if (!spec.json_path.empty()) {
    try {
      // Test output may be any bytes; invalid UTF-8 becomes U+FFFD so the file is always JSON.
      auto text = to_json(result).dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
      text += '\n';
      write_output(spec.json_path, text);
    } catch (const SetupFailure& failure) {
      report_setup_error(failure.error());
      return 125;
    }
  }
  return result.launcher_exit_code;
}

}  // namespace isotest
