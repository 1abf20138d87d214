// What isotest found out about why a test misbehaved (issue 14): every thread's stack when it
// hung, the crash site when it died of a fatal signal. Values only; harness/forensics/ collects
// them, result.cc writes them as the result's `diagnostics` object (docs/result-json.md).
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

// An ELF file of a crashed process and where its header (file offset 0) was mapped.
struct LoadedModule {
  std::string path;  // as the sandbox named it
  std::uint64_t base = 0;
};

// The test's own fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) and where it hit.
struct CrashReport {
  int signal = 0;
  std::optional<int> code;               // si_code; unknown without the plugin or a core
  std::optional<std::uint64_t> address;  // si_addr
  std::optional<int> tid;                // the crashing thread, as the sandbox sees it
  std::string source = "none";           // "plugin", "core" or "none"
  std::string unavailable_reason;        // why there is no stack (source "none")
  std::vector<StackFrame> frames;        // the crashing thread's, innermost first
  // The plugin's report names no frames (its handler may not allocate): these are the modules
  // its pcs lie in, for harness/forensics/ to name the frames after the run. Not in the JSON.
  std::vector<LoadedModule> modules;
};

struct Diagnostics {
  std::string trigger;  // "timeout" or "crash"
  std::optional<StackDump> stacks;
  std::optional<CrashReport> crash;
};

nlohmann::json to_json(const Diagnostics& diagnostics);
nlohmann::json to_json(const StackDump& stacks);
nlohmann::json to_json(const CrashReport& crash);
// The reverse of to_json (the stack collector's helper process hands its dump over as JSON);
// nullopt when `document` is not one.
std::optional<StackDump> stack_dump_from_json(const nlohmann::json& document);
// The reverse of to_json(CrashReport), for the report; nullopt when `document` is not one.
std::optional<CrashReport> crash_report_from_json(const nlohmann::json& document);

// "SEGV_MAPERR", "BUS_ADRALN", "SI_TKILL" ...; empty for a code without a name.
std::string signal_code_name(int signal, int code);

}  // namespace isotest
