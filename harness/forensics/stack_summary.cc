#include "stack_summary.h"

#include <cstdio>
#include <filesystem>

namespace isotest {

namespace {

// Enough to show where it is stuck and how it got there; the JSON has them all.
constexpr std::size_t kFramesShown = 8;

std::string frame_text(const StackFrame& frame) {
  std::string text = frame.function;
  if (text.empty()) {
    char pc[24];
    static_cast<void>(
        std::snprintf(pc, sizeof pc, "0x%llx", static_cast<unsigned long long>(frame.pc)));
    text = pc;
    if (!frame.module.empty()) {
      text += " in " + std::filesystem::path(frame.module).filename().string();
    }
  }
  if (!frame.file.empty()) {
    text += " (" + std::filesystem::path(frame.file).filename().string() + ":" +
            std::to_string(frame.line) + ")";
  }
  return text;
}

std::string thread_line(const ThreadStack& thread) {
  std::string line =
      "    thread " + std::to_string(thread.tid) + " `" + thread.name + "` " + thread.state;
  if (!thread.wchan.empty()) line += " in " + thread.wchan;
  line += ":";
  for (std::size_t i = 0; i < thread.frames.size() && i < kFramesShown; ++i) {
    line += (i == 0 ? " " : " < ") + frame_text(thread.frames[i]);
  }
  if (thread.frames.size() > kFramesShown) {
    line += " < ... (" + std::to_string(thread.frames.size() - kFramesShown) + " more)";
  }
  if (!thread.error.empty()) line += " [" + thread.error + "]";
  return line;
}

}  // namespace

std::vector<std::string> stack_summary(const StackDump& dump) {
  char header[160];
  static_cast<void>(std::snprintf(header, sizeof header, "stacks at the timeout (%s, %.1f ms)%s",
                                  dump.method.c_str(), dump.duration_ms,
                                  dump.complete ? ":" : ", incomplete:"));
  std::vector<std::string> lines = {header};
  if (!dump.complete) lines.push_back("  incomplete: " + dump.incomplete_reason);
  for (const auto& process : dump.processes) {
    std::string command;
    for (const auto& word : process.command_line) command += (command.empty() ? "" : " ") + word;
    std::string line =
        "  process " + std::to_string(process.pid) + " `" + command + "` (" + process.state + ")";
    if (!process.error.empty()) line += " [" + process.error + "]";
    lines.push_back(line);
    for (const auto& thread : process.threads) lines.push_back(thread_line(thread));
  }
  return lines;
}

}  // namespace isotest
