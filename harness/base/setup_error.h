// A failure to build the sandbox: which stage, the errno, and what the user can do about it.
#pragma once

#include <string>

#include "setup_stage.h"

namespace isotest {

struct SetupError {
  std::string stage;     // e.g. "mount tmpfs on /tmp", "write uid_map", "exec": error.stage's text
  int error_number = 0;  // errno, 0 when the failure has none
  std::string message;   // what went wrong, for people
  std::string hint;      // the fix, or empty
  // The step, for code that tells steps apart (the exit status, the hints); unnamed for the
  // many that no code does. `stage` is its text.
  SetupStage step = SetupStage::unnamed;

  // "mount tmpfs on /tmp: EPERM (Operation not permitted)"
  [[nodiscard]] std::string describe() const;
};

// "EPERM", "ENOENT", ... ; "E<number>" for ones we do not name.
std::string errno_name(int error_number);

// Thrown only on the parent side, never across the clone boundary.
class SetupFailure : public std::exception {
 public:
  explicit SetupFailure(SetupError error) : error_(std::move(error)) {}
  [[nodiscard]] const SetupError& error() const { return error_; }
  [[nodiscard]] const char* what() const noexcept override { return error_.message.c_str(); }

 private:
  SetupError error_;
};

// Raises SetupFailure with the current errno.
[[noreturn]] void throw_errno(const std::string& stage, const std::string& message,
                              std::string hint = {});
// The same for a step code tells apart: its text is its name (setup_stage_name).
[[noreturn]] void throw_errno(SetupStage step, const std::string& message, std::string hint = {});
// Raises SetupFailure with `error_number`; for callers that must read other files (and so
// clobber errno) to build the hint.
[[noreturn]] void throw_error(const std::string& stage, int error_number,
                              const std::string& message, std::string hint = {});

}  // namespace isotest
