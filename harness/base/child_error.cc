#include "child_error.h"

#include <unistd.h>

namespace isotest {

namespace {
std::size_t append(char* out, std::size_t used, std::size_t capacity, const char* text) {
  while (text != nullptr && *text != '\0' && used + 1 < capacity) out[used++] = *text++;
  out[used] = '\0';
  return used;
}
}  // namespace

void set_child_error(ChildError& error, const char* stage, const char* detail, int error_number) {
  std::size_t used = append(error.stage, 0, sizeof error.stage, stage);
  if (detail != nullptr && *detail != '\0') {
    used = append(error.stage, used, sizeof error.stage, " ");
    append(error.stage, used, sizeof error.stage, detail);
  }
  error.error_number = error_number;
}

void send_child_error(int fd, const ChildError& error) {
  // A pipe write this small is atomic (PIPE_BUF), so the launcher never sees half a record.
  [[maybe_unused]] ssize_t written = ::write(fd, &error, sizeof error);
}

}  // namespace isotest
