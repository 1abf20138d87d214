#include "stack_summary.h"

#include <cstdio>
#include <filesystem>

#include "result.h"

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

std::string frames_text(const std::vector<StackFrame>& frames) {
  std::string text;
  for (std::size_t i = 0; i < frames.size() && i < kFramesShown; ++i) {
    text += (i == 0 ? " " : " < ") + frame_text(frames[i]);
  }
  if (frames.size() > kFramesShown) {
    text += " < ... (" + std::to_string(frames.size() - kFramesShown) + " more)";
  }
  return text;
}

std::string thread_line(const ThreadStack& thread) {
  std::string line =
      "    thread " + std::to_string(thread.tid) + " `" + thread.name + "` " + thread.state;
  if (!thread.wchan.empty()) line += " in " + thread.wchan;
  line += ":" + frames_text(thread.frames);
  if (!thread.error.empty()) line += " [" + thread.error + "]";
  return line;
}

// The innermost frame with a name: the function that crashed rather than the libc one that
// raised the signal for it (abort()) when that one has no name.
std::string crash_site_text(const std::vector<StackFrame>& frames) {
  for (const auto& frame : frames) {
    if (frame.function.empty()) continue;
    std::string text = frame.function;
    if (!frame.file.empty()) {
      text += " at " + std::filesystem::path(frame.file).filename().string() + ":" +
              std::to_string(frame.line);
    }
    return text;
  }
  return frames.empty() ? std::string() : frame_text(frames.front());
}

}  // namespace

std::vector<std::string> crash_summary(const CrashReport& crash) {
  std::string what = signal_name(crash.signal);
  if (crash.code) {
    if (const std::string name = signal_code_name(crash.signal, *crash.code); !name.empty()) {
      what += " (" + name + ")";
    }
  }
  if (crash.address) {
    char address[32];
    static_cast<void>(std::snprintf(address, sizeof address, " at 0x%llx",
                                    static_cast<unsigned long long>(*crash.address)));
    what += address;
  }
  if (crash.tid) what += ", thread " + std::to_string(*crash.tid);
  if (crash.frames.empty()) {
    std::string line = "crashed: " + what + "; no stack";
    if (!crash.unavailable_reason.empty()) line += ": " + crash.unavailable_reason;
    return {line};
  }
  return {"crashed in " + crash_site_text(crash.frames) + ": " + what + " (from the " +
              crash.source + ")",
          "  stack:" + frames_text(crash.frames)};
}

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
