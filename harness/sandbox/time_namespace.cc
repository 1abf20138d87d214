#include "time_namespace.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace isotest {

bool enter_time_namespace_for_children(std::int64_t offset_seconds, ChildError& error) {
  if (::unshare(CLONE_NEWTIME) != 0) {
    set_child_error(error, SetupStage::create_time_namespace, "unshare(CLONE_NEWTIME)", errno);
    return false;
  }
  char text[96];
  int length =
      std::snprintf(text, sizeof text, "monotonic %lld 0\nboottime %lld 0\n",
                    static_cast<long long>(offset_seconds), static_cast<long long>(offset_seconds));
  int fd = ::open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    set_child_error(error, SetupStage::set_time_offsets, "open /proc/self/timens_offsets", errno);
    return false;
  }
  bool ok = ::write(fd, text, static_cast<std::size_t>(length)) == length;
  if (!ok)
    set_child_error(error, SetupStage::set_time_offsets, "write /proc/self/timens_offsets", errno);
  ::close(fd);
  return ok;
}

}  // namespace isotest
