#include "child_error.h"

#include <unistd.h>

namespace isotest {

namespace {

std::size_t detail_length(const ChildError& error) {
  std::size_t length = 0;
  while (length + 1 < sizeof error.detail && error.detail[length] != '\0') ++length;
  return length;
}

std::size_t append(char* out, std::size_t used, std::size_t capacity, const char* text) {
  while (text != nullptr && *text != '\0' && used + 1 < capacity) out[used++] = *text++;
  out[used] = '\0';
  return used;
}

// DETAIL after what the record holds, with a space between them when both are there.
void append_detail(ChildError& error, const char* detail) {
  if (detail == nullptr || *detail == '\0') return;
  std::size_t used = detail_length(error);
  if (used != 0) used = append(error.detail, used, sizeof error.detail, " ");
  append(error.detail, used, sizeof error.detail, detail);
}

}  // namespace

void set_child_error(ChildError& error, SetupStage step, const char* detail, int error_number) {
  error.step = step;
  error.detail[0] = '\0';
  append_detail(error, detail);
  error.error_number = error_number;
}

void set_child_error(ChildError& error, const char* text, const char* detail, int error_number) {
  set_child_error(error, SetupStage::unnamed, text, error_number);
  append_detail(error, detail);
}

void add_child_error_detail(ChildError& error, const char* more) {
  append_detail(error, more);
}

std::string child_error_stage_text(const ChildError& error) {
  return setup_stage_text(error.step, std::string_view(error.detail, detail_length(error)));
}

void send_child_error(int fd, const ChildError& error) {
  // A pipe write this small is atomic (PIPE_BUF), so the launcher never sees half a record.
  [[maybe_unused]] ssize_t written = ::write(fd, &error, sizeof error);
}

}  // namespace isotest
