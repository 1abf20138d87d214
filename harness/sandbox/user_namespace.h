// Launcher side of the user namespace: the id maps, written while the sandbox waits, and the
// diagnosis when the kernel refuses user namespaces.
#pragma once

#include <sys/types.h>

#include <string>

#include "id_maps.h"

namespace isotest {

// Throws SetupFailure naming the file that could not be written.
void write_id_maps(pid_t child, const IdMaps& maps);

// Why creating namespaces failed with `error_number`, and the fix: reads the sysctls and the
// seccomp state that decide it (kernel.unprivileged_userns_clone, user.max_user_namespaces,
// kernel.apparmor_restrict_unprivileged_userns, Docker's seccomp profile).
std::string explain_namespace_refusal(int error_number);

// The same diagnosis in two pure steps, for `isotest doctor`, which reads the settings once.
// Each setting is the first line of its /proc/sys file, empty when the kernel has none.
struct NamespaceSettings {
  std::string unprivileged_userns_clone;  // kernel.unprivileged_userns_clone (Debian)
  std::string max_user_namespaces;        // user.max_user_namespaces
  std::string apparmor_restrict;          // kernel.apparmor_restrict_unprivileged_userns (Ubuntu)
  bool seccomp_filtered = false;          // /proc/self/status Seccomp: 2
  bool root = false;                      // effective uid 0
};
NamespaceSettings read_namespace_settings();

enum class RefusalCause {
  userns_clone_disabled,
  max_user_namespaces_zero,
  max_user_namespaces_reached,
  apparmor_restricted,
  seccomp_filter,
  unprivileged_refused,
  unknown,
};
RefusalCause namespace_refusal_cause(int error_number, const NamespaceSettings& settings);
// One line: the cause for people, and the fix.
std::string refusal_hint(RefusalCause cause);

}  // namespace isotest
