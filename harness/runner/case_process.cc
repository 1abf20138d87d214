#include "case_process.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>

#include "unique_fd.h"

namespace isotest {

namespace {

// Everything the child needs, made before the clone: it allocates nothing.
struct ChildPlan {
  const char* program = nullptr;
  char* const* argv = nullptr;
  int null_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  pid_t runner = 0;
};

// In the child, on its own stack, in the runner's memory: system calls only. Signal dispositions
// are the child's own (no CLONE_SIGHAND), so resetting them leaves the runner's handlers alone.
int exec_case(void* argument) {
  const auto& plan = *static_cast<const ChildPlan*>(argument);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE}) {
    static_cast<void>(::signal(sig, SIG_DFL));
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // If the runner dies without a chance to stop its cases (SIGKILL), each `isotest run` gets
  // SIGTERM and stops its sandbox; and it did not die before the signal was armed.
  if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || ::getppid() != plan.runner) ::_exit(125);
  if (::dup2(plan.null_fd, STDIN_FILENO) < 0 || ::dup2(plan.stdout_fd, STDOUT_FILENO) < 0 ||
      ::dup2(plan.stderr_fd, STDERR_FILENO) < 0) {
    ::_exit(125);
  }
  ::execve(plan.program, plan.argv, environ);
  ::_exit(127);
}

}  // namespace

pid_t start_case_process(const std::string& program, const std::vector<std::string>& arguments,
                         int stdout_fd, int stderr_fd) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  const UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!null.valid()) return -1;
  ChildPlan plan{.program = program.c_str(),
                 .argv = argv.data(),
                 .null_fd = null.get(),
                 .stdout_fd = stdout_fd,
                 .stderr_fd = stderr_fd,
                 .runner = ::getpid()};
  // Signals blocked across the clone: none may run a runner handler on the child's stack.
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &previous);
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer cannot follow a child running on a foreign stack in its parent's memory.
  pid_t pid = ::fork();
  if (pid == 0) exec_case(&plan);
#else
  alignas(64) static char stack[64 * 1024];
  const pid_t pid =
      ::clone(exec_case, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &plan);
#endif
  const int clone_error = errno;
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  errno = clone_error;
  return pid;
}

}  // namespace isotest
