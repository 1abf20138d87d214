#include "forensics.h"

#include "stack_collector.h"

namespace isotest {

void Forensics::before_stop(pid_t init_host_pid, std::string_view reason) {
  if (reason != "timeout" || stacks_ == StackMode::never || diagnostics_) return;
  diagnostics_ = Diagnostics{.trigger = std::string(reason),
                             .stacks = collect_stacks(init_host_pid, stacks_budget_)};
}

void Forensics::finish(RunResult& result) {
  if (diagnostics_) result.diagnostics = std::move(diagnostics_);
}

}  // namespace isotest
