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

#include "fd_passing.h"
#include "setup_error.h"

namespace isotest {

std::vector<std::string> check_seccomp_allow(const std::vector<std::string>& names) {
  std::vector<std::string> problems;
  for (const auto& name : names) {
    if (is_refused_by_default(canonical_syscall_name(name))) continue;
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
  for (const auto& name : spec.seccomp_allow) allowed.push_back(canonical_syscall_name(name));
  for (const auto& entry : default_refused_syscalls()) {
    if (std::find(allowed.begin(), allowed.end(), entry.name) == allowed.end()) {
      filter.refused.emplace_back(entry.name);
    }
  }
  // The whole list is the program the build compiled; only a shortened one is compiled here.
  const auto prebuilt = default_seccomp_program();
  if (filter.refused.size() == default_refused_syscalls().size() && !prebuilt.empty()) {
    filter.program.assign(prebuilt.begin(), prebuilt.end());
  } else {
    filter.program = compile_seccomp_program(filter.refused);
  }
  return filter;
}

bool install_seccomp_filter(const SeccompFilter& filter, int socket, ChildError& error) {
  if (filter.program.empty()) return true;
  sock_fprog program{.len = static_cast<unsigned short>(filter.program.size()),
                     .filter = const_cast<sock_filter*>(filter.program.data())};
  const long listener =
      ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &program);
  if (listener < 0) {
    set_child_error(error, SetupStage::install_seccomp_filter, nullptr, errno);
    return false;
  }
  const int fd = static_cast<int>(listener);
  const int send_error = send_fd(socket, fd);
  ::close(fd);  // the launcher holds it now; a refused call without a listener would fail ENOSYS
  if (send_error != 0) {
    set_child_error(error, SetupStage::hand_over_seccomp_listener, nullptr, send_error);
    return false;
  }
  return true;
}

bool SeccompListener::receive(int socket) {
  return try_receive_fd(socket, listener_);
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
