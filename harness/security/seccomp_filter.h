// The default seccomp filter: system calls that reach kernel state the namespaces do not
// isolate (keyrings, module loading, kexec, eBPF, perf events, the real-time clock, ...) are
// refused (seccomp_rules.h). The filter is built as data in the launcher (classic BPF, compiled
// by libseccomp at build time for the default list),
// installed by the test's process just before execve, and answered by the launcher: each refused
// call raises a seccomp user notification (SECCOMP_RET_USER_NOTIF) on a listener fd that the
// sandbox hands to the launcher, so the result can name every call that was refused -- in
// `errno` mode the launcher answers EPERM, in `kill` mode it stops the run.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "child_error.h"
#include "seccomp_rules.h"
#include "spec.h"
#include "unique_fd.h"

namespace isotest {

// The program compiled from the whole default list when isotest was built
// (seccomp_program_gen.cc); empty when the build could not compile it (cross-compiled, or a
// build machine whose kernel lacks user notifications): each run compiles its own then.
std::span<const sock_filter> default_seccomp_program();

// Problems with --seccomp-allow names (not in the default list), each naming the fix.
std::vector<std::string> check_seccomp_allow(const std::vector<std::string>& names);

// What is installed in the sandbox, as a value.
struct SeccompFilter {
  SeccompMode mode = SeccompMode::off;
  std::vector<std::string> refused;  // the names this filter refuses
  std::vector<sock_filter> program;  // empty when mode is off
};

// Launcher side. Throws SetupFailure when libseccomp cannot build the program.
SeccompFilter build_seccomp_filter(const SandboxSpec& spec);

// Sandbox side, async-signal-safe: installs `filter` (no_new_privs must be set) and sends the
// listener fd over `socket` to the launcher. A filter with an empty program installs nothing.
bool install_seccomp_filter(const SeccompFilter& filter, int socket, ChildError& error);

// Launcher side: receives the listener and answers each refused call.
class SeccompListener {
 public:
  // Reads the listener fd from the sandbox's socket. False once the socket is finished with
  // (fd received, or the sandbox closed it without one), true while it is worth polling again.
  bool receive(int socket);
  [[nodiscard]] int fd() const { return listener_.get(); }
  // Answers one pending notification with EPERM and records it. Returns the refused call's name
  // (nullopt when nothing was pending, or the caller died meanwhile); closes the listener once
  // no process uses the filter any more.
  // `before_answer` runs first with the name; when it returns false the call is left unanswered
  // (kill mode: the caller stays blocked in it until the sandbox's SIGKILL reaches it, so the
  // call never returns).
  std::optional<std::string> answer_one(
      const std::function<bool(const std::string&)>& before_answer = {});
  void close() { listener_.reset(); }

  // Refused calls by name, and how often.
  [[nodiscard]] const std::map<std::string, std::uint64_t>& refusals() const { return refusals_; }

 private:
  UniqueFd listener_;
  std::map<std::string, std::uint64_t> refusals_;
};

}  // namespace isotest
