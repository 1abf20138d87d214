// Forensics (issue 14) as an extension of a launch: it tells why a test misbehaved. At a timeout,
// before the sandbox is signalled, it records every thread's stack (stack_collector.h); at the
// end it puts what it found into the result's `diagnostics`.
//
// Shaped like the LaunchExtension of docs/architecture.md (before_stop, finish); until that
// interface exists the launcher calls these directly, at the places marked
// "extension hook (issue 14)".
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string_view>

#include "diagnostics.h"
#include "result.h"
#include "spec.h"

namespace isotest {

class Forensics {
 public:
  explicit Forensics(const SandboxSpec& spec)
      : stacks_(spec.stacks), stacks_budget_(spec.stacks_timeout_ms) {}

  // The launcher is about to signal the sandbox whose init is `init_host_pid`, because of
  // `reason` ("timeout"). Only then is there any work: a launch that ends by itself costs
  // nothing here.
  void before_stop(pid_t init_host_pid, std::string_view reason);

  // Adds what was collected to the result.
  void finish(RunResult& result);

 private:
  StackMode stacks_;
  std::chrono::milliseconds stacks_budget_;
  std::optional<Diagnostics> diagnostics_;
};

}  // namespace isotest
