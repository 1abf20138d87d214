#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "seccomp_filter.h"
#include "seccomp_rules.h"
#include "spec.h"

namespace isotest {
namespace {

std::vector<std::string> whole_list() {
  std::vector<std::string> names;
  for (const auto& entry : default_refused_syscalls()) names.emplace_back(entry.name);
  return names;
}

bool same_program(std::span<const sock_filter> a, std::span<const sock_filter> b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](const sock_filter& x, const sock_filter& y) {
           return x.code == y.code && x.jt == y.jt && x.jf == y.jf && x.k == y.k;
         });
}

// Runs a classic BPF seccomp program on one call, as the kernel would (the subset libseccomp
// emits: absolute loads, conditional jumps, ALU and, returns).
std::uint32_t verdict(std::span<const sock_filter> program, const seccomp_data& call) {
  std::uint32_t accumulator = 0;
  std::size_t pc = 0;
  for (int steps = 0; steps < 10000 && pc < program.size(); ++steps) {
    const sock_filter& op = program[pc];
    switch (op.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        std::memcpy(&accumulator, reinterpret_cast<const char*>(&call) + op.k, 4);
        ++pc;
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        accumulator &= op.k;
        ++pc;
        break;
      case BPF_JMP | BPF_JA:
        pc += 1 + op.k;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        pc += 1 + (accumulator == op.k ? op.jt : op.jf);
        break;
      case BPF_JMP | BPF_JGT | BPF_K:
        pc += 1 + (accumulator > op.k ? op.jt : op.jf);
        break;
      case BPF_JMP | BPF_JGE | BPF_K:
        pc += 1 + (accumulator >= op.k ? op.jt : op.jf);
        break;
      case BPF_RET | BPF_K:
        return op.k;
      default:
        ADD_FAILURE() << "instruction the test cannot run: " << op.code;
        return 0;
    }
  }
  ADD_FAILURE() << "program ran off its end";
  return 0;
}

seccomp_data native_call(int number, std::uint64_t first_argument = 0) {
  seccomp_data call{};
  call.nr = number;
#if defined(__x86_64__)
  call.arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
  call.arch = AUDIT_ARCH_AARCH64;
#endif
  call.args[0] = first_argument;
  return call;
}

TEST(SeccompProgram, TheBuildCompiledTheWholeDefaultList) {
  const auto prebuilt = default_seccomp_program();
  ASSERT_FALSE(prebuilt.empty()) << "the build could not compile the default filter";
  EXPECT_TRUE(same_program(prebuilt, compile_seccomp_program(whole_list())))
      << "the program compiled at build time differs from what libseccomp compiles now";
}

TEST(SeccompProgram, DefaultSpecGetsThePrebuiltProgramAndAShortenedListItsOwn) {
  SandboxSpec spec;
  const SeccompFilter whole = build_seccomp_filter(spec);
  EXPECT_TRUE(same_program(whole.program, default_seccomp_program()));
  EXPECT_EQ(whole.refused.size(), default_refused_syscalls().size());

  spec.seccomp_allow = {"perf_event_open"};
  const SeccompFilter shortened = build_seccomp_filter(spec);
  EXPECT_FALSE(same_program(shortened.program, default_seccomp_program()));
  EXPECT_EQ(shortened.refused.size(), default_refused_syscalls().size() - 1);
}

#if defined(__x86_64__)
TEST(SeccompProgram, PrebuiltProgramRefusesListedCallsAndLetsOthersThrough) {
  const auto program = default_seccomp_program();
  EXPECT_EQ(verdict(program, native_call(SYS_keyctl)), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(verdict(program, native_call(SYS_bpf)), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(verdict(program, native_call(SYS_socket, 40 /* AF_VSOCK */)), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(verdict(program, native_call(SYS_socket, 2 /* AF_INET */)), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(program, native_call(SYS_getpid)), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(program, native_call(SYS_openat)), SECCOMP_RET_ALLOW);
  seccomp_data x32 = native_call(SYS_getpid | 0x40000000);
  EXPECT_EQ(verdict(program, x32), SECCOMP_RET_ERRNO | ENOSYS) << "x32 calls fail as unsupported";
}
#endif

}  // namespace
}  // namespace isotest
