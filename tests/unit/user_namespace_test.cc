#include "user_namespace.h"

#include <unistd.h>

#include <gtest/gtest.h>

namespace isotest {
namespace {

TEST(IdMaps, CallerMapsToItselfByDefault) {
  auto maps = plan_id_maps(false, ::geteuid(), ::getegid());
  auto uid = std::to_string(::geteuid());
  auto gid = std::to_string(::getegid());
  EXPECT_EQ(maps.uid_map, uid + " " + uid + " 1");
  EXPECT_EQ(maps.gid_map, gid + " " + gid + " 1");
  EXPECT_EQ(maps.deny_setgroups, ::geteuid() != 0);
}

TEST(IdMaps, RootMapsCallerToZero) {
  auto maps = plan_id_maps(true, ::geteuid(), ::getegid());
  EXPECT_EQ(maps.uid_map, "0 " + std::to_string(::geteuid()) + " 1");
  EXPECT_EQ(maps.gid_map, "0 " + std::to_string(::getegid()) + " 1");
}

TEST(NamespaceRefusal, AlwaysPointsSomewhere) {
  EXPECT_FALSE(explain_namespace_refusal(EPERM).empty());
  EXPECT_NE(explain_namespace_refusal(ENOSPC).find("max_user_namespaces"), std::string::npos);
}

}  // namespace
}  // namespace isotest
