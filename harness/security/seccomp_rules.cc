#include "seccomp_rules.h"

#include <seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "setup_error.h"
#include "unique_fd.h"

namespace isotest {

namespace {

// Why each call is refused: what it reaches that no namespace isolates. Most of them already
// need a capability in the initial user namespace, which a sandbox never has unless it shares
// the host's user namespace as root; the filter is the second wall, and the one that names the
// call in the result.
constexpr RefusedSyscall kRefused[] = {
    {"keyctl", "kernel keyrings are shared across namespaces (isolate, Docker)"},
    {"add_key", "kernel keyrings"},
    {"request_key", "kernel keyrings"},
    {"kexec_load", "replaces the running kernel"},
    {"kexec_file_load", "replaces the running kernel"},
    {"init_module", "loads code into the host's kernel"},
    {"finit_module", "loads code into the host's kernel"},
    {"delete_module", "unloads the host's kernel modules"},
    {"bpf", "eBPF programs and maps are kernel-wide"},
    {"perf_event_open", "host-wide performance counters, a side channel"},
    {"userfaultfd", "no test needs it; kernel exploits use it to win races"},
    {"iopl", "raw I/O port access"},
    {"ioperm", "raw I/O port access"},
    {"swapon", "the host's swap"},
    {"swapoff", "the host's swap"},
    {"reboot", "the machine, outside a PID namespace"},
    {"acct", "host-wide process accounting"},
    {"settimeofday",
     "CLOCK_REALTIME is not namespaced (time namespaces offset only "
     "CLOCK_MONOTONIC and CLOCK_BOOTTIME)"},
    {"clock_settime", "CLOCK_REALTIME is not namespaced"},
    {"stime", "CLOCK_REALTIME is not namespaced (32-bit x86 only)"},
    {"quotactl", "disk quotas of host file systems"},
    {"quotactl_fd", "disk quotas of host file systems"},
    {"nfsservctl", "the kernel NFS server (removed from Linux 3.1; refused anyway)"},
    {"lookup_dcookie", "kernel profiling cookies"},
    {"open_by_handle_at", "opens files by handle, past mount confinement (the Shocker escape)"},
    {"syslog", "the host's kernel log"},
    {kVsock, "reaches the hypervisor and its other guests; no namespace isolates it"},
};

struct ContextDeleter {
  void operator()(void* context) const { seccomp_release(context); }
};
using Context = std::unique_ptr<void, ContextDeleter>;

[[noreturn]] void fail(const char* what, int result) {
  throw_error("seccomp", -result, std::string("libseccomp: ") + what,
              "run with --seccomp off, and report the problem");
}

// The rules for one architecture. AF_VSOCK can only be matched where socket(2) is its own call:
// 32-bit x86 may go through socketcall(2), whose arguments a filter cannot read.
Context context_for(std::uint32_t arch, const std::vector<std::string>& names) {
  Context context(seccomp_init(SCMP_ACT_ALLOW));
  if (!context) fail("seccomp_init", -ENOMEM);
  // Calls of an architecture the filter does not cover (x32 on x86_64) fail as on a kernel
  // built without it.
  if (int result = seccomp_attr_set(context.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS));
      result != 0) {
    fail("set the action for foreign architectures", result);
  }
  // A binary tree of comparisons instead of a list: fewer instructions for the kernel to run on
  // every call, and to check when it installs the filter.
  if (int result = seccomp_attr_set(context.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2); result != 0) {
    fail("ask for a binary-tree filter", result);
  }
  if (arch != SCMP_ARCH_NATIVE) {
    if (int result = seccomp_arch_add(context.get(), arch); result != 0) fail("add arch", result);
    if (int result = seccomp_arch_remove(context.get(), SCMP_ARCH_NATIVE); result != 0) {
      fail("remove native arch", result);
    }
  }
  for (const auto& name : names) {
    if (name == kVsock) {
      if (arch != SCMP_ARCH_NATIVE) continue;
      int result = seccomp_rule_add(context.get(), SCMP_ACT_NOTIFY, SCMP_SYS(socket), 1,
                                    SCMP_A0(SCMP_CMP_EQ, AF_VSOCK));
      if (result != 0) fail("rule for socket(AF_VSOCK)", result);
      continue;
    }
    const int number = seccomp_syscall_resolve_name(name.c_str());
    if (number == __NR_SCMP_ERROR) continue;  // unknown to this libseccomp: nothing to refuse
    if (int result = seccomp_rule_add(context.get(), SCMP_ACT_NOTIFY, number, 0); result != 0) {
      fail(("rule for " + name).c_str(), result);
    }
  }
  return context;
}

std::vector<sock_filter> export_program(void* context) {
  UniqueFd memory(::memfd_create("isotest-seccomp", MFD_CLOEXEC));
  if (!memory.valid()) throw_errno("seccomp", "memfd_create for the filter program");
  if (int result = seccomp_export_bpf(context, memory.get()); result != 0) {
    fail("export the filter", result);
  }
  const off_t size = ::lseek(memory.get(), 0, SEEK_END);
  if (size <= 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0) {
    fail("export the filter (odd size)", -EINVAL);
  }
  std::vector<sock_filter> program(static_cast<std::size_t>(size) / sizeof(sock_filter));
  if (::pread(memory.get(), program.data(), static_cast<std::size_t>(size), 0) != size) {
    throw_errno("seccomp", "read back the filter program");
  }
  return program;
}

}  // namespace

std::span<const RefusedSyscall> default_refused_syscalls() {
  return kRefused;
}

bool is_refused_by_default(std::string_view name) {
  return std::any_of(std::begin(kRefused), std::end(kRefused),
                     [&](const RefusedSyscall& entry) { return entry.name == name; });
}

// "socket" is accepted for the AF_VSOCK rule: it is the only socket rule.
std::string canonical_syscall_name(std::string_view name) {
  if (name == "socket") return std::string(kVsock);
  return std::string(name);
}

std::vector<sock_filter> compile_seccomp_program(const std::vector<std::string>& refused) {
  Context native = context_for(SCMP_ARCH_NATIVE, refused);
#if defined(__x86_64__)
  // 32-bit calls (int $0x80) from any process, and 32-bit test programs, meet the same rules.
  Context x86 = context_for(SCMP_ARCH_X86, refused);
  if (int result = seccomp_merge(native.get(), x86.release()); result != 0) {
    fail("merge the x86 rules", result);
  }
#endif
  return export_program(native.get());
}

}  // namespace isotest
