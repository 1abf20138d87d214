#include "spec.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace isotest {

namespace {

struct NamedNamespace {
  Namespace ns;
  std::string_view name;
};
constexpr NamedNamespace kNamespaceNames[] = {
    {Namespace::user, "user"},    {Namespace::mount, "mount"}, {Namespace::pid, "pid"},
    {Namespace::net, "net"},      {Namespace::ipc, "ipc"},     {Namespace::uts, "uts"},
    {Namespace::cgroup, "cgroup"}};

// 0.5, 2, 0.001: no trailing zeros, as people write the number.
std::string shortest_text(double value) {
  char text[64];
  auto [end, ec] = std::to_chars(text, text + sizeof text, value);
  return ec == std::errc() ? std::string(text, end) : std::to_string(value);
}

bool is_absolute(std::string_view path) {
  return !path.empty() && path.front() == '/';
}

}  // namespace

std::string_view namespace_name(Namespace ns) {
  for (const auto& entry : kNamespaceNames) {
    if (entry.ns == ns) return entry.name;
  }
  return "?";
}

std::optional<Namespace> parse_namespace(std::string_view name) {
  if (name == "network") name = "net";
  if (name == "mnt") name = "mount";
  for (const auto& entry : kNamespaceNames) {
    if (entry.name == name) return entry.ns;
  }
  return std::nullopt;
}

std::string_view network_mode_name(NetworkMode mode) {
  switch (mode) {
    case NetworkMode::loopback:
      return "loopback";
    case NetworkMode::none:
      return "none";
    case NetworkMode::host:
      return "host";
  }
  return "?";
}

std::optional<NetworkMode> parse_network_mode(std::string_view name) {
  if (name == "loopback") return NetworkMode::loopback;
  if (name == "none") return NetworkMode::none;
  if (name == "host") return NetworkMode::host;
  return std::nullopt;
}

std::optional<StackMode> parse_stack_mode(std::string_view name) {
  if (name == "auto") return StackMode::automatic;
  if (name == "never") return StackMode::never;
  return std::nullopt;
}

std::optional<CoreMode> parse_core_mode(std::string_view name) {
  if (name == "auto") return CoreMode::automatic;
  if (name == "never") return CoreMode::never;
  return std::nullopt;
}

std::string_view seccomp_mode_name(SeccompMode mode) {
  switch (mode) {
    case SeccompMode::errno_return:
      return "errno";
    case SeccompMode::kill:
      return "kill";
    case SeccompMode::off:
      return "off";
  }
  return "?";
}

std::optional<SeccompMode> parse_seccomp_mode(std::string_view name) {
  if (name == "errno") return SeccompMode::errno_return;
  if (name == "kill") return SeccompMode::kill;
  if (name == "off") return SeccompMode::off;
  return std::nullopt;
}

std::string SandboxSpec::display_name() const {
  if (!name.empty()) return name;
  if (command.empty()) return {};
  const std::string& program = command.front();
  auto slash = program.find_last_of('/');
  return slash == std::string::npos ? program : program.substr(slash + 1);
}

std::vector<std::string> validate(const SandboxSpec& spec) {
  std::vector<std::string> problems;
  if (spec.command.empty()) {
    problems.emplace_back(kNoCommand);
  }
  const bool own_mounts = !spec.shares(Namespace::mount);
  if (!own_mounts && (!spec.binds.empty() || !spec.tmpfs.empty() || spec.read_only_root)) {
    problems.emplace_back(
        "--bind, --ro-bind, --tmpfs and --read-only need a private mount namespace; drop "
        "`mount` from --share");
  }
  if (spec.shares(Namespace::uts) && spec.hostname != "isotest") {
    problems.emplace_back("--hostname needs a private UTS namespace; drop `uts` from --share");
  }
  if (spec.shares(Namespace::net) && spec.network != NetworkMode::host) {
    problems.emplace_back("--share net keeps the host's network, which contradicts --network " +
                          std::string(network_mode_name(spec.network)) + "; use one of them");
  }
  if (spec.hostname.empty() || spec.hostname.size() > 64) {
    problems.emplace_back("--hostname must be 1 to 64 characters");
  }
  for (const auto& bind : spec.binds) {
    if (!is_absolute(bind.target)) {
      problems.emplace_back("bind target `" + bind.target + "` must be an absolute path");
    }
  }
  for (const auto& mount : spec.tmpfs) {
    if (!is_absolute(mount.target)) {
      problems.emplace_back("--tmpfs target `" + mount.target + "` must be an absolute path");
    }
    // tmpfs reads size=0 as "no limit" (Documentation/filesystems/tmpfs.rst): not what a size
    // of 0 says.
    if (mount.size_bytes == 0U) {
      problems.emplace_back("--tmpfs " + mount.target +
                            ":0 would have no size limit (tmpfs reads 0 as unlimited); give a "
                            "size such as 64M, or none for the kernel's default (half of RAM)");
    }
  }
  if (spec.limits.memory_max_bytes && *spec.limits.memory_max_bytes < 1024ULL * 1024) {
    problems.push_back("--memory takes " + std::string(kMemoryTakes) + "; got " +
                       std::to_string(*spec.limits.memory_max_bytes) + " bytes");
  }
  if (spec.limits.pids_max && (*spec.limits.pids_max < 2 || *spec.limits.pids_max > kMaxPids)) {
    problems.push_back("--pids takes " + std::string(kPidsTakes) + "; got " +
                       std::to_string(*spec.limits.pids_max));
  }
  // Written so that NaN fails too.
  if (spec.limits.cpus && !(*spec.limits.cpus >= 0.01 && *spec.limits.cpus <= 4096)) {
    problems.push_back("--cpus takes " + std::string(kCpusTakes) + "; got " +
                       shortest_text(*spec.limits.cpus));
  }
  if (spec.stacks_timeout_ms <= 0) {
    problems.emplace_back(
        "--stacks-timeout must be greater than zero; use --stacks never to "
        "collect no stacks");
  }
  if (spec.timeout_ms && *spec.timeout_ms <= 0) {
    problems.emplace_back("--timeout must be greater than zero");
  }
  if (spec.seccomp == SeccompMode::off && !spec.seccomp_allow.empty()) {
    problems.emplace_back("--seccomp-allow has no effect with --seccomp off; drop one of them");
  }
  for (int fd : spec.pass_fds) {
    if (fd <= 2) {
      problems.emplace_back("--pass-fd " + std::to_string(fd) +
                            ": stdin, stdout and stderr are always passed; give a number from 3");
    }
  }
  for (const auto& [key, value] : spec.environment) {
    if (key.empty() || key.find('=') != std::string::npos) {
      problems.emplace_back("--env needs KEY=VALUE with a non-empty KEY; got `" + key + "`");
    }
  }
  return problems;
}

std::optional<double> parse_decimal(std::string_view text) {
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  const auto point = text.find('.');
  const std::string_view whole = text.substr(0, point);
  const std::string_view fraction =
      point == std::string_view::npos ? std::string_view() : text.substr(point + 1);
  if (whole.empty() || !std::all_of(whole.begin(), whole.end(), is_digit) ||
      (point != std::string_view::npos &&
       (fraction.empty() || !std::all_of(fraction.begin(), fraction.end(), is_digit)))) {
    return std::nullopt;
  }
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> parse_whole_number(std::string_view text) {
  const std::string_view digits = text.starts_with('-') ? text.substr(1) : text;
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::int64_t> parse_duration_ms(std::string_view text) {
  struct Unit {
    std::string_view suffix;
    double ms;
  };
  // Longest suffixes first so "ms" is not read as "m" + "s".
  constexpr Unit kUnits[] = {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}};
  double scale = 1000;
  for (const auto& unit : kUnits) {
    if (text.size() > unit.suffix.size() && text.ends_with(unit.suffix)) {
      text.remove_suffix(unit.suffix.size());
      scale = unit.ms;
      break;
    }
  }
  auto number = parse_decimal(text);
  if (!number) return std::nullopt;
  double ms = std::round(*number * scale);
  if (ms > 1e15) return std::nullopt;
  return static_cast<std::int64_t>(ms);
}

std::optional<std::uint64_t> parse_size_bytes(std::string_view text) {
  if (text.ends_with("iB")) {
    text.remove_suffix(2);
  } else if (text.ends_with("B") && text.size() > 1 &&
             std::string_view("KMGT").find(text[text.size() - 2]) != std::string_view::npos) {
    text.remove_suffix(1);
  }
  double scale = 1;
  if (!text.empty()) {
    switch (text.back()) {
      case 'K':
      case 'k':
        scale = 1024.0;
        break;
      case 'M':
      case 'm':
        scale = 1024.0 * 1024;
        break;
      case 'G':
      case 'g':
        scale = 1024.0 * 1024 * 1024;
        break;
      case 'T':
      case 't':
        scale = 1024.0 * 1024 * 1024 * 1024;
        break;
      default:
        break;
    }
    if (scale != 1) text.remove_suffix(1);
  }
  auto number = parse_decimal(text);
  if (!number) return std::nullopt;
  double bytes = std::floor(*number * scale);
  if (bytes > 1.8e19) return std::nullopt;
  return static_cast<std::uint64_t>(bytes);
}

std::optional<BindMount> parse_bind(std::string_view text, bool read_only) {
  if (text.empty()) return std::nullopt;
  auto colon = text.find(':');
  BindMount bind;
  bind.read_only = read_only;
  bind.source = std::string(text.substr(0, colon));
  bind.target = colon == std::string_view::npos ? bind.source : std::string(text.substr(colon + 1));
  if (bind.source.empty() || bind.target.empty()) return std::nullopt;
  return bind;
}

std::optional<TmpfsMount> parse_tmpfs(std::string_view text) {
  auto colon = text.find(':');
  TmpfsMount mount;
  mount.target = std::string(text.substr(0, colon));
  if (mount.target.empty()) return std::nullopt;
  if (colon != std::string_view::npos) {
    mount.size_bytes = parse_size_bytes(text.substr(colon + 1));
    if (!mount.size_bytes) return std::nullopt;
  }
  return mount;
}

}  // namespace isotest
