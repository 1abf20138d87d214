#include "diagnostics.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "result.h"

namespace isotest {

namespace {

nlohmann::json text_or_null(const std::string& text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

std::string hex_address(std::uint64_t address) {
  char text[24];
  static_cast<void>(
      std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(address)));
  return text;
}

nlohmann::json frames_json(const std::vector<StackFrame>& frames) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& frame : frames) {
    list.push_back({{"pc", hex_address(frame.pc)},
                    {"function", text_or_null(frame.function)},
                    {"file", text_or_null(frame.file)},
                    {"line", frame.line > 0 ? nlohmann::json(frame.line) : nullptr},
                    {"module", text_or_null(frame.module)}});
  }
  return list;
}

nlohmann::json process_json(const ProcessStacks& process) {
  nlohmann::json threads = nlohmann::json::array();
  for (const auto& thread : process.threads) {
    threads.push_back({{"tid", thread.tid},
                       {"host_tid", thread.host_tid},
                       {"name", thread.name},
                       {"state", thread.state},
                       {"wchan", text_or_null(thread.wchan)},
                       {"frames", frames_json(thread.frames)},
                       {"error", text_or_null(thread.error)}});
  }
  return {{"pid", process.pid},
          {"host_pid", process.host_pid},
          {"command_line", process.command_line},
          {"state", process.state},
          {"threads", threads},
          {"error", text_or_null(process.error)}};
}

}  // namespace

nlohmann::json to_json(const StackDump& stacks) {
  nlohmann::json processes = nlohmann::json::array();
  for (const auto& process : stacks.processes) processes.push_back(process_json(process));
  return {{"method", stacks.method},
          {"duration_ms", stacks.duration_ms},
          {"complete", stacks.complete},
          {"incomplete_reason", text_or_null(stacks.incomplete_reason)},
          {"processes", processes}};
}

nlohmann::json to_json(const CrashReport& crash) {
  auto optional = [](const auto& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
  };
  const std::string code_name = crash.code ? signal_code_name(crash.signal, *crash.code) : "";
  return {{"signal", crash.signal},
          {"signal_name", signal_name(crash.signal)},
          {"code", optional(crash.code)},
          {"code_name", text_or_null(code_name)},
          {"address", crash.address ? nlohmann::json(hex_address(*crash.address)) : nullptr},
          {"tid", optional(crash.tid)},
          {"source", crash.source},
          {"unavailable_reason", text_or_null(crash.unavailable_reason)},
          {"frames", frames_json(crash.frames)}};
}

nlohmann::json to_json(const Diagnostics& diagnostics) {
  nlohmann::json document = {{"trigger", diagnostics.trigger}};
  if (diagnostics.stacks) document["stacks"] = to_json(*diagnostics.stacks);
  if (diagnostics.crash) document["crash"] = to_json(*diagnostics.crash);
  return document;
}

std::string signal_code_name(int signal, int code) {
  // siginfo.h: codes above zero are the signal's own; SI_KERNEL and those below zero say who
  // sent it, whatever the signal.
  struct Name {
    int signal;
    int code;
    const char* name;
  };
  static constexpr Name kNames[] = {{SIGSEGV, SEGV_MAPERR, "SEGV_MAPERR"},
                                    {SIGSEGV, SEGV_ACCERR, "SEGV_ACCERR"},
                                    {SIGSEGV, 3, "SEGV_BNDERR"},
                                    {SIGSEGV, 4, "SEGV_PKUERR"},
                                    {SIGBUS, BUS_ADRALN, "BUS_ADRALN"},
                                    {SIGBUS, BUS_ADRERR, "BUS_ADRERR"},
                                    {SIGBUS, BUS_OBJERR, "BUS_OBJERR"},
                                    {SIGBUS, 4, "BUS_MCEERR_AR"},
                                    {SIGBUS, 5, "BUS_MCEERR_AO"},
                                    {SIGFPE, FPE_INTDIV, "FPE_INTDIV"},
                                    {SIGFPE, FPE_INTOVF, "FPE_INTOVF"},
                                    {SIGFPE, FPE_FLTDIV, "FPE_FLTDIV"},
                                    {SIGFPE, FPE_FLTOVF, "FPE_FLTOVF"},
                                    {SIGFPE, FPE_FLTUND, "FPE_FLTUND"},
                                    {SIGFPE, FPE_FLTRES, "FPE_FLTRES"},
                                    {SIGFPE, FPE_FLTINV, "FPE_FLTINV"},
                                    {SIGFPE, FPE_FLTSUB, "FPE_FLTSUB"},
                                    {SIGILL, ILL_ILLOPC, "ILL_ILLOPC"},
                                    {SIGILL, ILL_ILLOPN, "ILL_ILLOPN"},
                                    {SIGILL, ILL_ILLADR, "ILL_ILLADR"},
                                    {SIGILL, ILL_ILLTRP, "ILL_ILLTRP"},
                                    {SIGILL, ILL_PRVOPC, "ILL_PRVOPC"},
                                    {SIGILL, ILL_PRVREG, "ILL_PRVREG"},
                                    {SIGILL, ILL_COPROC, "ILL_COPROC"},
                                    {SIGILL, ILL_BADSTK, "ILL_BADSTK"},
                                    {0, SI_USER, "SI_USER"},
                                    {0, SI_KERNEL, "SI_KERNEL"},
                                    {0, SI_QUEUE, "SI_QUEUE"},
                                    {0, SI_TIMER, "SI_TIMER"},
                                    {0, SI_MESGQ, "SI_MESGQ"},
                                    {0, SI_ASYNCIO, "SI_ASYNCIO"},
                                    {0, SI_SIGIO, "SI_SIGIO"},
                                    {0, SI_TKILL, "SI_TKILL"}};
  const bool generic = code <= 0 || code == SI_KERNEL;
  for (const auto& name : kNames) {
    if (name.code == code && name.signal == (generic ? 0 : signal)) return name.name;
  }
  return {};
}

namespace {

std::string text_of(const nlohmann::json& object, const char* key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

int number_of(const nlohmann::json& object, const char* key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_number_integer() ? found->get<int>() : 0;
}

StackFrame frame_from_json(const nlohmann::json& object) {
  return StackFrame{.pc = std::strtoull(text_of(object, "pc").c_str(), nullptr, 16),
                    .function = text_of(object, "function"),
                    .file = text_of(object, "file"),
                    .line = number_of(object, "line"),
                    .module = text_of(object, "module")};
}

ThreadStack thread_from_json(const nlohmann::json& object) {
  ThreadStack thread{.tid = number_of(object, "tid"),
                     .host_tid = number_of(object, "host_tid"),
                     .name = text_of(object, "name"),
                     .state = text_of(object, "state"),
                     .wchan = text_of(object, "wchan"),
                     .frames = {},
                     .error = text_of(object, "error")};
  for (const auto& frame : object.value("frames", nlohmann::json::array())) {
    thread.frames.push_back(frame_from_json(frame));
  }
  return thread;
}

std::optional<std::uint64_t> address_of(const nlohmann::json& object, const char* key) {
  const std::string text = text_of(object, key);
  if (text.empty()) return std::nullopt;
  return std::strtoull(text.c_str(), nullptr, 16);
}

std::optional<int> optional_number_of(const nlohmann::json& object, const char* key) {
  const auto found = object.find(key);
  if (found == object.end() || !found->is_number_integer()) return std::nullopt;
  return found->get<int>();
}

}  // namespace

std::optional<CrashReport> crash_report_from_json(const nlohmann::json& document) {
  if (!document.is_object()) return std::nullopt;
  CrashReport crash{.signal = number_of(document, "signal"),
                    .code = optional_number_of(document, "code"),
                    .address = address_of(document, "address"),
                    .tid = optional_number_of(document, "tid"),
                    .source = text_of(document, "source"),
                    .unavailable_reason = text_of(document, "unavailable_reason"),
                    .frames = {}};
  for (const auto& frame : document.value("frames", nlohmann::json::array())) {
    crash.frames.push_back(frame_from_json(frame));
  }
  return crash;
}

std::optional<StackDump> stack_dump_from_json(const nlohmann::json& document) {
  if (!document.is_object()) return std::nullopt;
  StackDump dump{.method = text_of(document, "method"),
                 .duration_ms = 0,
                 .complete = document.value("complete", false),
                 .incomplete_reason = text_of(document, "incomplete_reason"),
                 .processes = {}};
  for (const auto& object : document.value("processes", nlohmann::json::array())) {
    ProcessStacks process{.pid = number_of(object, "pid"),
                          .host_pid = number_of(object, "host_pid"),
                          .command_line = {},
                          .state = text_of(object, "state"),
                          .threads = {},
                          .error = text_of(object, "error")};
    for (const auto& word : object.value("command_line", nlohmann::json::array())) {
      if (word.is_string()) process.command_line.push_back(word.get<std::string>());
    }
    for (const auto& thread : object.value("threads", nlohmann::json::array())) {
      process.threads.push_back(thread_from_json(thread));
    }
    dump.processes.push_back(std::move(process));
  }
  return dump;
}

}  // namespace isotest
