// What a run asks of the network lab (issue 15; docs/cli.md, "Network lab"): a packet capture,
// network conditions on the sandbox's own interfaces, and services started in the sandbox
// before the test. A plain value, filled in by the command line and checked by
// check_netlab_request(); SandboxSpec carries one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "artifacts_request.h"

namespace isotest {

// netem and tbf parameters, as given. Empty: the sandbox's lo is left as the kernel made it.
struct NetworkConditions {
  std::optional<double> delay_ms;
  std::optional<double> jitter_ms;
  std::optional<double> loss_percent;
  std::optional<double> duplicate_percent;
  std::optional<double> reorder_percent;
  std::optional<double> corrupt_percent;
  std::optional<std::uint64_t> rate_bytes_per_second;
  std::string rate_text;  // the rate as given ("1mbit"), for the result

  [[nodiscard]] bool any() const {
    return delay_ms || loss_percent || duplicate_percent || reorder_percent || corrupt_percent ||
           rate_bytes_per_second;
  }
  // Only a rate can do without sch_netem: tbf shapes it alone.
  [[nodiscard]] bool needs_netem() const {
    return any() && !(rate_bytes_per_second && only_rate());
  }

 private:
  [[nodiscard]] bool only_rate() const {
    return !delay_ms && !loss_percent && !duplicate_percent && !reorder_percent && !corrupt_percent;
  }
};

// How isotest knows a service is ready: it accepts a TCP connection on 127.0.0.1:PORT, or a
// shell command (run in the sandbox) exits 0.
struct ServiceReadiness {
  std::uint16_t tcp_port = 0;  // 0: by command
  std::string command;
};

struct ServiceRequest {
  std::string name;
  std::string command;  // run with `sh -c`
  std::optional<ServiceReadiness> ready;
};

inline constexpr std::uint64_t kDefaultCaptureLimitBytes = 64ULL * 1024 * 1024;
inline constexpr std::int64_t kDefaultServiceTimeoutMs = 10'000;

// `--capture on-failure` (a file of that name is `--capture ./on-failure`), and the capture's
// name in the run's --artifacts folder then.
inline constexpr std::string_view kCaptureOnFailure = "on-failure";
inline constexpr std::string_view kCaptureArtifactName = "capture.pcap";

struct NetLabRequest {
  std::string capture_path;  // empty: no capture
  // `--capture on-failure`: capture_path is DIR/capture.pcap of --artifacts DIR, written only
  // when the run fails (anything but passed and skipped), as the artifacts are.
  bool capture_on_failure = false;
  std::uint64_t capture_limit_bytes = kDefaultCaptureLimitBytes;
  NetworkConditions conditions;
  std::vector<ServiceRequest> services;
  std::int64_t service_timeout_ms = kDefaultServiceTimeoutMs;  // for each readiness check

  [[nodiscard]] bool any() const {
    return !capture_path.empty() || conditions.any() || !services.empty();
  }
};

// The command line's values, as given; each parser returns nullopt for a malformed one and the
// caller names the option and what it takes (the k...Takes texts).
inline constexpr std::string_view kDelayTakes =
    "milliseconds with an optional jitter, such as 50, 50ms or 50/5";
inline constexpr std::string_view kPercentTakes = "a percentage from 0 to 100, such as 1.5 or 1.5%";
inline constexpr std::string_view kRateTakes =
    "a rate such as 1mbit, 500kbit or 64kbps (bit/kbit/mbit/gbit: bits per second, "
    "bps/kbps/mbps/gbps: bytes per second)";
inline constexpr std::string_view kServiceTakes = "NAME=COMMAND, such as db=./kv_server 7000";
inline constexpr std::string_view kServiceReadyTakes =
    "NAME=tcp:PORT or NAME=COMMAND, such as db=tcp:7000";

struct Delay {
  double delay_ms = 0;
  std::optional<double> jitter_ms;
};
std::optional<Delay> parse_delay(std::string_view text);
std::optional<double> parse_percent(std::string_view text);
std::optional<std::uint64_t> parse_rate_bytes_per_second(std::string_view text);
std::optional<ServiceRequest> parse_service(std::string_view text);
// NAME and its readiness; the service must be declared by --service too (check_netlab_request).
std::optional<std::pair<std::string, ServiceReadiness>> parse_service_ready(std::string_view text);

// What `--capture on-failure` needs of the run's --artifacts request (DIR given, --keep not
// never), each problem naming the fix; `whose` says whose packets are kept ("a failed run's").
// `--capture on-failure` for a run whose --artifacts folder is ARTIFACTS_DIRECTORY: the packets
// go to its capture.pcap, kept only when the run fails.
void request_capture_on_failure(NetLabRequest& request, const std::string& artifacts_directory);

std::vector<std::string> check_capture_on_failure(const ArtifactsRequest& artifacts,
                                                  std::string_view whose);

// Problems that make the request impossible, each naming the fix. `shares_net` and
// `network_none`: the sandbox has no network namespace of its own, or lo stays down.
std::vector<std::string> check_netlab_request(const NetLabRequest& request, bool shares_net,
                                              bool network_none);

}  // namespace isotest
