// The network lab (issue 15) as a launch extension (launcher/launch_extension.h): a packet
// capture of the sandbox's network namespace, network conditions on its lo, and services started
// in the sandbox before the test. `isotest run` plugs it in.
//
// Where each part runs, and why:
//  - The capture socket and the qdisc are a sandbox step of phase before_release
//  (netlab_sandbox.h):
//    both need the sandbox's CAP_NET_RAW / CAP_NET_ADMIN in its own network namespace, which the
//    launcher cannot enter unprivileged, and both must be in place before the test's first
//    packet. Both are allocation-free there: the socket is one syscall and the netlink request is
//    built in adjust(), before the clone, so the sandbox only sends ready bytes.
//  - Services are a step of the sandbox's init (phase before_test), before it starts the test:
//    they share the test's namespaces, init reaps them and learns at once when one exits (the
//    step's `reaped`), stops them after the test (`test_ended`), and their readiness (a connect
//    to 127.0.0.1:PORT) can only be checked from inside the namespace.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "launch_extension.h"
#include "netlab_request.h"
#include "netlab_sandbox.h"
#include "packet_capture.h"
#include "result.h"
#include "unique_fd.h"

namespace isotest {

class NetworkLab : public LaunchExtension {
 public:
  explicit NetworkLab(NetLabRequest request);
  ~NetworkLab() override;

  // Checks the destination (the capture file) first: throws SetupFailure. Then the sandbox's
  // steps, as data; the services run with the test's environment and working directory.
  void adjust(LaunchPlan& plan) override;
  // Drops the sandbox's ends, takes the capture socket the sandbox sent, and watches it, the
  // services' events and their output.
  void watch(FdWatchList& fds) override;
  // "service", once, when a service the test relies on has exited.
  std::optional<HarnessKill> stop_request() override;
  // A failure of the sandbox's network-lab steps (a service not ready, a discipline this kernel
  // lacks), naming the fix.
  [[nodiscard]] std::optional<SetupError> explain(const ChildError& error) const override;
  // The result's capture, network_conditions and services; the capture file is written here.
  void finish(RunResult& result) override;

 private:
  struct Service;

  [[nodiscard]] bool read_service_events();
  [[nodiscard]] static bool read_service_output(Service& service);

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

}  // namespace isotest
