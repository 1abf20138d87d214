#include "network.h"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "unique_fd.h"

namespace isotest {

bool configure_network(NetworkMode mode, ChildError& error) {
  if (mode != NetworkMode::loopback) return true;
  // A fresh network namespace has `lo` down; raising IFF_UP makes the kernel add 127.0.0.1/8
  // and ::1 by itself, so one ioctl is all it takes (no netlink needed).
  const UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) {
    set_child_error(error, SetupStage::bring_up_lo, "socket", errno);
    return false;
  }
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  bool ok = ::ioctl(sock.get(), SIOCGIFFLAGS, &request) == 0;
  if (ok) {
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP | IFF_RUNNING);
    ok = ::ioctl(sock.get(), SIOCSIFFLAGS, &request) == 0;
  }
  if (!ok) set_child_error(error, SetupStage::bring_up_lo, "SIOCSIFFLAGS", errno);
  return ok;
}

}  // namespace isotest
