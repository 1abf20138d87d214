#include "forensics.h"

#include "crash_site.h"
#include "stack_collector.h"
#include "stack_summary.h"

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

// The stack dump as `isotest run` printed it on stderr: a timeout's stacks, a crash's site.
std::string stack_dump_text(const Diagnostics& diagnostics) {
  std::vector<std::string> lines;
  if (diagnostics.stacks) lines = stack_summary(*diagnostics.stacks);
  if (diagnostics.crash) {
    for (auto& line : crash_summary(*diagnostics.crash)) lines.push_back(std::move(line));
  }
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
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
  std::optional<RunCore> core;
  // Only a run whose test crashed looks for a core, and takes only its own (core_dump.h):
  // parallel runs in one working directory give their cores the same name.
  if (core_ && result.signal && is_crash_signal(*result.signal)) {
    core = core_->take();
    // The plugin's report comes first; its re-raise left a core too.
    if (!result.diagnostics) result.diagnostics = Diagnostics{.trigger = "crash"};
    if (!result.diagnostics->crash) {
      result.diagnostics->crash =
          core ? crash_from_core(core->file.get(), executable_)
               : crash_without_stack(*result.signal, core_->unavailable_reason());
      if (result.diagnostics->crash->signal == 0)
        result.diagnostics->crash->signal = *result.signal;
    }
  }
  // With --artifacts the stack dump and the core go with the run's other files; without, the
  // core was read and is gone (its file was removed, and closing it frees it).
  if (artifacts_ == nullptr) return;
  if (result.diagnostics)
    artifacts_->add_text(kStackDumpName, stack_dump_text(*result.diagnostics));
  if (core) artifacts_->add_file(core->name, std::move(core->file));
}

}  // namespace isotest
