// Runs a program under a seccomp filter that refuses user namespaces the way Docker's default
// profile does for a container without CAP_SYS_ADMIN: clone and unshare with CLONE_NEWUSER get
// EPERM, clone3 (whose flags a filter cannot read) gets ENOSYS. Everything else is allowed.
//
// usage: refuse_userns PROGRAM [ARGS...]
//
// A raw BPF filter, so the test needs no library; no_new_privs lets an unprivileged user load it.
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>

namespace {

#if defined(__x86_64__)
constexpr unsigned kArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr unsigned kArch = AUDIT_ARCH_AARCH64;
#else
#error "refuse_userns: add this architecture's AUDIT_ARCH"
#endif

constexpr unsigned kNr = offsetof(seccomp_data, nr);
constexpr unsigned kArchOffset = offsetof(seccomp_data, arch);
// The low 32 bits of the first argument (little endian): the flags of clone and unshare.
constexpr unsigned kArg0 = offsetof(seccomp_data, args[0]);

sock_filter statement(unsigned short code, unsigned k) {
  return sock_filter{code, 0, 0, k};
}
sock_filter jump(unsigned short code, unsigned k, unsigned char if_true, unsigned char if_false) {
  return sock_filter{code, if_true, if_false, k};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: refuse_userns PROGRAM [ARGS...]\n");
    return 2;
  }
  sock_filter program[] = {
      statement(BPF_LD | BPF_W | BPF_ABS, kArchOffset),
      jump(BPF_JMP | BPF_JEQ | BPF_K, kArch, 1, 0),
      statement(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),  // another ABI: not our concern
      statement(BPF_LD | BPF_W | BPF_ABS, kNr),
      jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1),
      statement(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
      jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 1, 0),
      jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_unshare, 0, 3),
      statement(BPF_LD | BPF_W | BPF_ABS, kArg0),
      jump(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEWUSER, 0, 1),
      statement(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      statement(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog filter{static_cast<unsigned short>(sizeof program / sizeof program[0]), program};
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter) != 0) {
    std::fprintf(stderr, "refuse_userns: cannot load the filter: %s\n", std::strerror(errno));
    return 2;
  }
  ::execv(argv[1], argv + 1);
  std::fprintf(stderr, "refuse_userns: cannot run %s: %s\n", argv[1], std::strerror(errno));
  return 127;
}
