// The default filter's program as the build compiled it (see seccomp_program_gen.cc).
#include <linux/filter.h>

#include <span>

#include "seccomp_filter.h"

namespace isotest {

namespace {

// NOLINTNEXTLINE(cppcoreguidelines-avoid-c-arrays,modernize-avoid-c-arrays): generated data
constexpr sock_filter kProgram[] = {
#include "default_seccomp_program.inc"
};

}  // namespace

std::span<const sock_filter> default_seccomp_program() {
  // The generated list ends with a sentinel of all zeros, so that an empty list still compiles.
  return {kProgram, std::size(kProgram) - 1};
}

}  // namespace isotest
