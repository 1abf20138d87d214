// A program that deadlocks, for the forensics tests (issue 14): two threads take two mutexes in
// opposite orders, each in a function named after what it does, and wait forever for the
// other's. It prints "deadlocked" once both hold their first mutex, so a test knows when the
// stacks are worth taking. Built with -O0 and frame pointers, without sanitizers, so that each
// function keeps its own frame and name (tests/integration/CMakeLists.txt).
#include <cstdio>
#include <mutex>
#include <thread>

namespace {

std::mutex first_mutex;
std::mutex second_mutex;
std::mutex progress;
int holding = 0;

void wait_until_both_hold_one() {
  {
    const std::lock_guard lock(progress);
    if (++holding == 2) {
      std::puts("deadlocked");
      static_cast<void>(std::fflush(stdout));
    }
  }
  while (true) {
    {
      const std::lock_guard lock(progress);
      if (holding == 2) return;
    }
    std::this_thread::yield();
  }
}

}  // namespace

// Not static and not inlined (-O0): the stacks must name them.
void lock_a_then_b() {
  const std::lock_guard first(first_mutex);
  wait_until_both_hold_one();
  const std::lock_guard second(second_mutex);
}

void lock_b_then_a() {
  const std::lock_guard second(second_mutex);
  wait_until_both_hold_one();
  const std::lock_guard first(first_mutex);
}

int main() {
  std::thread one(lock_a_then_b);
  std::thread two(lock_b_then_a);
  one.join();
  two.join();
  return 0;
}
