// The sandbox's side of the network lab: what the sandbox child does before its go (capture
// socket, qdisc) and what its init does around the test (services), as sandbox steps
// (plan/launch_plan.h: SandboxStep) that NetworkLab adds to the plan. All of it allocation-free:
// it runs between clone and execve, on data prepared before the clone (network_lab.h).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

#include "child_error.h"
#include "prepared_exec.h"

namespace isotest {

// For the sandbox child, after lo is up.
struct NetLabSandboxPlan {
  int capture_channel = -1;             // where the capture socket goes; -1: no capture
  const char* qdisc_request = nullptr;  // a whole RTM_NEWQDISC message, or null
  std::size_t qdisc_request_bytes = 0;
  const char* qdisc_kind = nullptr;  // "netem" or "tbf", for the error
};

// Step (before_release), on a NetLabSandboxPlan: the qdisc, then the capture socket.
bool set_up_network_lab(void* context, ChildError& error);

inline constexpr int kMaxServices = 16;

struct SandboxService {
  const char* name = nullptr;
  const PreparedExec* exec = nullptr;        // sh -c COMMAND
  const PreparedExec* ready_exec = nullptr;  // sh -c READY-COMMAND, or null
  std::uint16_t ready_port = 0;              // 0: no TCP check
  int output_fd = -1;                        // its stdout and stderr
};

// Init's record of its services.
struct ServicePids {
  pid_t pid[kMaxServices] = {};
};

struct SandboxServices {
  const SandboxService* list = nullptr;
  int count = 0;
  std::int64_t ready_timeout_ms = 0;
  std::int64_t stop_grace_ms = 0;
  int events_fd = -1;              // ServiceEvent records go here
  bool keep_capabilities = false;  // --root
  ServicePids pids;                // init's own copy, filled in as it starts them
};

// What init tells the launcher about the services, one fixed-size record each.
struct ServiceEvent {
  enum Kind : std::int32_t { started = 1, ready = 2, exited_early = 3, stopped = 4 };
  std::int32_t index = 0;
  Kind kind = started;
  std::int32_t value = 0;  // started: the pid; exited_early, stopped: the wait status
  std::int32_t reserved = 0;
  double ms = 0;  // ready: since the service started
};

// Steps on a SandboxServices, in init. start_services (before_test): starts each service in
// its own process group and waits until it is ready (within ready_timeout_ms each); false, with
// `error` naming the service, when one is not. note_service_exit (reaped): if `pid` was a
// service, tells the launcher it ended before the test did. stop_services (test_ended): SIGTERM
// to each service's process group, SIGKILL after the grace period.
bool start_services(void* context, ChildError& error);
void note_service_exit(void* context, pid_t pid, int status);
void stop_services(void* context);

}  // namespace isotest
