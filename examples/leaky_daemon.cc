// A test that passes but leaves a daemon behind, as tests that start a
// helper server and forget to stop it do. The daemon (setsid, double fork)
// keeps the test's stdout open, so CTest, which reads the test's output until
// the pipe closes, waits for it and reports a timeout although the test
// itself finished at once. The daemon also outlives the run on the host.
// Under isotest the daemon dies with the test's PID namespace.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

namespace {

constexpr unsigned kDaemonSleepSeconds = 60;

}  // namespace

int main() {
  std::fflush(stdout);
  pid_t child = fork();
  if (child < 0) {
    std::perror("fork");
    return 1;
  }
  if (child == 0) {
    setsid();
    if (fork() == 0) {
      // The daemon: detached from the test's session, still holding its stdout.
      sleep(kDaemonSleepSeconds);
      _exit(0);
    }
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  std::printf("ok test body passed; it leaves a daemon behind that holds stdout for %us\n",
              kDaemonSleepSeconds);
  return 0;
}
