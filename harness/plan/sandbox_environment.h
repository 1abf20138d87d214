// The variables isotest exports into every sandbox so a test can tell where it runs and what
// it got (docs/cli.md, "Inside the sandbox"; read by the plugin's isotest::applied_limits()).
#pragma once

#include <string>
#include <vector>

#include "exec_plan.h"
#include "result.h"
#include "spec.h"

namespace isotest {

// ISOTEST=1, ISOTEST_NAME, ISOTEST_NETWORK, ISOTEST_SCRATCH_DIR (own mount namespace only),
// ISOTEST_TIMEOUT_MS, ISOTEST_TIME_OFFSET and, for the limits really applied,
// ISOTEST_MEMORY_MAX, ISOTEST_PIDS_MAX and ISOTEST_CPUS. They win over --env and inherited ones.
void add_sandbox_environment(const SandboxSpec& spec, const CgroupIsolation& cgroup,
                             ExecPlan& exec);

// The executable the sandbox will run for `candidates` (ExecPlan's), as a host path relative
// to nothing; empty when none is found.
std::string find_executable(const std::vector<std::string>& candidates,
                            const std::string& working_directory);

}  // namespace isotest
