#include "capabilities.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace isotest {

namespace {

// The kernel numbers capabilities from 0 and refuses PR_CAPBSET_READ past the last it knows,
// so walking until EINVAL covers kernels newer than our headers.
constexpr int kCapabilityLimit = 64;

bool capability_sets(__user_cap_data_struct (&data)[_LINUX_CAPABILITY_U32S_3]) {
  __user_cap_header_struct header{.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  return ::syscall(SYS_capget, &header, data) == 0;
}

}  // namespace

bool set_no_new_privs(ChildError& error) {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0) return true;
  set_child_error(error, SetupStage::set_no_new_privs, nullptr, errno);
  return false;
}

bool drop_all_capabilities(ChildError& error) {
  for (int cap = 0; cap < kCapabilityLimit; ++cap) {
    if (::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0) break;  // past the kernel's last
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EPERM) {
      set_child_error(error, SetupStage::drop_bounding_set, nullptr, errno);
      return false;
    }
  }
  // Fails with EINVAL only on kernels without ambient capabilities (< 4.3), which have none.
  ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  __user_cap_header_struct header{.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capset, &header, none) != 0) {
    set_child_error(error, SetupStage::capset, nullptr, errno);
    return false;
  }
  __user_cap_data_struct left[_LINUX_CAPABILITY_U32S_3] = {};
  if (!capability_sets(left)) {
    set_child_error(error, SetupStage::capget, nullptr, errno);
    return false;
  }
  for (const auto& word : left) {
    if (word.effective != 0 || word.permitted != 0 || word.inheritable != 0) {
      set_child_error(error, SetupStage::drop_capabilities, "(some are still held)", EPERM);
      return false;
    }
  }
  return true;
}

}  // namespace isotest
