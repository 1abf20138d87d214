#include "stack_collector.h"

#include <dirent.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "dwfl_symbols.h"
#include "setup_error.h"
#include "unique_dir.h"
#include "unique_fd.h"

namespace isotest {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kMaxFrames = 64;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string first_line(const std::string& path) {
  std::string text = read_text(path);
  if (auto newline = text.find('\n'); newline != std::string::npos) text.resize(newline);
  return text;
}

std::vector<int> numeric_entries(const std::string& directory) {
  std::vector<int> numbers;
  const UniqueDir dir(::opendir(directory.c_str()));
  if (!dir) return numbers;
  while (const dirent* entry = ::readdir(dir.get())) {
    char* end = nullptr;
    const long number = std::strtol(entry->d_name, &end, 10);
    if (end != entry->d_name && *end == '\0' && number > 0) {
      numbers.push_back(static_cast<int>(number));
    }
  }
  return numbers;
}

// /proc/PID/stat: "pid (comm) S ppid ...". The name may hold spaces and parentheses, so the
// fields are counted from the last ')'.
struct StatFields {
  std::string state;
  int parent = 0;
};

std::optional<StatFields> read_stat(const std::string& path) {
  const std::string text = read_text(path);
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(text.substr(close + 1));
  StatFields fields;
  rest >> fields.state >> fields.parent;
  if (!rest) return std::nullopt;
  return fields;
}

// The last NSpid: the id in the innermost PID namespace, the sandbox's.
int pid_inside(const std::string& status_path, int host_pid) {
  std::istringstream status(read_text(status_path));
  std::string line;
  while (std::getline(status, line)) {
    if (!line.starts_with("NSpid:")) continue;
    std::istringstream ids(line.substr(6));
    int id = host_pid;
    int last = host_pid;
    while (ids >> id) last = id;
    return last;
  }
  return host_pid;
}

std::vector<std::string> command_line(int pid) {
  const std::string text = read_text("/proc/" + std::to_string(pid) + "/cmdline");
  std::vector<std::string> words;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\0', start);
    if (end == std::string::npos) end = text.size();
    words.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

// Every process whose chain of parents leads to init: with a PID namespace that is all of the
// sandbox, since an orphan there is reparented to init. (/proc/PID/task/TID/children needs
// CONFIG_PROC_CHILDREN, which not every kernel has.)
std::vector<int> descendants_of(int init_pid) {
  std::map<int, int> parent_of;
  for (int pid : numeric_entries("/proc")) {
    if (auto stat = read_stat("/proc/" + std::to_string(pid) + "/stat")) {
      parent_of[pid] = stat->parent;
    }
  }
  std::vector<int> found;
  std::set<int> inside = {init_pid};
  bool grew = true;
  while (grew) {
    grew = false;
    for (const auto& [pid, parent] : parent_of) {
      if (inside.contains(parent) && !inside.contains(pid)) {
        inside.insert(pid);
        found.push_back(pid);
        grew = true;
      }
    }
  }
  return found;
}

std::string errno_text(std::string_view what, int error) {
  return std::string(what) + ": " + errno_name(error);
}

// A thread held in a ptrace stop, and the signal it had pending when it stopped there, which it
// gets back on detach.
struct HeldThread {
  int host_tid = 0;
  bool stopped = false;
  bool gone = false;
  int pending_signal = 0;
};

class Collector {
 public:
  Collector(int init_pid, SteadyClock::time_point deadline)
      : init_pid_(init_pid), deadline_(deadline) {}
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;
  ~Collector() { release_all(); }

  StackDump collect() {
    const auto started = SteadyClock::now();
    dump_.method = "ptrace+libdwfl";
    // Processes may fork until they are stopped: look again until a pass finds none new.
    std::set<int> seen;
    bool found_new = true;
    while (found_new && !out_of_time()) {
      found_new = false;
      for (int pid : descendants_of(init_pid_)) {
        if (!seen.insert(pid).second) continue;
        found_new = true;
        hold_process(pid);
        if (out_of_time()) break;
      }
    }
    for (std::size_t i = 0; i < dump_.processes.size() && !out_of_time(); ++i) {
      unwind_process(dump_.processes[i]);
    }
    if (out_of_time()) give_up_for_time();
    release_all();
    dump_.duration_ms =
        std::chrono::duration<double, std::milli>(SteadyClock::now() - started).count();
    return std::move(dump_);
  }

 private:
  [[nodiscard]] bool out_of_time() const { return SteadyClock::now() >= deadline_; }

  void give_up_for_time() {
    if (!dump_.complete) return;
    dump_.complete = false;
    dump_.incomplete_reason = "the time budget (--stacks-timeout) ran out";
  }

  // Reads what /proc tells of the process and its threads *before* stopping them: once in a
  // ptrace stop, a thread's state is `t` and its wait channel the stop's, not the futex or the
  // read it was stuck in.
  void hold_process(int pid) {
    ProcessStacks process;
    const std::string dir = "/proc/" + std::to_string(pid);
    process.host_pid = pid;
    process.pid = pid_inside(dir + "/status", pid);
    process.command_line = command_line(pid);
    if (auto stat = read_stat(dir + "/stat")) process.state = stat->state;
    std::set<int> listed;
    bool more = true;
    while (more && !out_of_time()) {  // threads may start until all of them are stopped
      more = false;
      for (int tid : numeric_entries(dir + "/task")) {
        if (!listed.insert(tid).second) continue;
        more = true;
        process.threads.push_back(describe_thread(dir, tid));
        seize(process.threads.back());
      }
      wait_for_stops();
    }
    if (process.threads.empty()) process.error = "no threads left to read";
    dump_.processes.push_back(std::move(process));
  }

  static ThreadStack describe_thread(const std::string& process_dir, int tid) {
    ThreadStack thread;
    const std::string dir = process_dir + "/task/" + std::to_string(tid);
    thread.host_tid = tid;
    thread.tid = pid_inside(dir + "/status", tid);
    thread.name = first_line(dir + "/comm");
    if (auto stat = read_stat(dir + "/stat")) thread.state = stat->state;
    thread.wchan = first_line(dir + "/wchan");
    if (thread.wchan == "0") thread.wchan.clear();  // running, or the kernel does not say
    return thread;
  }

  // PTRACE_SEIZE does not stop the thread or send it a signal (unlike PTRACE_ATTACH's SIGSTOP,
  // which the test could see); PTRACE_INTERRUPT then stops it where it is, a sleeping system
  // call included (it is restarted on detach).
  void seize(ThreadStack& thread) {
    const int tid = thread.host_tid;
    if (::ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) {
      thread.error = errno_text(
          errno == EPERM ? "cannot trace (is it traced already, by a debugger or a sanitizer?)"
                         : "cannot trace",
          errno);
      return;
    }
    held_[tid] = HeldThread{.host_tid = tid};
    if (::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) != 0) {
      thread.error = errno_text("cannot stop", errno);
    }
  }

  void wait_for_stops() {
    for (auto& [tid, held] : held_) {
      while (!held.stopped && !held.gone) {
        int status = 0;
        const pid_t got = ::waitpid(tid, &status, __WALL | WNOHANG);
        if (got < 0) {
          held.gone = true;
          break;
        }
        if (got == tid) {
          note_wait_status(held, status);
          continue;
        }
        if (out_of_time()) return;
        ::poll(nullptr, 0, 1);
      }
    }
  }

  static void note_wait_status(HeldThread& held, int status) {
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      held.gone = true;
      return;
    }
    if (!WIFSTOPPED(status)) return;
    held.stopped = true;
    // A signal-delivery stop (a signal was on its way) rather than our interrupt's event stop:
    // the signal is handed back on detach, so that the test does not lose it.
    if ((status >> 16) != PTRACE_EVENT_STOP) held.pending_signal = WSTOPSIG(status);
  }

  [[nodiscard]] bool is_stopped(int tid) const {
    auto it = held_.find(tid);
    return it != held_.end() && it->second.stopped;
  }

  void unwind_process(ProcessStacks& process) {
    static const Dwfl_Callbacks kCallbacks = {.find_elf = find_elf_in_sandbox,
                                              .find_debuginfo = dwfl_standard_find_debuginfo,
                                              .section_address = nullptr,
                                              .debuginfo_path = nullptr};
    std::unique_ptr<Dwfl, decltype(&dwfl_end)> dwfl(dwfl_begin(&kCallbacks), dwfl_end);
    if (!dwfl) {
      process.error = std::string("libdwfl: ") + dwfl_errmsg(-1);
      return;
    }
    reported_pid_ = process.host_pid;
    if (dwfl_linux_proc_report(dwfl.get(), process.host_pid) != 0 ||
        dwfl_report_end(dwfl.get(), nullptr, nullptr) != 0) {
      process.error = std::string("cannot read its memory map: ") + dwfl_errmsg(-1);
      return;
    }
    // assume_ptrace_stopped: the threads are ours, stopped above; libdwfl must not attach.
    if (dwfl_linux_proc_attach(dwfl.get(), process.host_pid, true) != 0) {
      process.error = std::string("libdwfl cannot attach: ") + dwfl_errmsg(-1);
      return;
    }
    for (auto& thread : process.threads) {
      if (out_of_time()) return;
      if (!is_stopped(thread.host_tid)) {
        if (thread.error.empty()) thread.error = "did not stop in time";
        continue;
      }
      unwind_thread(dwfl.get(), thread);
    }
  }

  struct Walk {
    Collector* collector;
    ThreadStack* thread;
  };

  void unwind_thread(Dwfl* dwfl, ThreadStack& thread) {
    Walk walk{this, &thread};
    const int status = dwfl_getthread_frames(dwfl, thread.host_tid, on_frame, &walk);
    // The walk ends with an error at the outermost frame more often than not (no CFI says
    // where clone's or _start's caller is): only an empty stack is worth a word.
    if (status != 0 && thread.frames.empty() && thread.error.empty()) {
      thread.error = std::string("libdwfl: ") + dwfl_errmsg(-1);
    }
  }

  static int on_frame(Dwfl_Frame* frame, void* argument) {
    auto& walk = *static_cast<Walk*>(argument);
    if (walk.collector->out_of_time()) return DWARF_CB_ABORT;
    Dwarf_Addr pc = 0;
    bool activation = false;
    if (!dwfl_frame_pc(frame, &pc, &activation)) return DWARF_CB_ABORT;
    walk.thread->frames.push_back(
        describe_pc(dwfl_thread_dwfl(dwfl_frame_thread(frame)), pc, activation));
    return walk.thread->frames.size() < kMaxFrames ? DWARF_CB_OK : DWARF_CB_ABORT;
  }

  // The sandbox has its own mount namespace: a module's path (from /proc/PID/maps) is the
  // sandbox's, which may not exist on the host (its /tmp, a --bind target). /proc/PID/root
  // shows the process's own file system. The vDSO and the like go to libdwfl's own finder.
  static int find_elf_in_sandbox(Dwfl_Module* module, void** userdata, const char* name,
                                 Dwarf_Addr base, char** file_name, Elf** elf) {
    if (name != nullptr && name[0] == '/') {
      const std::string path = "/proc/" + std::to_string(reported_pid_) + "/root" + name;
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0) {
        *file_name = ::strdup(path.c_str());
        *elf = nullptr;
        return fd;
      }
    }
    return dwfl_linux_proc_find_elf(module, userdata, name, base, file_name, elf);
  }

  // Detaches every thread held: they go on exactly where they were (the test is signalled
  // only afterwards, by the launcher).
  void release_all() {
    for (auto& [tid, held] : held_) {
      if (held.stopped && !held.gone) {
        // ptrace(2) takes the signal to deliver in its pointer-sized data argument.
        void* signal = reinterpret_cast<void*>(  // NOLINT(performance-no-int-to-ptr)
            static_cast<long>(held.pending_signal));
        ::ptrace(PTRACE_DETACH, tid, nullptr, signal);
      }
    }
    held_.clear();
  }

  // libdwfl's find_elf callback has no argument of ours; the process being reported is here.
  static inline int reported_pid_ = 0;

  int init_pid_;
  SteadyClock::time_point deadline_;
  StackDump dump_;
  std::map<int, HeldThread> held_;
};

// The hard bound on the helper: its own budget, and this much for it to write what it found.
constexpr std::chrono::milliseconds kHelperGrace{1000};

std::string read_until(int fd, SteadyClock::time_point deadline, bool& finished) {
  std::string text;
  char buffer[65536];
  finished = false;
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return text;
    pollfd entry{.fd = fd, .events = POLLIN, .revents = 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return text;
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      finished = got == 0;
      return text;
    }
    text.append(buffer, static_cast<std::size_t>(got));
  }
}

StackDump unavailable(std::string reason) {
  StackDump dump;
  dump.method = "ptrace+libdwfl";
  dump.complete = false;
  dump.incomplete_reason = std::move(reason);
  return dump;
}

// The forked collector, killed and reaped however collect_stacks() leaves: gone already when it
// finished; otherwise its death detaches the test.
class CollectorProcess {
 public:
  explicit CollectorProcess(pid_t pid) : pid_(pid) {}
  CollectorProcess(const CollectorProcess&) = delete;
  CollectorProcess& operator=(const CollectorProcess&) = delete;
  ~CollectorProcess() {
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }

 private:
  pid_t pid_;
};

}  // namespace

// The tracing is done by a forked helper process, not by isotest itself. A thread that never
// reaches its ptrace stop in time (asleep uninterruptibly) would otherwise stay traced by
// isotest: once killed it would stay a zombie until its tracer waited for it, and the PID
// namespace's teardown -- which init's exit waits for -- with it. When a tracer exits, the kernel
// detaches everything it traced (exit_ptrace), so killing the helper at the deadline always
// lets go of the test, whatever state libdwfl or the test is in.
StackDump collect_stacks(pid_t init_host_pid, std::chrono::milliseconds budget) {
  const auto started = SteadyClock::now();
  Pipe channel;
  try {
    channel = make_pipe();
  } catch (const SetupFailure& failure) {
    return unavailable(failure.error().describe());
  }
  const pid_t helper = ::fork();
  if (helper < 0) return unavailable(errno_text("fork the stack collector", errno));
  if (helper == 0) {
    channel.read_end.reset();
    int exit_code = 1;
    try {
      Collector collector(init_host_pid, started + budget);
      const std::string text = nlohmann::json(to_json(collector.collect())).dump();
      std::string_view rest = text;
      while (!rest.empty()) {
        const ssize_t written = ::write(channel.write_end.get(), rest.data(), rest.size());
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) break;
        rest.remove_prefix(static_cast<std::size_t>(written));
      }
      exit_code = rest.empty() ? 0 : 1;
    } catch (...) {  // nothing may unwind out of the helper into isotest's frames
    }
    ::_exit(exit_code);
  }
  channel.write_end.reset();
  bool finished = false;
  std::string text;
  {
    const CollectorProcess owner(helper);
    text = read_until(channel.read_end.get(), started + budget + kHelperGrace, finished);
  }
  const auto elapsed = std::chrono::duration<double, std::milli>(SteadyClock::now() - started);
  if (!finished) {
    StackDump dump = unavailable(
        "the stack collector did not finish within --stacks-timeout "
        "(" +
        std::to_string(budget.count()) + " ms)");
    dump.duration_ms = elapsed.count();
    return dump;
  }
  std::optional<StackDump> parsed;
  try {
    parsed = stack_dump_from_json(nlohmann::json::parse(text, nullptr, false));
  } catch (const nlohmann::json::exception&) {  // a field of the wrong type: not our helper's
  }
  if (!parsed) return unavailable("the stack collector's report could not be read");
  parsed->duration_ms = elapsed.count();
  return *parsed;
}

}  // namespace isotest
