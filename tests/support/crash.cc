// A program that crashes, for the forensics tests (issue 14): without the GoogleTest plugin,
// the crash site comes from the core the kernel writes. The crash happens in a function named
// after what it does, called from main: a null pointer's SIGSEGV, or with the argument `abort`
// a SIGABRT, so that two runs crashing at once can be told apart by their cores. Built with -O0
// and frame pointers, without sanitizers (tests/integration/CMakeLists.txt), like deadlock.cc.
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

[[gnu::noinline]] void dereference_a_null_pointer() {
  volatile int* volatile pointer = nullptr;  // volatile: no compiler may prove the store away
  std::puts("about to dereference a null pointer");
  static_cast<void>(std::fflush(stdout));
  *pointer = 42;
}

[[gnu::noinline]] void give_up_with_abort() {
  std::puts("about to abort");
  static_cast<void>(std::fflush(stdout));
  std::abort();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "abort") == 0) give_up_with_abort();
  dereference_a_null_pointer();
  return 0;
}
