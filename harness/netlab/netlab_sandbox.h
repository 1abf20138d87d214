// The sandbox's side of the network lab: what the sandbox child does before its go (capture
// socket, qdisc) and what its init does around the test (services). All of it allocation-free:
// it runs between clone and execve, on data the launcher prepared (network_lab.h).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

#include "child_error.h"
#include "exec_plan.h"

namespace isotest {

// For the sandbox child, after lo is up.
struct NetLabSandboxPlan {
  int capture_channel = -1;             // where the capture socket goes; -1: no capture
  const char* qdisc_request = nullptr;  // a whole RTM_NEWQDISC message, or null
  std::size_t qdisc_request_bytes = 0;
  const char* qdisc_kind = nullptr;  // "netem" or "tbf", for the error
};

bool set_up_network_lab(const NetLabSandboxPlan& plan, ChildError& error);

inline constexpr int kMaxServices = 16;

struct SandboxService {
  const char* name = nullptr;
  const ExecPlan* exec = nullptr;        // sh -c COMMAND
  const ExecPlan* ready_exec = nullptr;  // sh -c READY-COMMAND, or null
  std::uint16_t ready_port = 0;          // 0: no TCP check
  int output_fd = -1;                    // its stdout and stderr
};

struct SandboxServices {
  const SandboxService* list = nullptr;
  int count = 0;
  std::int64_t ready_timeout_ms = 0;
  std::int64_t stop_grace_ms = 0;
  int events_fd = -1;              // ServiceEvent records go here
  bool keep_capabilities = false;  // --root
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

// Init's record of its services.
struct ServicePids {
  pid_t pid[kMaxServices] = {};
};

// Starts each service in its own process group and waits until it is ready (within
// ready_timeout_ms each). False, with `error` naming the service, when one is not.
bool start_services(const SandboxServices& plan, ServicePids& pids, ChildError& error);
// Init reaped `pid`: if it was a service, tell the launcher it ended before the test did.
void note_service_exit(const SandboxServices* plan, ServicePids& pids, pid_t pid, int status);
// After the test: SIGTERM to each service's process group, SIGKILL after the grace period.
void stop_services(const SandboxServices* plan, ServicePids& pids);

}  // namespace isotest
