// The sandbox's user namespace id maps, as a value (written by sandbox/user_namespace.h).
#pragma once

#include <sys/types.h>

#include <string>

namespace isotest {

struct IdMaps {
  std::string uid_map;  // "inside outside 1"
  std::string gid_map;
  bool deny_setgroups = false;  // required before gid_map unless we hold CAP_SETGID outside
};

// The caller's ids (`uid`, `gid`: effective) map to themselves, or to 0 with --root.
IdMaps plan_id_maps(bool map_root, uid_t uid, gid_t gid);

}  // namespace isotest
