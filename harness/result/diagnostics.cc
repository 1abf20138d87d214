#include "diagnostics.h"

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

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

nlohmann::json to_json(const Diagnostics& diagnostics) {
  nlohmann::json document = {{"trigger", diagnostics.trigger}};
  if (diagnostics.stacks) document["stacks"] = to_json(*diagnostics.stacks);
  return document;
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

}  // namespace

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
