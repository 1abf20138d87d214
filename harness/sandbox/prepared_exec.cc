#include "prepared_exec.h"

#include <unistd.h>

#include <cerrno>

namespace isotest {

namespace {

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (auto& text : strings) pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

PreparedExec::PreparedExec(ExecPlan plan)
    : plan_(std::move(plan)),
      argv_pointers_(pointers_to(plan_.argv)),
      env_pointers_(pointers_to(plan_.environment)) {}

int PreparedExec::exec() const {
  int decisive = ENOENT;
  for (const auto& candidate : plan_.candidates) {
    ::execve(candidate.c_str(), argv_pointers_.data(), env_pointers_.data());
    switch (errno) {
      case ENOENT:
      case ENOTDIR:
      case ESTALE:
      case ENODEV:
      case ETIMEDOUT:
        continue;  // not here; keep looking, as execvp does
      case EACCES:
        decisive = EACCES;  // found but not executable; remember, but a later hit still wins
        continue;
      default:
        return errno;
    }
  }
  return decisive;
}

}  // namespace isotest
