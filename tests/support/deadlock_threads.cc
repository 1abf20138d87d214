#include "deadlock_threads.h"

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

void deadlock_two_threads() {
  std::thread one(lock_a_then_b);
  std::thread two(lock_b_then_a);
  one.join();
  two.join();
}
