#include "setup_stage.h"

namespace isotest {

std::string_view setup_stage_name(SetupStage stage) {
  switch (stage) {
    case SetupStage::unnamed:
    case SetupStage::mount:
    case SetupStage::mount_proc:
    case SetupStage::mount_tmpfs:
    case SetupStage::mount_bind:
      return "";
    case SetupStage::resolve_working_directory:
      return "resolve working directory";
    case SetupStage::bring_up_lo:
      return "bring up lo:";
    case SetupStage::network_netlink_socket:
      return "network conditions: netlink socket";
    case SetupStage::add_qdisc:
      return "network conditions: add qdisc";
    case SetupStage::open_packet_socket:
      return "capture: open packet socket";
    case SetupStage::hand_over_packet_socket:
      return "capture: hand the packet socket to the launcher";
    case SetupStage::redirect_output:
      return "redirect output";
    case SetupStage::set_hostname:
      return "set hostname";
    case SetupStage::join_cgroup:
      return "join cgroup";
    case SetupStage::create_cgroup_namespace:
      return "create cgroup namespace";
    case SetupStage::create_time_namespace:
      return "create time namespace:";
    case SetupStage::set_time_offsets:
      return "set time offsets:";
    case SetupStage::init_signalfd:
      return "init: signalfd";
    case SetupStage::service:
      return "service";
    case SetupStage::init_fork_test:
      return "init: fork the test";
    case SetupStage::pass_fd:
      return "pass fd to the test";
    case SetupStage::chdir:
      return "chdir to";
    case SetupStage::set_no_new_privs:
      return "set no_new_privs";
    case SetupStage::drop_bounding_set:
      return "drop capabilities: bounding set";
    case SetupStage::capset:
      return "drop capabilities: capset";
    case SetupStage::capget:
      return "drop capabilities: capget";
    case SetupStage::drop_capabilities:
      return "drop capabilities";
    case SetupStage::install_seccomp_filter:
      return "install seccomp filter";
    case SetupStage::hand_over_seccomp_listener:
      return "hand the seccomp listener to the launcher";
    case SetupStage::exec:
      return "exec";
  }
  return "";
}

std::string setup_stage_text(SetupStage stage, std::string_view detail) {
  std::string text(setup_stage_name(stage));
  if (!text.empty() && !detail.empty()) text += ' ';
  text += detail;
  return text;
}

}  // namespace isotest
