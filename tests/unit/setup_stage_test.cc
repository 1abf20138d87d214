#include "setup_stage.h"

#include <gtest/gtest.h>
#include <cerrno>
#include <string>

#include "child_error.h"
#include "mount_plan.h"

namespace isotest {
namespace {

// The names begin the result JSON's error.stage (docs/result-json.md, docs/troubleshooting.md):
// they never change.
TEST(SetupStage, NamesAreTheTextsTheJsonShows) {
  const std::pair<SetupStage, const char*> names[] = {
      {SetupStage::unnamed, ""},
      {SetupStage::resolve_working_directory, "resolve working directory"},
      {SetupStage::bring_up_lo, "bring up lo:"},
      {SetupStage::network_netlink_socket, "network conditions: netlink socket"},
      {SetupStage::add_qdisc, "network conditions: add qdisc"},
      {SetupStage::open_packet_socket, "capture: open packet socket"},
      {SetupStage::hand_over_packet_socket, "capture: hand the packet socket to the launcher"},
      {SetupStage::redirect_output, "redirect output"},
      {SetupStage::set_hostname, "set hostname"},
      {SetupStage::join_cgroup, "join cgroup"},
      {SetupStage::create_cgroup_namespace, "create cgroup namespace"},
      {SetupStage::create_time_namespace, "create time namespace:"},
      {SetupStage::set_time_offsets, "set time offsets:"},
      {SetupStage::mount, ""},
      {SetupStage::mount_proc, ""},
      {SetupStage::mount_tmpfs, ""},
      {SetupStage::mount_bind, ""},
      {SetupStage::init_signalfd, "init: signalfd"},
      {SetupStage::service, "service"},
      {SetupStage::init_fork_test, "init: fork the test"},
      {SetupStage::pass_fd, "pass fd to the test"},
      {SetupStage::chdir, "chdir to"},
      {SetupStage::set_no_new_privs, "set no_new_privs"},
      {SetupStage::drop_bounding_set, "drop capabilities: bounding set"},
      {SetupStage::capset, "drop capabilities: capset"},
      {SetupStage::capget, "drop capabilities: capget"},
      {SetupStage::drop_capabilities, "drop capabilities"},
      {SetupStage::install_seccomp_filter, "install seccomp filter"},
      {SetupStage::hand_over_seccomp_listener, "hand the seccomp listener to the launcher"},
      {SetupStage::exec, "exec"},
  };
  static_assert(std::size(names) == static_cast<std::size_t>(SetupStage::exec) + 1,
                "every stage is listed");
  for (const auto& [stage, name] : names) {
    EXPECT_EQ(setup_stage_name(stage), name) << static_cast<int>(stage);
  }
}

TEST(SetupStage, TextIsTheNameThenTheDetail) {
  EXPECT_EQ(setup_stage_text(SetupStage::exec, ""), "exec");
  EXPECT_EQ(setup_stage_text(SetupStage::chdir, "/work"), "chdir to /work");
  EXPECT_EQ(setup_stage_text(SetupStage::bring_up_lo, "socket"), "bring up lo: socket");
  EXPECT_EQ(setup_stage_text(SetupStage::mount_tmpfs, "mount tmpfs on /tmp"),
            "mount tmpfs on /tmp");
  EXPECT_EQ(setup_stage_text(SetupStage::unnamed, "probe"), "probe");
}

// The record the sandbox side fills between clone and execve, and the text the launcher makes
// of it.
TEST(ChildError, KeepsTheStageAndItsDetailApart) {
  ChildError error;
  set_child_error(error, SetupStage::service, "web", ETIMEDOUT);
  add_child_error_detail(error, "was not ready in time (--service-timeout)");
  EXPECT_EQ(error.step, SetupStage::service);
  EXPECT_STREQ(error.detail, "web was not ready in time (--service-timeout)");
  EXPECT_EQ(error.error_number, ETIMEDOUT);
  EXPECT_EQ(child_error_stage_text(error), "service web was not ready in time (--service-timeout)");

  set_child_error(error, SetupStage::exec, nullptr, ENOENT);
  EXPECT_EQ(error.step, SetupStage::exec);
  EXPECT_EQ(child_error_stage_text(error), "exec");

  set_child_error(error, "probe", "hung; killed after 5 s", ETIMEDOUT);
  EXPECT_EQ(error.step, SetupStage::unnamed);
  EXPECT_EQ(child_error_stage_text(error), "probe hung; killed after 5 s");

  const std::string long_directory(400, 'd');
  set_child_error(error, SetupStage::chdir, long_directory.c_str(), ENOENT);
  EXPECT_EQ(std::string(error.detail), long_directory.substr(0, sizeof error.detail - 1));
  add_child_error_detail(error, "more");
  EXPECT_EQ(std::string(error.detail), long_directory.substr(0, sizeof error.detail - 1));
}

// A mount's failure is told apart by what the plan says it is, not by its description's words:
// a path with "bind" in it is not a bind.
TEST(SetupStage, EachMountOfThePlanSaysWhatItIs) {
  SandboxSpec spec;
  spec.read_only_root = true;
  spec.binds.push_back({.source = "/srv/bindings", .target = "/data"});
  spec.tmpfs.push_back({.target = "/opt/bind"});
  const auto plan =
      plan_mounts(spec, {{.path = "/work", .why = "working directory", .writable = true}});
  auto stage_of = [&](const std::string& description) {
    for (const auto& op : plan.ops) {
      if (op.description == description) return op.stage;
    }
    ADD_FAILURE() << "no mount " << description;
    return SetupStage::unnamed;
  };
  EXPECT_EQ(stage_of("mount proc on /proc"), SetupStage::mount_proc);
  EXPECT_EQ(stage_of("mount tmpfs on /tmp"), SetupStage::mount_tmpfs);
  EXPECT_EQ(stage_of("mount tmpfs on /opt/bind"), SetupStage::mount_tmpfs);
  EXPECT_EQ(stage_of("bind /srv/bindings on /data"), SetupStage::mount_bind);
  EXPECT_EQ(stage_of("make mounts private"), SetupStage::mount);
  EXPECT_EQ(stage_of("make / read-only"), SetupStage::mount);
  EXPECT_EQ(stage_of("mount mqueue on /dev/mqueue"), SetupStage::mount);
  bool kept = false;
  for (const auto& op : plan.ops) {
    if (!op.description.starts_with("keep /work")) continue;
    kept = true;
    EXPECT_EQ(op.stage, SetupStage::mount) << "a path the command needs is not the user's bind";
  }
  EXPECT_TRUE(kept);
}

}  // namespace
}  // namespace isotest
