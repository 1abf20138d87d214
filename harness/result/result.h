// RunResult: what happened in one sandboxed run, and its JSON form (schema "isotest/1",
// documented in docs/result-json.md and docs/result.schema.json).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "diagnostics.h"
#include "output_capture.h"
#include "run_status.h"
#include "setup_error.h"
#include "spec.h"

namespace isotest {

inline constexpr std::string_view kResultSchema = "isotest/1";

// "SIGTERM", "SIGSEGV"; "SIG35" for one without a name.
std::string signal_name(int sig);

// The exit status of a run whose cases were all skipped (automake's and CTest's convention).
inline constexpr int kSkippedExitCode = 77;

struct CaseFailure {
  std::string file;  // empty when GoogleTest knew no location
  int line = -1;
  std::string message;
};

// One GoogleTest case of the run, from the isotest plugin's event stream or GoogleTest's own
// JSON output (docs/result-json.md, "cases").
struct CaseResult {
  std::string name;  // "Suite.Case", as --gtest_list_tests names it
  // passed, failed, skipped, crashed, timeout, disabled or notrun
  RunStatus status = RunStatus::notrun;
  double duration_ms = 0;
  std::vector<CaseFailure> failures;
  std::string skip_message;
  std::map<std::string, std::string> properties;  // RecordProperty()
  std::optional<CrashReport> crash;               // the case the binary died in (plugin)
};

// What isotest learned about a GoogleTest binary besides its cases.
struct GtestRun {
  std::string cases_source;     // "plugin", "gtest_output" or empty (no cases)
  bool premature_exit = false;  // TEST_PREMATURE_EXIT_FILE was left behind
  std::optional<int> shard_index;
  std::optional<int> total_shards;
  std::optional<bool> honoured_sharding;  // GTEST_SHARD_STATUS_FILE written; unset: no shards
};

// Why the launcher stops a sandbox before its test is done: timeout, signal (isotest was
// interrupted), seccomp (--seccomp kill), service (one the test needs exited early).
enum class KillReason { timeout, signal, seccomp, service };

// Its name in the result JSON's killed_by_harness.reason: "timeout", "signal", ...
std::string_view kill_reason_name(KillReason reason);

// Why the launcher itself signalled the test, if it did.
struct HarnessKill {
  KillReason reason = KillReason::timeout;
  std::string syscall;             // for "seccomp": the refused call that ended the run
  std::string service;             // for "service": the one that exited
  int signal_received = 0;         // for "signal": what isotest received
  bool escalated_to_kill = false;  // the grace period ran out and the sandbox was SIGKILLed
  // False when the signal came before isotest started the test, which then never ran.
  bool test_started = true;
};

// The sandbox's cgroup, as really set up.
struct CgroupIsolation {
  std::string version;  // "v1", "v2"; empty when the run had no cgroup
  std::string path;
  std::vector<std::string> controllers;
  ResourceLimits limits;                    // the limits really applied
  std::vector<std::string> missing_limits;  // asked for, not applied (--allow-degraded)
  std::string unavailable_reason;           // why there is no cgroup, or why limits are missing
};

// The seccomp filter, as really installed, and what it refused during the run.
struct SeccompIsolation {
  std::string mode = "off";                       // "errno", "kill" or "off"
  std::vector<std::string> syscalls;              // the calls the filter refuses
  std::map<std::string, std::uint64_t> refusals;  // refused calls the test made, and how often
};

struct Isolation {
  std::vector<std::string> namespaces;         // created for this run
  std::vector<std::string> shared_namespaces;  // kept from the host
  std::string network;
  std::string hostname;  // empty when the UTS namespace is shared
  std::string uid_map;   // "inside outside count"; empty when the user namespace is shared
  std::string gid_map;
  std::optional<std::int64_t> time_offset_seconds;
  bool read_only_root = false;
  std::vector<std::string> mounts;  // what the mount plan did, in order
  CgroupIsolation cgroup;
  bool no_new_privs = false;          // set for the test (always, once the sandbox is built)
  bool capabilities_dropped = false;  // the test started without capabilities (not --root)
  std::vector<int> passed_fds;        // fds the test inherited besides stdio (--pass-fd)
  SeccompIsolation seccomp;
};

struct Usage {
  std::string source = "rusage";  // "cgroup v1", "cgroup v2" or "rusage": who measured
  std::int64_t cpu_user_ms = 0;   // whole process tree
  std::int64_t cpu_system_ms = 0;
  std::uint64_t peak_memory_bytes = 0;
  bool peak_memory_is_approximate = true;  // false when the cgroup measured it
  std::uint64_t max_rss_bytes = 0;         // largest single process (getrusage)
  std::uint64_t oom_kills = 0;
  std::optional<std::uint64_t> pids_peak;
  bool pids_limit_hit = false;
};

// The network lab's part of a run (issue 15; docs/result-json.md, "capture", "services").
struct CaptureResult {
  std::string path;  // absolute, on the host
  std::string format = "pcap";
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;        // the file's size
  bool truncated = false;         // the cap was reached: packets after it are not in the file
  std::uint64_t limit_bytes = 0;  // --capture-limit
  std::uint64_t dropped = 0;      // packets the kernel dropped because the launcher fell behind
  bool kept = true;  // false: `--capture on-failure` and the run did not fail, so no file
};

struct ServiceResult {
  std::string name;
  std::string command;
  std::optional<int> pid;  // inside the sandbox
  bool ready = false;
  std::optional<double> ready_ms;  // from its start until it was ready
  std::string status = "running";  // "exited": it ended before the test did
  std::optional<int> exit_code;
  std::optional<int> signal;
  std::string output_tail;  // the last bytes of its stdout and stderr, merged
};

// The files a run kept (issue 14; docs/result-json.md, "artifacts").
struct ArtifactsResult {
  std::string directory;  // absolute, on the host: --artifacts DIR
  bool kept = false;      // false: the policy kept nothing (on-failure on a pass, never)
  std::string keep;       // the policy: "on-failure", "always", "never"
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
  bool truncated = false;          // the cap was reached: files past it were not kept
  std::uint64_t limit_bytes = 0;   // --artifacts-limit
  std::vector<std::string> paths;  // relative to `directory`: "tmp/log.txt", "outputs/trace.json"
  std::string error;               // why nothing could be kept although the policy said so
};

struct RunResult {
  std::string name;
  std::vector<std::string> command;
  RunStatus status = RunStatus::sandbox_error;
  std::optional<int> exit_code;  // the command's own, when it exited
  std::optional<int> signal;     // the signal that ended it
  int launcher_exit_code = 125;  // what `isotest run` exits with
  std::chrono::system_clock::time_point started_at;
  double duration_ms = 0;
  std::optional<std::int64_t> timeout_ms;
  std::optional<HarnessKill> killed_by_harness;
  Isolation isolation;
  Usage usage;
  std::uint64_t output_limit_bytes = 0;
  std::optional<CapturedOutput> stdout_output;  // absent when output was not captured
  std::optional<CapturedOutput> stderr_output;
  std::optional<SetupError> error;
  std::optional<std::vector<CaseResult>> cases;         // a GoogleTest binary's cases
  std::optional<GtestRun> gtest;                        // set for a GoogleTest binary
  std::optional<CaptureResult> capture;                 // --capture
  std::optional<NetworkConditions> network_conditions;  // --net-*
  std::vector<ServiceResult> services;                  // --service
  std::optional<Diagnostics> diagnostics;               // why it misbehaved (harness/forensics/)
  std::optional<ArtifactsResult> artifacts;             // --artifacts
};

// Status and exit code from how the command ended (timeout(1) and env(1) conventions).
// Never `passed` when the harness had to signal the test. What a GoogleTest binary's cases add
// to this is gtest/'s (apply_gtest_status_rules).
void classify(RunResult& result);

nlohmann::json to_json(const RunResult& result);

// "2026-11-29T18:40:00.123Z"
std::string rfc3339_utc(std::chrono::system_clock::time_point time);

}  // namespace isotest
