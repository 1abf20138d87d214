#include "forensics.h"

#include "crash_site.h"
#include "stack_collector.h"

namespace isotest {

namespace {

// The plugin's handler reports return addresses only (it may not allocate): named here, on the
// run's crash and on the crashing case's copy of it.
void name_plugin_frames(RunResult& result) {
  auto& crash = result.diagnostics->crash;
  if (crash->source != "plugin" || crash->modules.empty()) return;
  name_frames(*crash);
  if (!result.cases) return;
  for (auto& test_case : *result.cases) {
    if (test_case.crash) test_case.crash->frames = crash->frames;
  }
}

}  // namespace

void Forensics::adjust(LaunchPlan& plan) {
  executable_ = plan.executable;
  core_.emplace(core_mode_, plan.exec.working_directory);
  core_->adjust(plan);
}

void Forensics::before_stop(const SandboxHandle& sandbox, KillReason why) {
  if (why != KillReason::timeout || stacks_ == StackMode::never || diagnostics_) return;
  diagnostics_ =
      Diagnostics{.trigger = "timeout", .stacks = collect_stacks(sandbox.init_pid, stacks_budget_)};
}

void Forensics::finish(RunResult& result) {
  if (diagnostics_) {
    // The plugin may have reported a crash already (GtestExtension::finish): it stays.
    if (result.diagnostics) diagnostics_->crash = std::move(result.diagnostics->crash);
    result.diagnostics = std::move(diagnostics_);
  }
  if (result.diagnostics && result.diagnostics->crash) name_plugin_frames(result);
  // Only a run whose test crashed looks for a core: parallel runs in one working directory
  // (CTest -j) share a relative core_pattern's file name, and a run that passed must not take
  // another's core.
  if (!core_ || !result.signal || !is_crash_signal(*result.signal)) return;
  if (result.diagnostics && result.diagnostics->crash) {
    core_->discard();  // the plugin described the crash; its re-raise left a core too
    return;
  }
  if (!result.diagnostics) result.diagnostics = Diagnostics{.trigger = "crash"};
  result.diagnostics->crash = core_->take(*result.signal, executable_);
}

}  // namespace isotest
