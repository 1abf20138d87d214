// What isotest found out about why a test misbehaved (issue 14): every thread's stack when it
// hung. Values only; harness/forensics/ collects them, result.cc writes them as the result's
// `diagnostics` object (docs/result-json.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace isotest {

struct StackFrame {
  std::uint64_t pc = 0;
  std::string function;  // demangled; empty when no symbol covers the pc
  std::string file;      // empty without debug info
  int line = 0;          // 0 without debug info
  std::string module;    // the ELF file mapped there, as the sandbox names it
};

struct ThreadStack {
  int tid = 0;       // as the sandbox sees it
  int host_tid = 0;  // as isotest sees it
  std::string name;  // comm
  std::string state;
  std::string wchan;  // the kernel function it sleeps in; empty when running or not told
  std::vector<StackFrame> frames;
  std::string error;  // why the stack is missing or short
};

struct ProcessStacks {
  int pid = 0;
  int host_pid = 0;
  std::vector<std::string> command_line;
  std::string state;
  std::vector<ThreadStack> threads;
  std::string error;  // why this process could not be stopped or read
};

struct StackDump {
  std::string method;
  double duration_ms = 0;
  bool complete = true;
  std::string incomplete_reason;  // set when complete is false
  std::vector<ProcessStacks> processes;
};

struct Diagnostics {
  std::string trigger;  // "timeout"
  std::optional<StackDump> stacks;
};

nlohmann::json to_json(const Diagnostics& diagnostics);
nlohmann::json to_json(const StackDump& stacks);
// The reverse of to_json (the stack collector's helper process hands its dump over as JSON);
// nullopt when `document` is not one.
std::optional<StackDump> stack_dump_from_json(const nlohmann::json& document);

}  // namespace isotest
