#include "crash_site.h"

#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include "dwfl_symbols.h"
#include "setup_error.h"
#include "unique_fd.h"

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
// libdwfl walks is the crashing one.
int on_first_thread(Dwfl_Thread* thread, void* argument) {
  auto& walk = *static_cast<ThreadWalk*>(argument);
  walk.tid = static_cast<int>(dwfl_thread_tid(thread));
  static_cast<void>(dwfl_thread_getframes(thread, on_core_frame, &walk));
  return DWARF_CB_ABORT;
}

// NT_SIGINFO: the siginfo the dumping thread got, as user space sees it (copy_siginfo_to_user).
bool read_siginfo(Elf* elf, CrashReport& crash) {
  std::size_t count = 0;
  if (elf_getphdrnum(elf, &count) != 0) return false;
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
      if (note.n_type != NT_SIGINFO || note.n_descsz < sizeof(siginfo_t)) continue;
      siginfo_t info;
      std::memcpy(&info, static_cast<const char*>(data->d_buf) + desc_offset, sizeof info);
      crash.signal = info.si_signo;
      crash.code = info.si_code;
      if (code_has_address(info.si_code)) {
        crash.address = reinterpret_cast<std::uintptr_t>(info.si_addr);
      }
      return true;
    }
  }
  return false;
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

CrashReport crash_from_core(const std::string& core_path, const std::string& executable) {
  static const Dwfl_Callbacks kCallbacks = {.find_elf = dwfl_build_id_find_elf,
                                            .find_debuginfo = dwfl_standard_find_debuginfo,
                                            .section_address = nullptr,
                                            .debuginfo_path = nullptr};
  const UniqueFd fd(::open(core_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid())
    return crash_without_stack(0, "cannot open the core " + core_path + ": " + errno_name(errno));
  elf_version(EV_CURRENT);
  const std::unique_ptr<Elf, decltype(&elf_end)> elf(elf_begin(fd.get(), ELF_C_READ_MMAP, nullptr),
                                                     elf_end);
  GElf_Ehdr header;
  if (!elf || gelf_getehdr(elf.get(), &header) == nullptr || header.e_type != ET_CORE) {
    return crash_without_stack(0, core_path + " is not a core file");
  }
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

}  // namespace isotest
