// The steps of building and starting a sandbox, as code tells them apart: to choose a failure's
// hint, `isotest run`'s exit status (126/127 only for exec), who words it (an extension's own
// steps), whether `isotest doctor` is worth suggesting. One name table, setup_stage_name(): a
// failed step's text, which the result JSON shows as error.stage ("exec", "chdir to /work",
// "bring up lo: socket"), is its name followed by its detail.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace isotest {

enum class SetupStage : std::uint8_t {
  unnamed,  // a step nothing tells apart: its detail is its whole text
  // The launcher, before the clone.
  resolve_working_directory,
  // The sandbox child, from clone to the launcher's go.
  bring_up_lo,
  network_netlink_socket,  // the network lab's qdisc
  add_qdisc,               // detail: the queueing discipline ("netem", "tbf")
  open_packet_socket,      // the network lab's capture
  hand_over_packet_socket,
  redirect_output,
  set_hostname,
  join_cgroup,
  create_cgroup_namespace,
  create_time_namespace,
  set_time_offsets,
  // A step of the mount plan: no name of its own, its detail is the mount's description
  // ("mount tmpfs on /tmp", "bind /src on /dst").
  mount,
  mount_proc,
  mount_tmpfs,
  mount_bind,  // a bind the user (--bind) or an extension asked for
  // The sandbox's init, then the test's process up to its execve.
  init_signalfd,
  service,  // detail: the service's name and what went wrong ("web exited before it was ready")
  init_fork_test,
  pass_fd,
  chdir,  // detail: the directory
  set_no_new_privs,
  drop_bounding_set,
  capset,
  capget,
  drop_capabilities,  // detail: "(some are still held)"
  install_seccomp_filter,
  hand_over_seccomp_listener,
  exec,
};

// The text a failure of STAGE begins with: "exec", "chdir to", "bring up lo:"; empty for unnamed
// and the mount plan's steps.
std::string_view setup_stage_name(SetupStage stage);

// The step's whole text: its name, then DETAIL after a space (when both are there).
std::string setup_stage_text(SetupStage stage, std::string_view detail);

}  // namespace isotest
