// A program that segfaults, for the forensics tests (issue 14): without the GoogleTest plugin,
// the crash site comes from the core the kernel writes. The crash happens in a function named
// after what it does, called from main. Built with -O0 and frame pointers, without sanitizers
// (tests/integration/CMakeLists.txt), like deadlock.cc.
#include <cstdio>

namespace {

[[gnu::noinline]] void dereference_a_null_pointer() {
  volatile int* volatile pointer = nullptr;  // volatile: no compiler may prove the store away
  std::puts("about to dereference a null pointer");
  static_cast<void>(std::fflush(stdout));
  *pointer = 42;
}

}  // namespace

int main() {
  dereference_a_null_pointer();
  return 0;
}
