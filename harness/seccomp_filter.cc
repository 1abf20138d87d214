#include "seccomp_filter.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "setup_error.h"

namespace isotest {

namespace {

// One byte carrying one fd (SCM_RIGHTS): how the sandbox hands the filter's listener over.
// Points into itself, so it stays where it was made.
struct FdMessage {
  char byte = 0;
  iovec payload{.iov_base = &byte, .iov_len = 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr message{};

  FdMessage() {
    message.msg_iov = &payload;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
  }
  FdMessage(const FdMessage&) = delete;
  FdMessage& operator=(const FdMessage&) = delete;
};

constexpr std::string_view kVsock = "socket(AF_VSOCK)";

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

bool is_refused_by_default(std::string_view name) {
  return std::any_of(std::begin(kRefused), std::end(kRefused),
                     [&](const RefusedSyscall& entry) { return entry.name == name; });
}

// "socket" is accepted for the AF_VSOCK rule: it is the only socket rule.
std::string canonical_name(std::string_view name) {
  if (name == "socket") return std::string(kVsock);
  return std::string(name);
}

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

std::vector<std::string> check_seccomp_allow(const std::vector<std::string>& names) {
  std::vector<std::string> problems;
  for (const auto& name : names) {
    if (is_refused_by_default(canonical_name(name))) continue;
    problems.push_back("--seccomp-allow: `" + name +
                       "` is not refused by default, so there is nothing to allow; the refused "
                       "calls are listed in docs/security.md");
  }
  return problems;
}

SeccompFilter build_seccomp_filter(const SandboxSpec& spec) {
  SeccompFilter filter;
  filter.mode = spec.seccomp;
  if (spec.seccomp == SeccompMode::off) return filter;
  std::vector<std::string> allowed;
  for (const auto& name : spec.seccomp_allow) allowed.push_back(canonical_name(name));
  for (const auto& entry : kRefused) {
    if (std::find(allowed.begin(), allowed.end(), entry.name) == allowed.end()) {
      filter.refused.emplace_back(entry.name);
    }
  }
  Context native = context_for(SCMP_ARCH_NATIVE, filter.refused);
#if defined(__x86_64__)
  // 32-bit calls (int $0x80) from any process, and 32-bit test programs, meet the same rules.
  Context x86 = context_for(SCMP_ARCH_X86, filter.refused);
  if (int result = seccomp_merge(native.get(), x86.release()); result != 0) {
    fail("merge the x86 rules", result);
  }
#endif
  filter.program = export_program(native.get());
  return filter;
}

bool install_seccomp_filter(const SeccompFilter& filter, int socket, ChildError& error) {
  if (filter.program.empty()) return true;
  sock_fprog program{.len = static_cast<unsigned short>(filter.program.size()),
                     .filter = const_cast<sock_filter*>(filter.program.data())};
  const long listener =
      ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &program);
  if (listener < 0) {
    set_child_error(error, "install seccomp filter", nullptr, errno);
    return false;
  }
  const int fd = static_cast<int>(listener);
  FdMessage packet;
  msghdr& message = packet.message;
  cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(header), &fd, sizeof fd);
  ssize_t sent = 0;
  do {
    sent = ::sendmsg(socket, &message, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  const int send_error = errno;
  ::close(fd);  // the launcher holds it now; a refused call without a listener would fail ENOSYS
  if (sent != 1) {
    set_child_error(error, "hand the seccomp listener to the launcher", nullptr, send_error);
    return false;
  }
  return true;
}

bool SeccompListener::receive(int socket) {
  FdMessage packet;
  msghdr& message = packet.message;
  const ssize_t got = ::recvmsg(socket, &message, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  if (got < 0) return errno == EAGAIN || errno == EINTR;
  const cmsghdr* header = CMSG_FIRSTHDR(&message);
  if (got == 1 && header != nullptr && header->cmsg_type == SCM_RIGHTS) {
    int fd = -1;
    std::memcpy(&fd, CMSG_DATA(header), sizeof fd);
    listener_.reset(fd);
  }
  return false;
}

std::optional<std::string> SeccompListener::answer_one(
    const std::function<bool(const std::string&)>& before_answer) {
  if (!listener_.valid()) return std::nullopt;
  seccomp_notif* request = nullptr;
  seccomp_notif_resp* response = nullptr;
  if (seccomp_notify_alloc(&request, &response) != 0) return std::nullopt;
  std::unique_ptr<seccomp_notif, void (*)(seccomp_notif*)> owned_request(
      request, [](seccomp_notif* pointer) { seccomp_notify_free(pointer, nullptr); });
  std::unique_ptr<seccomp_notif_resp, void (*)(seccomp_notif_resp*)> owned_response(
      response, [](seccomp_notif_resp* pointer) { seccomp_notify_free(nullptr, pointer); });
  if (int result = seccomp_notify_receive(listener_.get(), request); result != 0) {
    // ENOENT: the caller died before we read it. Anything else: the filter has no users left.
    if (result != -ENOENT && result != -EINTR) listener_.reset();
    return std::nullopt;
  }
  std::string name;
  if (request->data.nr == SCMP_SYS(socket) && request->data.arch == seccomp_arch_native()) {
    name = kVsock;
  } else {
    char* resolved = seccomp_syscall_resolve_num_arch(request->data.arch, request->data.nr);
    name = resolved != nullptr ? resolved : "syscall " + std::to_string(request->data.nr);
    std::free(resolved);
  }
  ++refusals_[name];
  if (before_answer && !before_answer(name)) return name;
  response->id = request->id;
  response->error = -EPERM;
  response->val = 0;
  response->flags = 0;
  // Fails with ENOENT when the caller died meanwhile: nothing to answer.
  static_cast<void>(seccomp_notify_respond(listener_.get(), response));
  return name;
}

}  // namespace isotest
