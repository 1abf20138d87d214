// The network lab (issue 15) as a launch extension: a packet capture of the sandbox's network
// namespace, network conditions on its lo, and services started in the sandbox before the test.
// Shaped after the LaunchExtension interface of docs/architecture.md (adjust the plan before the
// clone, the sandbox-side steps, watched fds, finish the result); until the launcher has that
// interface it calls these members at the places marked `extension hook (issue 15)`.
//
// Where each part runs, and why:
//  - The capture socket and the qdisc are set up by the sandbox child before the launcher's go
//    (sandbox_child.cc): both need the sandbox's CAP_NET_RAW / CAP_NET_ADMIN in its own network
//    namespace, which the launcher cannot enter unprivileged, and both must be in place before
//    the test's first packet. Both are allocation-free there: the socket is one syscall and the
//    netlink request is built here, before the clone, so the child only sends ready bytes.
//  - Services are started by the sandbox's init (init.cc), before it starts the test: they share
//    the test's namespaces, init reaps them and learns at once when one exits, and their
//    readiness (a connect to 127.0.0.1:PORT) can only be checked from inside the namespace.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "exec_plan.h"
#include "netlab_sandbox.h"
#include "packet_capture.h"
#include "result.h"
#include "spec.h"
#include "unique_fd.h"

namespace isotest {

class NetworkLab {
 public:
  // Checks the destinations (the capture file) before the run: throws SetupFailure.
  explicit NetworkLab(const SandboxSpec& spec);
  NetworkLab(const NetworkLab&) = delete;
  NetworkLab& operator=(const NetworkLab&) = delete;
  ~NetworkLab();

  // Before the clone: the sandbox's steps, as data. `spec` is the one the test runs with
  // (environment and working directory of the services follow it).
  void adjust(const SandboxSpec& spec, char* const* environment,
              const std::string& working_directory);
  [[nodiscard]] const NetLabSandboxPlan* sandbox_plan() const {
    return active_ ? &sandbox_plan_ : nullptr;
  }
  [[nodiscard]] const SandboxServices* sandbox_services() const {
    return services_.empty() ? nullptr : &sandbox_services_;
  }
  // After the clone: drop the sandbox's ends.
  void after_clone();
  // Once the sandbox is released: take the capture socket it sends.
  void after_release();

  // The fds the supervision loop watches, and what to do when one is ready.
  [[nodiscard]] std::vector<int> watched_fds() const;
  void on_ready(int fd);
  // A reason to stop the test now ("service"), once; nullopt otherwise.
  std::optional<HarnessKill> stop_request();
  // Init has exited: read what is left.
  void drain();
  // The result's capture, network_conditions and services; the capture file is written here.
  void finish(RunResult& result);

 private:
  struct Service;

  void read_service_events();

  bool active_ = false;
  NetLabRequest request_;
  std::string capture_path_;  // absolute
  std::optional<PacketCapture> capture_;
  UniqueFd capture_channel_;          // our end
  UniqueFd capture_channel_sandbox_;  // the sandbox's end, closed after the clone
  std::vector<char> qdisc_request_;
  std::string qdisc_kind_;
  NetLabSandboxPlan sandbox_plan_;
  std::vector<std::unique_ptr<Service>> services_;
  std::vector<SandboxService> sandbox_service_list_;
  SandboxServices sandbox_services_;
  UniqueFd service_events_;          // read end
  UniqueFd service_events_sandbox_;  // write end, for init
  std::optional<HarnessKill> stop_;
  bool stop_reported_ = false;
};

// The setup error for a failure of the sandbox's network-lab steps (a service not ready, a
// discipline this kernel lacks), naming the fix; nullopt for another step's failure.
std::optional<SetupError> describe_network_lab_error(const ChildError& error);

}  // namespace isotest
