#include "fd_passing.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace isotest {

namespace {

// One byte carrying one fd; the control buffer is aligned as cmsghdr requires.
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

}  // namespace

int send_fd(int socket, int fd) {
  FdMessage packet;
  cmsghdr* header = CMSG_FIRSTHDR(&packet.message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(header), &fd, sizeof fd);
  ssize_t sent = 0;
  do {
    sent = ::sendmsg(socket, &packet.message, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  return sent == 1 ? 0 : errno;
}

namespace {

// One recvmsg: its result, and the fd it carried in `fd`.
ssize_t receive_once(int socket, int flags, UniqueFd& fd) {
  FdMessage packet;
  const ssize_t got = ::recvmsg(socket, &packet.message, MSG_CMSG_CLOEXEC | flags);
  const cmsghdr* header = got == 1 ? CMSG_FIRSTHDR(&packet.message) : nullptr;
  if (header != nullptr && header->cmsg_type == SCM_RIGHTS) {
    int received = -1;
    std::memcpy(&received, CMSG_DATA(header), sizeof received);
    fd.reset(received);
  }
  return got;
}

}  // namespace

std::optional<UniqueFd> receive_fd(int socket) {
  UniqueFd fd;
  while (receive_once(socket, 0, fd) < 0 && errno == EINTR) {
  }
  if (!fd.valid()) return std::nullopt;
  return fd;
}

bool try_receive_fd(int socket, UniqueFd& fd) {
  if (receive_once(socket, MSG_DONTWAIT, fd) < 0) return errno == EAGAIN || errno == EINTR;
  return false;
}

}  // namespace isotest
