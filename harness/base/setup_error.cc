#include "setup_error.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "unique_fd.h"

namespace isotest {

std::string errno_name(int error_number) {
  // strerrorname_np is glibc 2.32+, which every supported distribution has.
  if (const char* name = strerrorname_np(error_number)) return name;
  return "E" + std::to_string(error_number);
}

std::string SetupError::describe() const {
  std::string text = stage + ": " + message;
  if (error_number != 0) {
    text += ": " + errno_name(error_number) + " (" + std::strerror(error_number) + ")";
  }
  return text;
}

void throw_errno(const std::string& stage, const std::string& message, std::string hint) {
  throw SetupFailure(SetupError{stage, errno, message, std::move(hint)});
}

void throw_errno(SetupStage step, const std::string& message, std::string hint) {
  const int error_number = errno;
  throw SetupFailure(SetupError{std::string(setup_stage_name(step)), error_number, message,
                                std::move(hint), step});
}

void throw_error(const std::string& stage, int error_number, const std::string& message,
                 std::string hint) {
  throw SetupFailure(SetupError{stage, error_number, message, std::move(hint)});
}

Pipe make_pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw_errno("create pipe", "pipe2 failed");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void set_nonblocking(int fd, const std::string& stage) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    throw_errno(stage, "make a pipe non-blocking");
  }
}

}  // namespace isotest
