#include "forensics.h"

#include "stack_collector.h"

namespace isotest {

void Forensics::before_stop(const SandboxHandle& sandbox, KillReason why) {
  if (why != KillReason::timeout || stacks_ == StackMode::never || diagnostics_) return;
  diagnostics_ =
      Diagnostics{.trigger = "timeout", .stacks = collect_stacks(sandbox.init_pid, stacks_budget_)};
}

void Forensics::finish(RunResult& result) {
  if (diagnostics_) result.diagnostics = std::move(diagnostics_);
}

}  // namespace isotest
