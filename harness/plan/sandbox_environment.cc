#include "sandbox_environment.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

namespace isotest {

void add_sandbox_environment(const SandboxSpec& spec, const CgroupIsolation& cgroup,
                             ExecPlan& exec) {
  auto set = [&](const char* key, const std::string& value) { exec.set_variable(key, value); };
  set("ISOTEST", "1");
  set("ISOTEST_NAME", spec.display_name());
  set("ISOTEST_NETWORK",
      spec.shares(Namespace::net) ? "host" : std::string(network_mode_name(spec.network)));
  if (!spec.shares(Namespace::mount)) set("ISOTEST_SCRATCH_DIR", "/tmp");
  if (spec.timeout_ms) set("ISOTEST_TIMEOUT_MS", std::to_string(*spec.timeout_ms));
  if (spec.time_offset_seconds)
    set("ISOTEST_TIME_OFFSET", std::to_string(*spec.time_offset_seconds));
  if (cgroup.limits.memory_max_bytes) {
    set("ISOTEST_MEMORY_MAX", std::to_string(*cgroup.limits.memory_max_bytes));
  }
  if (cgroup.limits.pids_max) set("ISOTEST_PIDS_MAX", std::to_string(*cgroup.limits.pids_max));
  if (cgroup.limits.cpus) {
    char text[32];
    static_cast<void>(std::snprintf(text, sizeof text, "%g", *cgroup.limits.cpus));
    set("ISOTEST_CPUS", text);
  }
}

std::string find_executable(const std::vector<std::string>& candidates,
                            const std::string& working_directory) {
  for (const auto& candidate : candidates) {
    std::string path;
    if (!candidate.starts_with('/')) {
      path = working_directory;
      path += '/';
    }
    path += candidate;
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
        ::access(path.c_str(), X_OK) == 0) {
      return path;
    }
  }
  return {};
}

}  // namespace isotest
