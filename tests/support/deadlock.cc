// A program that deadlocks two threads (deadlock_threads.h), for the forensics tests of
// `isotest run` (tests/integration/forensics_test.cc) and of a CMake test.
#include "deadlock_threads.h"

int main() {
  deadlock_two_threads();
  return 0;
}
