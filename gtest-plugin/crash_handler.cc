#include "crash_handler.h"

#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace isotest::internal {

namespace {

// Everything the handler touches is here, set up before any case runs: a signal handler may not
// allocate, lock or use stdio (signal-safety(7)), and a stack overflow leaves it no stack.
constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
constexpr int kSignalCount = sizeof kFatalSignals / sizeof kFatalSignals[0];
constexpr int kMaxFrames = 64;
constexpr int kMaxModules = 32;
constexpr std::size_t kMaxPath = 1024;

int g_events_fd = -1;
pid_t g_owner = 0;
struct sigaction g_previous[kSignalCount];
std::atomic<bool> g_reporting{false};
// The running case's name; written between cases by the listener, read by the handler.
char g_case[512];
// An alternate stack, so that the handler runs when the crash is a stack overflow (the thread
// that installs it: the main thread, where GoogleTest runs the cases).
alignas(16) char g_alternate_stack[64 * 1024];

struct Module {
  char path[kMaxPath];
  std::uintptr_t base;  // where its ELF header (file offset 0) is mapped
};

// The event line, built in place: fixed buffers, no allocation.
class Line {
 public:
  void text(const char* text) { bytes(text, std::strlen(text)); }
  void bytes(const char* data, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) put(data[i]);
  }
  void json_string(const char* value) {
    put('"');
    for (const char* c = value; *c != '\0'; ++c) {
      const auto byte = static_cast<unsigned char>(*c);
      if (*c == '"' || *c == '\\') {
        put('\\');
        put(*c);
      } else if (byte < 0x20) {
        text("\\u00");
        put(kHex[byte >> 4]);
        put(kHex[byte & 0xf]);
      } else {
        put(*c);
      }
    }
    put('"');
  }
  void hex(std::uintptr_t value) {
    char digits[2 * sizeof value];
    int count = 0;
    do {
      digits[count++] = kHex[value & 0xf];
      value >>= 4;
    } while (value != 0);
    text("\"0x");
    while (count > 0) put(digits[--count]);
    put('"');
  }
  void number(long value) {
    if (value < 0) {
      put('-');
      value = -value;
    }
    char digits[24];
    int count = 0;
    do {
      digits[count++] = static_cast<char>('0' + value % 10);
      value /= 10;
    } while (value != 0);
    while (count > 0) put(digits[--count]);
  }
  [[nodiscard]] bool full() const { return size_ + 256 > sizeof buffer_; }
  void send(int fd) const {
    std::size_t done = 0;
    while (done < size_) {
      const ssize_t written = ::write(fd, buffer_ + done, size_ - done);
      if (written < 0 && errno == EINTR) continue;
      if (written <= 0) return;
      done += static_cast<std::size_t>(written);
    }
  }

 private:
  static constexpr char kHex[] = "0123456789abcdef";
  void put(char c) {
    if (size_ < sizeof buffer_) buffer_[size_++] = c;
  }
  char buffer_[60 * 1024];
  std::size_t size_ = 0;
};

Line g_line;
Module g_modules[kMaxModules];
void* g_frames[kMaxFrames + 8];

// One line of /proc/self/maps: "start-end perms offset dev inode   path".
struct Mapping {
  std::uintptr_t start = 0;
  std::uintptr_t end = 0;
  std::uintptr_t offset = 0;
  const char* path = nullptr;  // null for an anonymous mapping
  std::size_t path_size = 0;
};

const char* parse_hex(const char* at, const char* end, std::uintptr_t& value) {
  value = 0;
  for (; at < end; ++at) {
    const char c = *at;
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (digit < 0) break;
    value = value * 16 + static_cast<std::uintptr_t>(digit);
  }
  return at;
}

const char* skip_field(const char* at, const char* end) {
  while (at < end && *at != ' ') ++at;
  while (at < end && *at == ' ') ++at;
  return at;
}

bool parse_mapping(const char* line, const char* end, Mapping& mapping) {
  const char* at = parse_hex(line, end, mapping.start);
  if (at >= end || *at != '-') return false;
  at = parse_hex(at + 1, end, mapping.end);
  at = skip_field(at, end);  // to perms
  at = skip_field(at, end);  // to offset
  parse_hex(at, end, mapping.offset);
  at = skip_field(at, end);  // to dev
  at = skip_field(at, end);  // to inode
  at = skip_field(at, end);  // to path, if any
  mapping.path = at < end && *at == '/' ? at : nullptr;
  mapping.path_size = mapping.path != nullptr ? static_cast<std::size_t>(end - at) : 0;
  return true;
}

// Calls `visit` for each mapping of /proc/self/maps, read with open/read into a fixed buffer: the
// map as it is at the crash, libraries loaded since the start included.
template <typename Visit>
void for_each_mapping(Visit visit) {
  const int fd = ::open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  static char buffer[16 * 1024];
  std::size_t kept = 0;
  while (true) {
    const ssize_t got = ::read(fd, buffer + kept, sizeof buffer - kept);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    const std::size_t size = kept + static_cast<std::size_t>(got);
    std::size_t start = 0;
    for (std::size_t i = 0; i < size; ++i) {
      if (buffer[i] != '\n') continue;
      Mapping mapping;
      if (parse_mapping(buffer + start, buffer + i, mapping)) visit(mapping);
      start = i + 1;
    }
    kept = size - start;
    if (kept == sizeof buffer) kept = 0;  // a line longer than the buffer: dropped
    std::memmove(buffer, buffer + start, kept);
  }
  ::close(fd);
}

bool same_path(const Mapping& mapping, const char* path) {
  return mapping.path != nullptr && mapping.path_size < kMaxPath &&
         std::strncmp(mapping.path, path, mapping.path_size) == 0 &&
         path[mapping.path_size] == '\0';
}

// The modules the frames lie in, each with where its ELF header is mapped: enough for the host
// to place the file (libdwfl's dwfl_report_elf) and name the frames.
int find_modules(const std::uintptr_t* pcs, int count) {
  int modules = 0;
  for_each_mapping([&](const Mapping& mapping) {
    if (mapping.path == nullptr || mapping.path_size >= kMaxPath || modules == kMaxModules) return;
    bool holds_a_frame = false;
    for (int i = 0; i < count; ++i) {
      holds_a_frame = holds_a_frame || (pcs[i] >= mapping.start && pcs[i] < mapping.end);
    }
    if (!holds_a_frame) return;
    for (int i = 0; i < modules; ++i) {
      if (same_path(mapping, g_modules[i].path)) return;
    }
    std::memcpy(g_modules[modules].path, mapping.path, mapping.path_size);
    g_modules[modules].path[mapping.path_size] = '\0';
    g_modules[modules].base = 0;
    ++modules;
  });
  for_each_mapping([&](const Mapping& mapping) {
    if (mapping.offset != 0) return;
    for (int i = 0; i < modules; ++i) {
      if (g_modules[i].base == 0 && same_path(mapping, g_modules[i].path)) {
        g_modules[i].base = mapping.start;
      }
    }
  });
  return modules;
}

std::uintptr_t faulting_pc(const void* context) {
  const auto* user = static_cast<const ucontext_t*>(context);
#if defined(__x86_64__)
  return static_cast<std::uintptr_t>(user->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  return static_cast<std::uintptr_t>(user->uc_mcontext.pc);
#else
  static_cast<void>(user);
  return 0;
#endif
}

// The crashing thread's frames, innermost first: the interrupted pc, then return addresses.
// glibc's backtrace() (libgcc's CFI unwinder, _Unwind_Backtrace) rather than frame pointers: it
// works in optimised code built without them, and steps over the signal frame (the kernel's
// sigreturn trampoline has CFI). Its first call dlopen()s libgcc_s, which is why
// install_crash_handler() calls it once first. What it still shares with the program: the
// loader's lock, taken by dl_iterate_phdr to find the CFI -- a crash inside dlopen() itself
// would hang here instead of dying (isotest's timeout ends it).
int crashing_thread_frames(const void* context, std::uintptr_t* pcs) {
  const std::uintptr_t pc = faulting_pc(context);
  const int count = ::backtrace(g_frames, kMaxFrames + 8);
  int first = -1;
  for (int i = 0; i < count && first < 0; ++i) {
    if (reinterpret_cast<std::uintptr_t>(g_frames[i]) == pc) first = i;
  }
  int frames = 0;
  if (first < 0) {  // no unwinding past the signal frame: the pc alone is still worth it
    if (pc != 0) pcs[frames++] = pc;
    return frames;
  }
  for (int i = first; i < count && frames < kMaxFrames; ++i) {
    pcs[frames++] = reinterpret_cast<std::uintptr_t>(g_frames[i]);
  }
  return frames;
}

void report(int sig, const siginfo_t* info, const void* context) {
  static std::uintptr_t pcs[kMaxFrames];
  const int frames = crashing_thread_frames(context, pcs);
  const int modules = find_modules(pcs, frames);
  Line& line = g_line;
  // A line of its own even if the crash cut another thread's event short.
  line.text("\n{\"event\":\"crash\",\"signal\":");
  line.number(sig);
  line.text(",\"code\":");
  line.number(info->si_code);
  line.text(",\"address\":");
  line.hex(reinterpret_cast<std::uintptr_t>(info->si_addr));
  line.text(",\"tid\":");
  line.number(::syscall(SYS_gettid));
  line.text(",\"case\":");
  line.json_string(g_case);
  line.text(",\"pcs\":[");
  for (int i = 0; i < frames; ++i) {
    if (i > 0) line.text(",");
    line.hex(pcs[i]);
  }
  line.text("],\"modules\":[");
  for (int i = 0; i < modules && !line.full(); ++i) {
    if (i > 0) line.text(",");
    line.text("{\"path\":");
    line.json_string(g_modules[i].path);
    line.text(",\"base\":");
    line.hex(g_modules[i].base);
    line.text("}");
  }
  line.text("]}\n");
  line.send(g_events_fd);
}

int signal_index(int sig) {
  for (int i = 0; i < kSignalCount; ++i) {
    if (kFatalSignals[i] == sig) return i;
  }
  return -1;
}

void on_fatal_signal(int sig, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  // Only the first crash, in the process that installed the handler: a death test's child
  // shares the pipe and must not speak for its parent.
  if (!g_reporting.exchange(true) && ::getpid() == g_owner) report(sig, info, context);
  const int index = signal_index(sig);
  // Chain: the handler that was there before (a sanitizer's, which prints its report and exits)
  // or the default action, which ends the process with the signal and so keeps its exit status.
  const struct sigaction& previous = g_previous[index];
  if ((previous.sa_flags & SA_SIGINFO) != 0 && previous.sa_sigaction != nullptr) {
    previous.sa_sigaction(sig, info, context);
  } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(sig);
  }
  struct sigaction fallback {};
  fallback.sa_handler = SIG_DFL;
  ::sigaction(sig, &fallback, nullptr);
  // A fault (si_code > 0) happens again when the handler returns, now with the default action;
  // a signal that was sent (raise, abort, kill) must be sent again. It stays pending until we
  // return, since the handler runs with it blocked.
  if (info->si_code <= 0 || info->si_code == SI_KERNEL || sig == SIGABRT) {
    ::syscall(SYS_tgkill, ::getpid(), ::syscall(SYS_gettid), sig);
  }
  errno = saved_errno;
}

}  // namespace

void note_running_case(std::string_view name) {
  const std::size_t size = name.size() < sizeof g_case - 1 ? name.size() : sizeof g_case - 1;
  g_case[0] = '\0';  // a crash in between sees no name rather than a torn one
  if (size > 1) std::memcpy(g_case + 1, name.data() + 1, size - 1);
  g_case[size] = '\0';
  if (size > 0) g_case[0] = name[0];
}

void install_crash_handler(int events_fd) {
  g_events_fd = events_fd;
  g_owner = ::getpid();
  // backtrace()'s first call loads libgcc_s and resolves its symbols: not in a signal handler.
  void* warm_up[4];
  static_cast<void>(::backtrace(warm_up, 4));
  // Our own alternate stack only where there is none yet (ASan sets one up for its handler).
  stack_t current{};
  if (::sigaltstack(nullptr, &current) == 0 && (current.ss_flags & SS_DISABLE) != 0) {
    stack_t alternate{};
    alternate.ss_sp = g_alternate_stack;
    alternate.ss_size = sizeof g_alternate_stack;
    ::sigaltstack(&alternate, nullptr);
  }
  struct sigaction action {};
  action.sa_sigaction = on_fatal_signal;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  // A launcher gone while we write must not turn the crash into a SIGPIPE.
  sigaddset(&action.sa_mask, SIGPIPE);
  for (int i = 0; i < kSignalCount; ++i) ::sigaction(kFatalSignals[i], &action, &g_previous[i]);
}

}  // namespace isotest::internal
