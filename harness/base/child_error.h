// How the sandbox side reports a setup failure to the launcher: a fixed-size record written once
// to a close-on-exec pipe. Fixed size and no allocation, so it is safe to fill between clone and
// execve; a record that never arrives means execve succeeded.
#pragma once

#include <cstddef>
#include <string>

#include "setup_stage.h"

namespace isotest {

struct ChildError {
  SetupStage step = SetupStage::unnamed;
  char detail[160] = {};  // what the stage's name does not say: the directory, the service, ...
  int error_number = 0;
};

// Records a failure of STEP, copying DETAIL (may be null), truncating; async-signal-safe.
void set_child_error(ChildError& error, SetupStage step, const char* detail, int error_number);
// The same for a step no code tells apart (the doctor's probes): TEXT, then DETAIL after a space.
void set_child_error(ChildError& error, const char* text, const char* detail, int error_number);
// Adds MORE to the detail, after a space ("web" -> "web exited before it was ready");
// async-signal-safe.
void add_child_error_detail(ChildError& error, const char* more);

// The failed step's whole text, as error.stage shows it ("chdir to /work"). Not for the sandbox
// side: it allocates.
std::string child_error_stage_text(const ChildError& error);

// Writes the record to `fd` and ignores failure: the launcher treats a missing record as success
// of exec, and an exit status of 125 without a record as an unexplained failure.
void send_child_error(int fd, const ChildError& error);

}  // namespace isotest
