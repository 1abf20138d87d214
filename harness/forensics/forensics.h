// Forensics (issue 14) as a launch extension (launcher/launch_extension.h): it tells why a test
// misbehaved. At a timeout, before the sandbox is signalled, it records every thread's stack
// (stack_collector.h); at the end it puts what it found into the result's `diagnostics`.
// `isotest run` plugs it in.
#pragma once

#include <chrono>
#include <optional>

#include "diagnostics.h"
#include "launch_extension.h"
#include "result.h"
#include "spec.h"

namespace isotest {

class Forensics : public LaunchExtension {
 public:
  explicit Forensics(const SandboxSpec& spec)
      : stacks_(spec.stacks), stacks_budget_(spec.stacks_timeout_ms) {}

  // Only a timeout makes work here: a launch that ends by itself costs nothing.
  void before_stop(const SandboxHandle& sandbox, KillReason why) override;
  // Adds what was collected to the result.
  void finish(RunResult& result) override;

 private:
  StackMode stacks_;
  std::chrono::milliseconds stacks_budget_;
  std::optional<Diagnostics> diagnostics_;
};

}  // namespace isotest
