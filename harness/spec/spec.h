// SandboxSpec: what to isolate and limit for one run. A plain value: the CLI (and later the
// CMake functions and the gtest plugin) fill it in; the launcher only carries it out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "artifacts_request.h"
#include "netlab_request.h"

namespace isotest {

// The namespaces `--share` can keep from the host. Time is opt-in (`--time-offset`), not shared.
enum class Namespace { user, mount, pid, net, ipc, uts, cgroup };
inline constexpr Namespace kAllNamespaces[] = {Namespace::user,  Namespace::mount, Namespace::pid,
                                               Namespace::net,   Namespace::ipc,   Namespace::uts,
                                               Namespace::cgroup};
std::string_view namespace_name(Namespace ns);
std::optional<Namespace> parse_namespace(std::string_view name);

enum class NetworkMode { loopback, none, host };

// What the default seccomp filter does with a refused system call (docs/security.md).
//   errno: the call fails with EPERM and the test goes on; the result counts each refusal.
//   kill:  the first refused call ends the run; the result names the call.
//   off:   no filter.
enum class SeccompMode { errno_return, kill, off };
std::string_view seccomp_mode_name(SeccompMode mode);
std::optional<SeccompMode> parse_seccomp_mode(std::string_view name);
std::string_view network_mode_name(NetworkMode mode);

// Whether a run that times out has every thread's stack collected before it is signalled
// (harness/forensics/, docs/cli.md: --stacks).
enum class StackMode { automatic, never };
std::optional<StackMode> parse_stack_mode(std::string_view name);
// Whether a test that dies of a fatal signal may leave a core for isotest to read the crash site
// from, where the host's core_pattern writes a plain file (docs/cli.md: --crash-core).
enum class CoreMode { automatic, never };
std::optional<CoreMode> parse_core_mode(std::string_view name);
std::optional<NetworkMode> parse_network_mode(std::string_view name);

struct BindMount {
  std::string source;
  std::string target;
  bool read_only = false;
};

struct TmpfsMount {
  std::string target;
  std::optional<std::uint64_t> size_bytes;
};

// Enforced through the sandbox's cgroup.
struct ResourceLimits {
  std::optional<std::uint64_t> memory_max_bytes;
  std::optional<std::uint64_t> pids_max;
  std::optional<double> cpus;
  [[nodiscard]] bool any() const { return memory_max_bytes || pids_max || cpus; }
};

struct SandboxSpec {
  std::vector<std::string> command;
  std::string name;  // empty: the command's basename

  unsigned shared_namespaces = 0;  // bit set of Namespace
  NetworkMode network = NetworkMode::loopback;
  std::optional<std::int64_t> time_offset_seconds;
  bool map_root = false;  // caller's uid/gid appear as 0 inside
  SeccompMode seccomp = SeccompMode::errno_return;
  std::string hostname = "isotest";

  std::vector<std::string> seccomp_allow;  // names taken out of the default refused list
  std::vector<int> pass_fds;               // open fds the test inherits besides stdio (--pass-fd)

  std::vector<BindMount> binds;
  std::vector<TmpfsMount> tmpfs;
  bool read_only_root = false;
  std::vector<std::string> keep_visible;  // host paths kept at the same path if a fresh mount
                                          // would hide them (--keep-visible; host_paths.h)

  std::string working_directory;                                 // empty: the caller's
  std::vector<std::pair<std::string, std::string>> environment;  // --env, in order
  bool clear_environment = false;

  ResourceLimits limits;
  bool allow_degraded = false;  // run even when a limit cannot be applied, and say so

  std::optional<std::int64_t> timeout_ms;
  std::int64_t kill_after_ms = 2000;
  // Past this, stack collection gives up and says so: a huge process must not hold the run. It
  // fits in the 5 s the CMake functions add to CTest's TIMEOUT (cmake/IsoTest.cmake).
  std::int64_t stacks_timeout_ms = 3000;
  std::uint64_t output_limit_bytes = 64ULL * 1024;

  NetLabRequest netlab;        // capture, network conditions, services (issue 15)
  ArtifactsRequest artifacts;  // --artifacts, --keep, --artifacts-limit (issue 14)

  std::string json_path;  // empty: no result file
  // Where the captured stdout of the command is copied as it arrives: isotest's stdout, or its
  // stderr when the result itself goes to stdout.
  int stdout_copy_fd = 1;
  StackMode stacks = StackMode::automatic;    // at a timeout (--stacks)
  CoreMode crash_core = CoreMode::automatic;  // at a crash (--crash-core)

  [[nodiscard]] bool shares(Namespace ns) const {
    return (shared_namespaces & (1U << static_cast<unsigned>(ns))) != 0;
  }
  void share(Namespace ns) { shared_namespaces |= 1U << static_cast<unsigned>(ns); }
  [[nodiscard]] std::string display_name() const;
};

// The kernel's largest pids.max: PID_MAX_LIMIT, 4194304 on 64-bit kernels
// (include/linux/threads.h); the pids controller refuses a larger one with EINVAL.
inline constexpr std::uint64_t kMaxPids = 4ULL * 1024 * 1024;

// What the limit options take, for the messages of the command line's conversions and of
// validate(), which check the syntax and the range respectively.
inline constexpr std::string_view kMemoryTakes = "a size of at least 1M, such as 256M or 1G";
inline constexpr std::string_view kPidsTakes =
    "a whole number from 2 (isotest's init and the test) to 4194304 (the kernel's limit)";
inline constexpr std::string_view kCpusTakes =
    "a number of CPUs from 0.01 to 4096, such as 0.5 or 2";
inline constexpr std::string_view kTimeOffsetTakes =
    "a whole number of seconds, such as 86400 or -3600";

inline constexpr std::string_view kNoCommand =
    "no command given; put it after `--`: isotest run -- ./my_test";

// Problems that make a spec impossible to carry out, each naming the fix. Empty when fine.
std::vector<std::string> validate(const SandboxSpec& spec);

// The value syntax of docs/cli.md: digits, optionally a fraction ("0.5", "2", "1.25"); no sign,
// no exponent, no "inf" or "nan".
std::optional<double> parse_decimal(std::string_view text);
// Digits with an optional leading "-" that fit in 64 bits ("3", "-3600").
std::optional<std::int64_t> parse_whole_number(std::string_view text);
// "500ms", "30s", "2m", "1h", "1.5s"; a bare number is seconds, as with timeout(1).
std::optional<std::int64_t> parse_duration_ms(std::string_view text);
// "256M", "1G", "64K", "512KiB", "1048576"; binary units.
std::optional<std::uint64_t> parse_size_bytes(std::string_view text);
// "SRC[:DST]"; DST defaults to SRC.
std::optional<BindMount> parse_bind(std::string_view text, bool read_only);
// "DST[:SIZE]".
std::optional<TmpfsMount> parse_tmpfs(std::string_view text);

}  // namespace isotest
