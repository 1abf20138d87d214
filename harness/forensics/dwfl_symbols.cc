#include "dwfl_symbols.h"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

namespace isotest {

namespace {

std::string demangle(const char* symbol) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> readable(
      abi::__cxa_demangle(symbol, nullptr, nullptr, &status), std::free);
  return status == 0 && readable ? std::string(readable.get()) : std::string(symbol);
}

}  // namespace

StackFrame describe_pc(Dwfl* dwfl, Dwarf_Addr pc, bool activation) {
  StackFrame frame{.pc = pc};
  // A caller's pc is the return address, which may be the first instruction of the next
  // line or function: look up the call instruction before it instead.
  const Dwarf_Addr lookup = activation ? pc : pc - 1;
  Dwfl_Module* module = dwfl_addrmodule(dwfl, lookup);
  if (module == nullptr) return frame;
  const char* main_file = nullptr;
  if (const char* name = dwfl_module_info(module, nullptr, nullptr, nullptr, nullptr, nullptr,
                                          &main_file, nullptr)) {
    frame.module = name;
  }
  // A core names its modules by their base name; the file libdwfl found is the path the
  // process had (except below /proc/PID/root, the sandbox seen from outside: the name is that).
  if (!frame.module.starts_with('/') && main_file != nullptr && main_file[0] == '/' &&
      std::string_view(main_file).find("/root/") == std::string_view::npos) {
    frame.module = main_file;
  }
  if (const char* symbol = dwfl_module_addrname(module, lookup)) frame.function = demangle(symbol);
  if (Dwfl_Line* line = dwfl_module_getsrc(module, lookup)) {
    int line_number = 0;
    if (const char* file = dwfl_lineinfo(line, nullptr, &line_number, nullptr, nullptr, nullptr)) {
      frame.file = file;
      frame.line = line_number;
    }
  }
  return frame;
}

}  // namespace isotest
