// The launcher side of one sandboxed run, in two steps: the start (host facts, cgroup, plan, the
// extensions' adjust, clone, id maps, release) and the supervision (pidfd, timerfd, signalfd,
// output pipes, the extensions' fds) until the test is done, then the result. `isotest run`
// drives one sandbox with a blocking loop (run_sandboxed); `isotest gtest` drives many from its
// own event loop (RunningSandbox), in one process.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "launch_extension.h"
#include "result.h"
#include "spec.h"

namespace isotest {

// Blocks, for the rest of the process, the signals the launcher turns into an orderly stop of
// the sandbox (SIGTERM, SIGINT, SIGHUP, SIGQUIT) or passes on to the test (SIGUSR1, SIGUSR2),
// and SIGPIPE. `isotest run` calls it first thing: a signal that comes before the launch is
// under way then waits for it, instead of killing isotest with no result and no message.
void block_forwarded_signals();

// `environment` is the caller's (environ). `extensions` join the launch as
// launch_extension.h describes, in this order. Never throws; setup failures become
// sandbox_error.
// Must be called while the process is single-threaded: the sandbox side runs between clone and
// execve and may only use what was prepared before the clone.
// A termination signal that came before the test was released (and was blocked meanwhile, see
// block_forwarded_signals) ends the run there: the test never starts, and the result says so.
RunResult run_sandboxed(const SandboxSpec& spec, char* const* environment,
                        std::span<LaunchExtension* const> extensions = {});

struct LaunchOptions {
  // The launcher takes the forwarded signals (block_forwarded_signals) through a signalfd and
  // acts on them, as `isotest run` does. Off: the caller's process keeps its own signal handling
  // and stops the sandbox with RunningSandbox::stop.
  bool take_signals = true;
  // The fds open before the start (but stdio and --pass-fd) are closed in the sandbox's init as
  // well as in the test. In a process that runs many sandboxes they are the other sandboxes'
  // pipes and pidfds and the caller's event loop, which no sandbox may hold.
  bool close_earlier_fds = false;
  // The test's stdout and stderr as they arrive, instead of a copy on isotest's stdout (or the
  // spec's stdout_copy_fd) and stderr. The result captures them either way. With
  // `error_output`, stderr goes there instead.
  std::function<void(std::string_view bytes)> output;
  std::function<void(std::string_view bytes)> error_output;
};

// One sandbox between its start and its result, driven by the caller's events: wait until
// event_fd() is readable, call on_event(), until it returns true; then take_result(). For a
// caller with an event loop of its own (Asio) that runs many sandboxes at once, in one thread:
// each clone happens on that thread, between events.
class RunningSandbox {
 public:
  // Starts the sandbox as run_sandboxed() does; never throws. A run that could not start (a
  // setup failure) is finished at once, its result saying why. `spec` is copied;
  // `environment` and the `extensions` must outlive the object.
  static std::unique_ptr<RunningSandbox> start(const SandboxSpec& spec, char* const* environment,
                                               std::span<LaunchExtension* const> extensions,
                                               LaunchOptions options);
  RunningSandbox(const RunningSandbox&) = delete;
  RunningSandbox& operator=(const RunningSandbox&) = delete;
  // Kills and reaps a sandbox that is still running, and removes its cgroup.
  ~RunningSandbox();

  // Readable (level-triggered) while on_event() has something to do; -1 once finished.
  [[nodiscard]] int event_fd();
  // Does what is due, without blocking. True once the run is over.
  bool on_event();
  // Waits for and handles events until the run is over (`isotest run`: nothing else to do).
  void run_to_end();
  [[nodiscard]] bool finished() const;
  // A termination signal for this sandbox, as `isotest run` acts on one it receives: the
  // extensions' before_stop, `sig` to the test, SIGKILL after the grace period; a second call
  // kills at once.
  void stop(int sig);
  // The result, classified and finished by the extensions; once, after on_event() returned true.
  RunResult take_result();

 private:
  struct Launch;
  explicit RunningSandbox(std::unique_ptr<Launch> launch);
  std::unique_ptr<Launch> launch_;
};

}  // namespace isotest
