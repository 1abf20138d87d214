#include "user_namespace.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string_view>

#include "setup_error.h"
#include "unique_fd.h"

namespace isotest {

namespace {

void write_proc_file(pid_t child, const char* file, std::string_view text) {
  std::string path = "/proc/" + std::to_string(child) + "/" + file;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid() ||
      ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    const int error = errno;
    throw_error(std::string("write ") + file, error, "cannot write " + path,
                explain_namespace_refusal(error));
  }
}

// First line of a file, or empty when it does not exist (the sysctl is not on this kernel).
std::string read_setting(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

bool seccomp_filtered() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("Seccomp:")) return line.find('2') != std::string::npos;
  }
  return false;
}

}  // namespace

void write_id_maps(pid_t child, const IdMaps& maps) {
  if (maps.deny_setgroups) write_proc_file(child, "setgroups", "deny");
  write_proc_file(child, "uid_map", maps.uid_map);
  write_proc_file(child, "gid_map", maps.gid_map);
}

NamespaceSettings read_namespace_settings() {
  return NamespaceSettings{
      .unprivileged_userns_clone = read_setting("/proc/sys/kernel/unprivileged_userns_clone"),
      .max_user_namespaces = read_setting("/proc/sys/user/max_user_namespaces"),
      .apparmor_restrict = read_setting("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"),
      .seccomp_filtered = seccomp_filtered(),
      .root = ::geteuid() == 0,
  };
}

RefusalCause namespace_refusal_cause(int error_number, const NamespaceSettings& settings) {
  if (settings.unprivileged_userns_clone == "0" && !settings.root) {
    return RefusalCause::userns_clone_disabled;
  }
  if (settings.max_user_namespaces == "0") return RefusalCause::max_user_namespaces_zero;
  if (error_number == ENOSPC) return RefusalCause::max_user_namespaces_reached;
  if (settings.apparmor_restrict == "1" && !settings.root) return RefusalCause::apparmor_restricted;
  if ((error_number == EPERM || error_number == ENOSYS) && settings.seccomp_filtered) {
    return RefusalCause::seccomp_filter;
  }
  if (error_number == EPERM && !settings.root) return RefusalCause::unprivileged_refused;
  return RefusalCause::unknown;
}

std::string refusal_hint(RefusalCause cause) {
  switch (cause) {
    case RefusalCause::userns_clone_disabled:
      return "unprivileged user namespaces are disabled: run `sudo sysctl -w "
             "kernel.unprivileged_userns_clone=1` (see docs/troubleshooting.md)";
    case RefusalCause::max_user_namespaces_zero:
      return "user namespaces are disabled: run `sudo sysctl -w user.max_user_namespaces=15000` "
             "(see docs/troubleshooting.md)";
    case RefusalCause::max_user_namespaces_reached:
      return "the user namespace limit (user.max_user_namespaces) is reached: raise it with "
             "`sudo sysctl -w user.max_user_namespaces=15000`";
    case RefusalCause::apparmor_restricted:
      return "AppArmor restricts unprivileged user namespaces (Ubuntu 23.10+): install isotest's "
             "profile with `isotest doctor --apparmor-profile | sudo tee /etc/apparmor.d/isotest "
             "&& sudo apparmor_parser -r /etc/apparmor.d/isotest`, or run `sudo sysctl -w "
             "kernel.apparmor_restrict_unprivileged_userns=0` (see docs/troubleshooting.md)";
    case RefusalCause::seccomp_filter:
      return "a seccomp filter (e.g. Docker's default profile) refuses namespace creation: run the "
             "container with `--security-opt seccomp=unconfined`, or a profile that allows clone, "
             "clone3 and unshare with namespace flags, mount, mount_setattr, open_tree, "
             "move_mount and sethostname (see docs/troubleshooting.md)";
    case RefusalCause::unprivileged_refused:
      return "this kernel refuses unprivileged namespaces here; see docs/troubleshooting.md, or "
             "run with --share for the namespaces it refuses";
    case RefusalCause::unknown:
      break;
  }
  return "see docs/troubleshooting.md";
}

std::string explain_namespace_refusal(int error_number) {
  return refusal_hint(namespace_refusal_cause(error_number, read_namespace_settings()));
}

}  // namespace isotest
