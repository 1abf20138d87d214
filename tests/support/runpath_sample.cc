// A program whose shared library lies in ../lib beside it, found through its RUNPATH
// ($ORIGIN/../lib) as in a build tree or a relocatable install. Prints the library's greeting.
#include <cstdio>

extern "C" const char* isotest_runpath_greeting();

int main() {
  std::puts(isotest_runpath_greeting());
  return 0;
}
