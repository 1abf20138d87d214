#include "crash_site.h"

#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string_view>

#include "dwfl_symbols.h"
#include "setup_error.h"

namespace isotest {

namespace {

constexpr std::size_t kMaxFrames = 64;

using DwflHandle = std::unique_ptr<Dwfl, decltype(&dwfl_end)>;

// si_addr means something only for a fault the kernel reported with the signal's own code;
// for a signal sent by a process (abort(), kill) that part of siginfo holds the sender's pid.
bool code_has_address(int code) {
  return code > 0 && code != SI_KERNEL;
}

struct ThreadWalk {
  std::optional<int> tid;
  std::vector<StackFrame> frames;
};

int on_core_frame(Dwfl_Frame* frame, void* argument) {
  auto& walk = *static_cast<ThreadWalk*>(argument);
  Dwarf_Addr pc = 0;
  bool activation = false;
  if (!dwfl_frame_pc(frame, &pc, &activation)) return DWARF_CB_ABORT;
  walk.frames.push_back(describe_pc(dwfl_thread_dwfl(dwfl_frame_thread(frame)), pc, activation));
  return walk.frames.size() < kMaxFrames ? DWARF_CB_OK : DWARF_CB_ABORT;
}

// The kernel writes the thread that dumped the core first (fill_note_info), so the first thread
// libdwfl walks is the crashing one. The others are passed over rather than the walk aborted:
// libdwfl frees its per-thread cursor of a core only when the walk reaches the last thread
// (elfutils 0.188 core_next_thread), so stopping early leaks it (LeakSanitizer: 16 bytes).
int on_first_thread(Dwfl_Thread* thread, void* argument) {
  auto& walk = *static_cast<ThreadWalk*>(argument);
  if (walk.tid) return DWARF_CB_OK;
  walk.tid = static_cast<int>(dwfl_thread_tid(thread));
  static_cast<void>(dwfl_thread_getframes(thread, on_core_frame, &walk));
  return DWARF_CB_OK;
}

using ElfHandle = std::unique_ptr<Elf, decltype(&elf_end)>;

// `fd` as an ELF core file (ET_CORE); null when it is not one.
ElfHandle open_core(int fd) {
  elf_version(EV_CURRENT);
  ElfHandle elf(elf_begin(fd, ELF_C_READ_MMAP, nullptr), elf_end);
  GElf_Ehdr header;
  if (!elf || gelf_getehdr(elf.get(), &header) == nullptr || header.e_type != ET_CORE) {
    return ElfHandle(nullptr, elf_end);
  }
  return elf;
}

// The description of the core's first note of `type` (NT_SIGINFO, NT_AUXV); empty when none.
std::string_view core_note(Elf* elf, GElf_Word type) {
  std::size_t count = 0;
  if (elf_getphdrnum(elf, &count) != 0) return {};
  for (std::size_t i = 0; i < count; ++i) {
    GElf_Phdr header;
    if (gelf_getphdr(elf, static_cast<int>(i), &header) == nullptr || header.p_type != PT_NOTE) {
      continue;
    }
    Elf_Data* data = elf_getdata_rawchunk(elf, static_cast<int64_t>(header.p_offset),
                                          header.p_filesz, ELF_T_NHDR);
    if (data == nullptr) continue;
    std::size_t offset = 0;
    GElf_Nhdr note;
    std::size_t name_offset = 0;
    std::size_t desc_offset = 0;
    while ((offset = gelf_getnote(data, offset, &note, &name_offset, &desc_offset)) > 0) {
      if (note.n_type == type) {
        return {static_cast<const char*>(data->d_buf) + desc_offset, note.n_descsz};
      }
    }
  }
  return {};
}

// NT_SIGINFO: the siginfo the dumping thread got, as user space sees it (copy_siginfo_to_user).
bool read_siginfo(Elf* elf, CrashReport& crash) {
  const std::string_view note = core_note(elf, NT_SIGINFO);
  if (note.size() < sizeof(siginfo_t)) return false;
  siginfo_t info;
  std::memcpy(&info, note.data(), sizeof info);
  crash.signal = info.si_signo;
  crash.code = info.si_code;
  if (code_has_address(info.si_code)) {
    crash.address = reinterpret_cast<std::uintptr_t>(info.si_addr);
  }
  return true;
}

// The value of `key` in the auxiliary vector (NT_AUXV: pairs of words of the core's class).
std::optional<std::uint64_t> auxv_value(Elf* elf, std::uint64_t key) {
  const std::string_view note = core_note(elf, NT_AUXV);
  const bool wide = gelf_getclass(elf) == ELFCLASS64;
  const std::size_t word = wide ? 8 : 4;
  for (std::size_t at = 0; at + 2 * word <= note.size(); at += 2 * word) {
    std::uint64_t type = 0;
    std::uint64_t value = 0;
    if (wide) {
      std::memcpy(&type, note.data() + at, 8);
      std::memcpy(&value, note.data() + at + 8, 8);
    } else {
      std::uint32_t narrow[2];
      std::memcpy(narrow, note.data() + at, 8);
      type = narrow[0];
      value = narrow[1];
    }
    if (type == key) return value;
  }
  return std::nullopt;
}

// The bytes of the process's memory from the start of the dumped segment that holds `address` up
// to `address`; empty when the core did not dump it.
std::string_view memory_below(Elf* elf, std::uint64_t address) {
  std::size_t count = 0;
  if (elf_getphdrnum(elf, &count) != 0) return {};
  for (std::size_t i = 0; i < count; ++i) {
    GElf_Phdr header;
    if (gelf_getphdr(elf, static_cast<int>(i), &header) == nullptr || header.p_type != PT_LOAD ||
        address < header.p_vaddr || address - header.p_vaddr >= header.p_filesz) {
      continue;
    }
    const std::size_t size = address - header.p_vaddr;
    Elf_Data* data =
        elf_getdata_rawchunk(elf, static_cast<int64_t>(header.p_offset), size, ELF_T_BYTE);
    if (data == nullptr) return {};
    return {static_cast<const char*>(data->d_buf), data->d_size};
  }
  return {};
}

}  // namespace

CrashReport crash_without_stack(int signal, std::string reason) {
  return CrashReport{.signal = signal,
                     .code = std::nullopt,
                     .address = std::nullopt,
                     .tid = std::nullopt,
                     .source = "none",
                     .unavailable_reason = std::move(reason),
                     .frames = {}};
}

bool is_crash_signal(int signal) {
  return signal == SIGSEGV || signal == SIGBUS || signal == SIGFPE || signal == SIGILL ||
         signal == SIGABRT;
}

void name_frames(CrashReport& crash) {
  static const Dwfl_Callbacks kCallbacks = {.find_elf = nullptr,
                                            .find_debuginfo = dwfl_standard_find_debuginfo,
                                            .section_address = nullptr,
                                            .debuginfo_path = nullptr};
  const DwflHandle dwfl(dwfl_begin(&kCallbacks), dwfl_end);
  if (!dwfl) return;
  dwfl_report_begin(dwfl.get());
  // ET_DYN (PIE, shared libraries): placed with their header at `base`; ET_EXEC at the
  // addresses the file names (libdwfl ignores the base for those).
  for (const auto& module : crash.modules) {
    static_cast<void>(dwfl_report_elf(dwfl.get(), module.path.c_str(), module.path.c_str(), -1,
                                      module.base, false));
  }
  dwfl_report_end(dwfl.get(), nullptr, nullptr);
  for (std::size_t i = 0; i < crash.frames.size(); ++i) {
    crash.frames[i] = describe_pc(dwfl.get(), crash.frames[i].pc, i == 0);
  }
}

CrashReport crash_from_core(int core_fd, const std::string& executable) {
  static const Dwfl_Callbacks kCallbacks = {.find_elf = dwfl_build_id_find_elf,
                                            .find_debuginfo = dwfl_standard_find_debuginfo,
                                            .section_address = nullptr,
                                            .debuginfo_path = nullptr};
  const ElfHandle elf = open_core(core_fd);
  if (!elf) return crash_without_stack(0, "the core is not an ELF core file");
  CrashReport crash = crash_without_stack(0, "");
  crash.source = "core";
  if (!read_siginfo(elf.get(), crash)) crash.unavailable_reason = "the core has no NT_SIGINFO note";
  DwflHandle dwfl(dwfl_begin(&kCallbacks), dwfl_end);
  if (!dwfl) return crash;
  dwfl_report_begin(dwfl.get());
  const int reported = dwfl_core_file_report(dwfl.get(), elf.get(),
                                             executable.empty() ? nullptr : executable.c_str());
  dwfl_report_end(dwfl.get(), nullptr, nullptr);
  if (reported < 0 || dwfl_core_file_attach(dwfl.get(), elf.get()) < 0) {
    crash.unavailable_reason = std::string("libdwfl cannot read the core: ") + dwfl_errmsg(-1);
    return crash;
  }
  ThreadWalk walk;
  static_cast<void>(dwfl_getthreads(dwfl.get(), on_first_thread, &walk));
  crash.tid = walk.tid;
  crash.frames = std::move(walk.frames);
  if (crash.frames.empty() && crash.unavailable_reason.empty()) {
    crash.unavailable_reason = std::string("libdwfl found no frames: ") + dwfl_errmsg(-1);
  }
  return crash;
}

std::string run_id_of_core(int core_fd) {
  const ElfHandle elf = open_core(core_fd);
  if (!elf) return {};
  const auto execfn = auxv_value(elf.get(), AT_EXECFN);
  if (!execfn) return {};
  const std::string_view strings = memory_below(elf.get(), *execfn);
  // The last one: the environment strings come after the argument strings, which might quote
  // the variable.
  const std::string key = std::string(1, '\0') + kRunIdVariable + "=";
  const auto at = strings.rfind(key);
  if (at == std::string_view::npos) return {};
  const std::string_view value = strings.substr(at + key.size());
  return std::string(value.substr(0, value.find('\0')));
}

}  // namespace isotest
