// Forensics (issue 14) as a launch extension (launcher/launch_extension.h): it tells why a test
// misbehaved. At a timeout, before the sandbox is signalled, it records every thread's stack
// (stack_collector.h). When the test dies of a fatal signal it gives the crash site: the
// GoogleTest plugin's report (read by gtest/), whose frames it names, or else the core the
// kernel wrote (core_dump.h), for which adjust() lets the test dump core. At the end it puts
// what it found into the result's `diagnostics`. `isotest run` plugs it in after GtestExtension.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core_dump.h"
#include "diagnostics.h"
#include "launch_extension.h"
#include "result.h"
#include "spec.h"

namespace isotest {

class Forensics : public LaunchExtension {
 public:
  explicit Forensics(const SandboxSpec& spec)
      : stacks_(spec.stacks), stacks_budget_(spec.stacks_timeout_ms), core_mode_(spec.crash_core) {}

  // Where core_pattern writes a plain file (and --crash-core allows it): a sandbox step that
  // raises the test's RLIMIT_CORE, so that a crash leaves a core to read.
  void adjust(LaunchPlan& plan) override;
  // Only a timeout makes work here: a launch that ends by itself costs nothing.
  void before_stop(const SandboxHandle& sandbox, KillReason why) override;
  // Adds what was collected to the result: the stacks of a timeout; the crash site, the
  // plugin's frames named, or read from the core when the plugin did not report the crash.
  void finish(RunResult& result) override;

 private:
  StackMode stacks_;
  std::chrono::milliseconds stacks_budget_;
  CoreMode core_mode_;
  std::string executable_;
  std::optional<CoreCapture> core_;
  std::optional<Diagnostics> diagnostics_;
};

}  // namespace isotest
