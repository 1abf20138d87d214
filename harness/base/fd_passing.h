// One fd handed from the sandbox to the launcher over a socketpair (SCM_RIGHTS): the seccomp
// filter's listener, the capture socket. The sandbox's
// capture socket must be opened inside its network namespace, where the sandbox holds
// CAP_NET_RAW; the launcher cannot enter that namespace unprivileged (setns needs CAP_SYS_ADMIN
// in the namespace's owning user namespace, which is the sandbox's, not ours).
#pragma once

#include <optional>

#include "unique_fd.h"

namespace isotest {

// Sandbox side, allocation-free: 0 or the errno of sendmsg.
int send_fd(int socket, int fd);

// Launcher side, blocking: the fd, or nullopt when the sandbox closed its end without one.
std::optional<UniqueFd> receive_fd(int socket);

// Launcher side, non-blocking: true while it is worth polling again (nothing there yet); false
// once `socket` is finished with: `fd` holds what came, or stays empty when the sandbox closed
// its end without one.
bool try_receive_fd(int socket, UniqueFd& fd);

}  // namespace isotest
