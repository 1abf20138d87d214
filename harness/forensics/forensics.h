// Forensics (issue 14) as a launch extension (launcher/launch_extension.h): it tells why a test
// misbehaved. At a timeout, before the sandbox is signalled, it records every thread's stack
// (stack_collector.h). When the test dies of a fatal signal it gives the crash site: the
// GoogleTest plugin's report (read by gtest/), whose frames it names, or else the core the
// kernel wrote (core_dump.h), for which adjust() lets the test dump core. At the end it puts
// what it found into the result's `diagnostics`, and with --artifacts it hands the stack dump and
// the core to the ArtifactsKeeper, which keeps them with the run's files (DIR/forensics/).
// `isotest run` plugs it in after GtestExtension and before the ArtifactsKeeper.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "artifacts_keeper.h"
#include "core_dump.h"
#include "diagnostics.h"
#include "launch_extension.h"
#include "result.h"
#include "spec.h"

namespace isotest {

// The stack dump's name among the kept files: DIR/forensics/stacks.txt.
inline constexpr const char* kStackDumpName = "stacks.txt";

class Forensics : public LaunchExtension {
 public:
  // `artifacts`: the run's ArtifactsKeeper, whose finish comes after this one's; null without
  // one.
  explicit Forensics(const SandboxSpec& spec, ArtifactsKeeper* artifacts = nullptr)
      : stacks_(spec.stacks),
        stacks_budget_(spec.stacks_timeout_ms),
        core_mode_(spec.crash_core),
        artifacts_(artifacts) {}

  // Where core_pattern writes a plain file (and --crash-core allows it): a sandbox step that
  // raises the test's RLIMIT_CORE, so that a crash leaves a core to read.
  void adjust(LaunchPlan& plan) override;
  // Only a timeout makes work here: a launch that ends by itself costs nothing.
  void before_stop(const SandboxHandle& sandbox, KillReason why) override;
  // Adds what was collected to the result: the stacks of a timeout; the crash site, the
  // plugin's frames named, or read from the run's own core when the plugin did not report the
  // crash. The core is taken from where the kernel put it either way.
  void finish(RunResult& result) override;

 private:
  StackMode stacks_;
  std::chrono::milliseconds stacks_budget_;
  CoreMode core_mode_;
  ArtifactsKeeper* artifacts_;
  std::string executable_;
  std::optional<CoreCapture> core_;
  std::optional<Diagnostics> diagnostics_;
};

}  // namespace isotest
