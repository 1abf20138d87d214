#include "spec.h"

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

std::optional<double> parse_number(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value < 0) {
    return std::nullopt;
  }
  return value;
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
    problems.emplace_back("no command given; put it after `--`: isotest run -- ./my_test");
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
  }
  if (spec.limits.memory_max_bytes && *spec.limits.memory_max_bytes < 1024ULL * 1024) {
    problems.emplace_back("--memory must be at least 1M");
  }
  if (spec.limits.pids_max && *spec.limits.pids_max < 2) {
    problems.emplace_back("--pids must be at least 2 (isotest's init and the test)");
  }
  if (spec.limits.cpus && (*spec.limits.cpus < 0.01 || *spec.limits.cpus > 4096)) {
    problems.emplace_back("--cpus takes a number of CPUs from 0.01 to 4096, such as 0.5 or 2");
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
  auto number = parse_number(text);
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
  auto number = parse_number(text);
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
