// What the default seccomp filter refuses, and its compilation to classic BPF by libseccomp.
// Kept apart from the filter's installation so that the build can compile the default program
// once (seccomp_program_gen.cc) instead of every launch paying libseccomp's ~0.4 ms for it.
#pragma once

#include <linux/filter.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace isotest {

// The one rule on a call's arguments: socket(2) for the AF_VSOCK family.
inline constexpr std::string_view kVsock = "socket(AF_VSOCK)";

struct RefusedSyscall {
  std::string_view name;  // as libseccomp and syscalls(2) name it; kVsock is special
  std::string_view why;
};

// The default list, in the order docs/security.md explains it.
std::span<const RefusedSyscall> default_refused_syscalls();

bool is_refused_by_default(std::string_view name);

// The name as the list spells it ("socket" stands for kVsock).
std::string canonical_syscall_name(std::string_view name);

// A filter that raises a user notification for each call in `refused` (names from the list)
// and allows everything else; calls of architectures it does not cover fail with ENOSYS.
// Throws SetupFailure when libseccomp cannot build it.
std::vector<sock_filter> compile_seccomp_program(const std::vector<std::string>& refused);

}  // namespace isotest
