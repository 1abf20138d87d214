#include "id_maps.h"

namespace isotest {

IdMaps plan_id_maps(bool map_root, uid_t uid, gid_t gid) {
  IdMaps maps;
  maps.uid_map = std::to_string(map_root ? 0 : uid) + " " + std::to_string(uid) + " 1";
  maps.gid_map = std::to_string(map_root ? 0 : gid) + " " + std::to_string(gid) + " 1";
  // Without CAP_SETGID in the parent namespace the kernel takes a gid_map only after setgroups
  // is denied (user_namespaces(7)); root has it.
  maps.deny_setgroups = uid != 0;
  return maps;
}

}  // namespace isotest
