#include "netlab_request.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "artifacts_request.h"
#include "spec.h"

namespace isotest {

namespace {

std::optional<double> parse_milliseconds(std::string_view text) {
  if (text.ends_with("ms")) text.remove_suffix(2);
  return parse_decimal(text);
}

bool is_service_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
  });
}

// "NAME=VALUE" with a valid NAME and a non-empty VALUE.
std::optional<std::pair<std::string, std::string>> split_named(std::string_view text) {
  const auto equals = text.find('=');
  if (equals == std::string_view::npos) return std::nullopt;
  const std::string_view name = text.substr(0, equals);
  const std::string_view value = text.substr(equals + 1);
  if (!is_service_name(name) || value.empty()) return std::nullopt;
  return std::pair{std::string(name), std::string(value)};
}

void check_percent(const std::optional<double>& value, std::string_view option,
                   std::vector<std::string>& problems) {
  if (value && *value > 100) {
    problems.push_back(std::string(option) + " takes " + std::string(kPercentTakes) +
                       "; a probability above 100% means nothing");
  }
}

// `--capture on-failure` replaces DIR/capture.pcap only as it replaces DIR/tmp: a regular file
// that an earlier run wrote (DIR's marker says so).
std::string problem_with_earlier_capture(const std::string& capture_path) {
  const std::filesystem::path capture(capture_path);
  const std::string folder = capture.parent_path().string();
  struct stat info {};
  if (::lstat(capture_path.c_str(), &info) != 0) return {};
  if (S_ISREG(info.st_mode) && holds_artifacts_marker(folder)) return {};
  return "--capture on-failure: --artifacts " + folder + " already holds " +
         capture.filename().string() +
         " that isotest did not write; name an empty folder, or move it away";
}

}  // namespace

std::optional<Delay> parse_delay(std::string_view text) {
  Delay delay;
  const auto slash = text.find('/');
  auto ms = parse_milliseconds(text.substr(0, slash));
  if (!ms) return std::nullopt;
  delay.delay_ms = *ms;
  if (slash != std::string_view::npos) {
    delay.jitter_ms = parse_milliseconds(text.substr(slash + 1));
    if (!delay.jitter_ms) return std::nullopt;
  }
  return delay;
}

std::optional<double> parse_percent(std::string_view text) {
  if (text.ends_with('%')) text.remove_suffix(1);
  return parse_decimal(text);
}

std::optional<std::uint64_t> parse_rate_bytes_per_second(std::string_view text) {
  struct Unit {
    std::string_view suffix;
    double bytes_per_second;
  };
  // tc(8)'s units: SI multiples; "bit" counts bits, "bps" bytes. Longest suffixes first.
  constexpr Unit kUnits[] = {{"kbit", 1e3 / 8}, {"mbit", 1e6 / 8}, {"gbit", 1e9 / 8}, {"kbps", 1e3},
                             {"mbps", 1e6},     {"gbps", 1e9},     {"bit", 1.0 / 8},  {"bps", 1}};
  for (const auto& unit : kUnits) {
    if (text.size() <= unit.suffix.size() || !text.ends_with(unit.suffix)) continue;
    auto number = parse_decimal(text.substr(0, text.size() - unit.suffix.size()));
    if (!number) return std::nullopt;
    const double bytes = *number * unit.bytes_per_second;
    if (bytes < 1 || bytes > 1e15) return std::nullopt;
    return static_cast<std::uint64_t>(bytes);
  }
  return std::nullopt;
}

std::optional<ServiceRequest> parse_service(std::string_view text) {
  auto named = split_named(text);
  if (!named) return std::nullopt;
  return ServiceRequest{.name = named->first, .command = named->second, .ready = std::nullopt};
}

std::optional<std::pair<std::string, ServiceReadiness>> parse_service_ready(std::string_view text) {
  auto named = split_named(text);
  if (!named) return std::nullopt;
  ServiceReadiness readiness;
  const std::string& how = named->second;
  if (how.starts_with("tcp:")) {
    auto port = parse_whole_number(std::string_view(how).substr(4));
    if (!port || *port < 1 || *port > 65535) return std::nullopt;
    readiness.tcp_port = static_cast<std::uint16_t>(*port);
  } else {
    readiness.command = how;
  }
  return std::pair{named->first, readiness};
}

void request_capture_on_failure(NetLabRequest& request, const std::string& artifacts_directory) {
  request.capture_on_failure = true;
  request.capture_path = artifacts_directory + "/" + std::string(kCaptureArtifactName);
}

std::vector<std::string> check_capture_on_failure(const ArtifactsRequest& artifacts,
                                                  std::string_view whose) {
  std::vector<std::string> problems;
  if (!artifacts.active()) {
    problems.push_back("--capture on-failure keeps " + std::string(whose) +
                       " packets in its --artifacts folder: add --artifacts DIR");
  } else if (artifacts.keep == KeepPolicy::never) {
    problems.emplace_back(
        "--capture on-failure keeps the packets in --artifacts DIR, which --keep never turns "
        "off: use --keep on-failure or always");
  }
  return problems;
}

std::vector<std::string> check_netlab_request(const NetLabRequest& request, bool shares_net,
                                              bool network_none) {
  std::vector<std::string> problems;
  const auto& conditions = request.conditions;
  const bool wants_network = !request.capture_path.empty() || conditions.any();
  if (wants_network && shares_net) {
    problems.push_back(
        "--capture and --net-* act on the sandbox's own network namespace, never on the host's: "
        "drop --share net / --network host");
  } else if (wants_network && network_none) {
    problems.push_back("--capture and --net-* need lo up: drop --network none");
  }
  if (request.capture_on_failure) {
    if (auto problem = problem_with_earlier_capture(request.capture_path); !problem.empty()) {
      problems.push_back(std::move(problem));
    }
  }
  check_percent(conditions.loss_percent, "--net-loss", problems);
  check_percent(conditions.duplicate_percent, "--net-duplicate", problems);
  check_percent(conditions.reorder_percent, "--net-reorder", problems);
  check_percent(conditions.corrupt_percent, "--net-corrupt", problems);
  if (conditions.reorder_percent && !conditions.delay_ms) {
    problems.push_back(
        "--net-reorder sends some packets ahead of the others, which wait --net-delay: add "
        "--net-delay, such as --net-delay 10");
  }
  if (conditions.jitter_ms && conditions.delay_ms && *conditions.jitter_ms > *conditions.delay_ms) {
    problems.push_back("--net-delay: the jitter cannot exceed the delay (" +
                       std::string(kDelayTakes) + ")");
  }
  for (std::size_t i = 0; i < request.services.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (request.services[i].name == request.services[j].name) {
        problems.push_back("--service: the name `" + request.services[i].name +
                           "` is given twice; give each service its own name");
      }
    }
  }
  if (!request.services.empty() && request.service_timeout_ms <= 0) {
    problems.push_back("--service-timeout takes a duration above zero, such as 10s");
  }
  return problems;
}

}  // namespace isotest
