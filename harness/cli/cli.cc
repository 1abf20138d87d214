#include "cli.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <climits>
#include <filesystem>
#include <regex>

#include "messages.h"
#include "seccomp_filter.h"
#include "setup_error.h"

namespace isotest {

namespace {

constexpr int kUsageError = 125;

constexpr std::string_view kCommands[] = {"run", "gtest", "report", "doctor", "cmake-include"};

std::string got(const std::string& text) {
  return "got " + describe_given(text);
}

// The isolation and limit options of `isotest run`, declared once so that `isotest gtest` takes
// the same set and forwards it to each sandbox (docs/gtest-runner.md). Scalars take the last value
// given, so arguments appended later (a case's own needs) override earlier ones. Every value is
// kept as text and converted here, so that each mistake gets a message naming the option, the
// value and what it takes, and all of them are reported at once.
struct SandboxOptionTexts {
  std::vector<std::string> share, binds, ro_binds, tmpfs, env;
  std::string network, timeout, kill_after, output_limit, memory, seccomp, time_offset, pids, cpus;
  // The network lab (issue 15).
  std::string net_delay, net_loss, net_rate, net_duplicate, net_reorder, net_corrupt,
      service_timeout;
  std::vector<std::string> services, service_ready;
  std::string stacks, stacks_timeout, crash_core;
};

constexpr const char* kSandboxGroup = "Isolation and limits";

// Network conditions and services (issue 15): isolation options too, so `isotest gtest` passes
// them to each case and a case's ISOTEST_NEEDS can add them.
void add_network_lab_options(CLI::App& command, SandboxOptionTexts& texts, const auto& scalar,
                             const auto& repeated) {
  scalar(command.add_option("--net-delay", texts.net_delay,
                            "delay each packet on lo by MS, JITTER more or less (netem)"))
      ->option_text("MS[/JITTER]");
  scalar(command.add_option("--net-loss", texts.net_loss, "drop this share of packets (netem)"))
      ->option_text("PCT");
  scalar(command.add_option("--net-rate", texts.net_rate,
                            "limit lo to RATE (1mbit, 500kbit, 64kbps; tbf, or netem with others)"))
      ->option_text("RATE");
  scalar(command.add_option("--net-duplicate", texts.net_duplicate,
                            "send this share of packets twice (netem)"))
      ->option_text("PCT");
  scalar(command.add_option("--net-reorder", texts.net_reorder,
                            "send this share of packets at once, ahead of the delayed (netem; "
                            "needs --net-delay)"))
      ->option_text("PCT");
  scalar(command.add_option("--net-corrupt", texts.net_corrupt,
                            "flip a bit in this share of packets (netem)"))
      ->option_text("PCT");
  repeated(command.add_option("--service", texts.services,
                              "start `sh -c COMMAND` in the sandbox before the test, stop it "
                              "after (repeatable)"))
      ->option_text("NAME=COMMAND");
  repeated(command.add_option("--service-ready", texts.service_ready,
                              "start the test once the service accepts a connection on "
                              "127.0.0.1:PORT, or once COMMAND exits 0"))
      ->option_text("NAME=tcp:PORT|NAME=COMMAND");
  scalar(command.add_option("--service-timeout", texts.service_timeout,
                            "how long each service may take to get ready (default 10s)"))
      ->option_text("DURATION");
}

void add_sandbox_options(CLI::App& command, SandboxSpec& spec, SandboxOptionTexts& texts) {
  auto scalar = [](CLI::Option* option) {
    return option->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)->group(kSandboxGroup);
  };
  auto repeated = [](CLI::Option* option) {
    return option->allow_extra_args(false)->group(kSandboxGroup);
  };
  repeated(command.add_option("--share", texts.share,
                              "keep these namespaces from the host: user,mount,pid,net,"
                              "ipc,uts,cgroup"))
      ->delimiter(',')
      ->option_text("NS[,NS...]");
  scalar(command.add_option("--network", texts.network,
                            "loopback (default: only lo, up), none (lo down), host"))
      ->option_text("MODE");
  scalar(command.add_option("--time-offset", texts.time_offset,
                            "new time namespace with CLOCK_MONOTONIC/BOOTTIME this far ahead"))
      ->option_text("SECONDS");
  command.add_flag("--root", spec.map_root, "map the caller's uid and gid to 0 inside")
      ->group(kSandboxGroup);
  scalar(command.add_option("--hostname", spec.hostname, "hostname inside (default: isotest)"))
      ->option_text("NAME");
  repeated(command.add_option("--bind", texts.binds, "bind-mount SRC on DST (default DST=SRC)"))
      ->option_text("SRC[:DST]");
  repeated(command.add_option("--ro-bind", texts.ro_binds, "read-only bind mount"))
      ->option_text("SRC[:DST]");
  repeated(command.add_option("--tmpfs", texts.tmpfs, "fresh tmpfs on DST"))
      ->option_text("DST[:SIZE]");
  repeated(command.add_option("--keep-visible", spec.keep_visible,
                              "keep this host path visible at the same path where a fresh mount "
                              "(/tmp, /dev/shm, --tmpfs) would hide it; follows --read-only"))
      ->option_text("PATH");
  command
      .add_flag("--read-only", spec.read_only_root,
                "host tree read-only, except the working directory, binds and tmpfs")
      ->group(kSandboxGroup);
  scalar(command.add_option("--chdir", spec.working_directory, "working directory inside"))
      ->option_text("DIR");
  repeated(command.add_option("--env", texts.env, "set a variable (repeatable)"))
      ->option_text("K=V");
  command.add_flag("--clear-env", spec.clear_environment, "start from an empty environment")
      ->group(kSandboxGroup);
  scalar(command.add_option("--timeout", texts.timeout, "SIGTERM after DURATION (500ms, 30s, 2m)"))
      ->option_text("DURATION");
  scalar(command.add_option("--kill-after", texts.kill_after,
                            "grace period before SIGKILL (default 2s)"))
      ->option_text("DURATION");
  scalar(command.add_option("--stacks", texts.stacks,
                            "auto (default: at a timeout, record every thread's stack before "
                            "signalling the test), never"))
      ->option_text("MODE");
  scalar(command.add_option("--stacks-timeout", texts.stacks_timeout,
                            "give up collecting stacks after DURATION (default 3s)"))
      ->option_text("DURATION");
  scalar(command.add_option("--crash-core", texts.crash_core,
                            "auto (default: where core_pattern writes a file, let a crashing "
                            "test dump core and read its crash site from it), never"))
      ->option_text("MODE");
  scalar(command.add_option("--memory", texts.memory,
                            "memory limit, swap included (256M, 1G); OOM is status oom"))
      ->option_text("SIZE");
  scalar(command.add_option("--pids", texts.pids, "at most N tasks (processes and threads)"))
      ->option_text("N");
  scalar(command.add_option("--cpus", texts.cpus, "CPU bandwidth in CPUs (0.5, 1.5)"))
      ->option_text("X");
  scalar(command.add_option("--seccomp", texts.seccomp,
                            "errno (default: refused calls fail with EPERM), kill (the first one "
                            "ends the run), off"))
      ->option_text("MODE");
  repeated(command.add_option("--seccomp-allow", spec.seccomp_allow,
                              "let these normally refused system calls through (see "
                              "docs/security.md)"))
      ->delimiter(',')
      ->option_text("NAME[,NAME...]");
  command
      .add_flag("--allow-degraded", spec.allow_degraded,
                "run even when a limit cannot be applied; the JSON lists what is missing")
      ->group(kSandboxGroup);
  scalar(command.add_option("--output-limit", texts.output_limit,
                            "bytes of stdout and of stderr kept in the JSON (default 64K)"))
      ->option_text("SIZE");
  add_network_lab_options(command, texts, scalar, repeated);
}

// Converts the texts of the limits and durations. An empty text was not given (an option given
// an empty value is refused before, by refuse_empty_values).
void convert_limits(SandboxSpec& spec, const SandboxOptionTexts& texts,
                    std::vector<std::string>& problems) {
  auto duration_problem = [](const std::string& option, const std::string& text) {
    return option + " takes a duration such as 500ms, 30s or 2m; " + got(text);
  };
  if (!texts.memory.empty()) {
    spec.limits.memory_max_bytes = parse_size_bytes(texts.memory);
    if (!spec.limits.memory_max_bytes) {
      problems.push_back("--memory takes " + std::string(kMemoryTakes) + "; " + got(texts.memory));
    }
  }
  if (!texts.pids.empty()) {
    auto pids = parse_whole_number(texts.pids);
    if (!pids || *pids < 0) {
      problems.push_back("--pids takes " + std::string(kPidsTakes) + "; " + got(texts.pids));
    } else {
      spec.limits.pids_max = static_cast<std::uint64_t>(*pids);
    }
  }
  if (!texts.cpus.empty()) {
    spec.limits.cpus = parse_decimal(texts.cpus);
    if (!spec.limits.cpus) {
      problems.push_back("--cpus takes " + std::string(kCpusTakes) + "; " + got(texts.cpus));
    }
  }
  if (!texts.time_offset.empty()) {
    spec.time_offset_seconds = parse_whole_number(texts.time_offset);
    if (!spec.time_offset_seconds) {
      problems.push_back("--time-offset takes " + std::string(kTimeOffsetTakes) + "; " +
                         got(texts.time_offset));
    }
  }
  if (!texts.timeout.empty()) {
    spec.timeout_ms = parse_duration_ms(texts.timeout);
    if (!spec.timeout_ms) problems.push_back(duration_problem("--timeout", texts.timeout));
  }
  if (!texts.kill_after.empty()) {
    auto ms = parse_duration_ms(texts.kill_after);
    if (!ms) problems.push_back(duration_problem("--kill-after", texts.kill_after));
    spec.kill_after_ms = ms.value_or(spec.kill_after_ms);
  }
  if (!texts.stacks_timeout.empty()) {
    auto ms = parse_duration_ms(texts.stacks_timeout);
    if (!ms) problems.push_back(duration_problem("--stacks-timeout", texts.stacks_timeout));
    spec.stacks_timeout_ms = ms.value_or(spec.stacks_timeout_ms);
  }
  if (!texts.stacks.empty()) {
    auto mode = parse_stack_mode(texts.stacks);
    if (!mode) problems.push_back("--stacks takes auto or never; " + got(texts.stacks));
    spec.stacks = mode.value_or(spec.stacks);
  }
  if (!texts.crash_core.empty()) {
    auto mode = parse_core_mode(texts.crash_core);
    if (!mode) problems.push_back("--crash-core takes auto or never; " + got(texts.crash_core));
    spec.crash_core = mode.value_or(spec.crash_core);
  }
  if (!texts.output_limit.empty()) {
    auto bytes = parse_size_bytes(texts.output_limit);
    if (!bytes) {
      problems.push_back("--output-limit takes a size such as 64K or 1M; " +
                         got(texts.output_limit));
    }
    spec.output_limit_bytes = bytes.value_or(spec.output_limit_bytes);
  }
}

void convert_namespaces(SandboxSpec& spec, const SandboxOptionTexts& texts,
                        std::vector<std::string>& problems) {
  for (const auto& name : texts.share) {
    auto ns = parse_namespace(name);
    if (!ns) {
      problems.push_back("--share: unknown namespace `" + name +
                         "`; use user, mount, pid, net, ipc, uts or cgroup");
      continue;
    }
    spec.share(*ns);
  }
  if (spec.shares(Namespace::net) && texts.network.empty()) spec.network = NetworkMode::host;
  if (!texts.network.empty()) {
    auto mode = parse_network_mode(texts.network);
    if (!mode) {
      problems.push_back("--network: unknown mode `" + texts.network +
                         "`; use loopback, none or host");
    } else {
      spec.network = *mode;
      if (*mode == NetworkMode::host) spec.share(Namespace::net);
    }
  }
  if (!texts.seccomp.empty()) {
    auto mode = parse_seccomp_mode(texts.seccomp);
    if (!mode) {
      problems.push_back("--seccomp: unknown mode `" + texts.seccomp + "`; use errno, kill or off");
    }
    spec.seccomp = mode.value_or(spec.seccomp);
  }
  for (auto& problem : check_seccomp_allow(spec.seccomp_allow)) problems.push_back(problem);
}

void convert_mounts_and_environment(SandboxSpec& spec, const SandboxOptionTexts& texts,
                                    std::vector<std::string>& problems) {
  auto add_binds = [&](const std::vector<std::string>& binds, bool read_only) {
    for (const auto& text : binds) {
      auto bind = parse_bind(text, read_only);
      if (!bind) {
        problems.push_back(std::string(read_only ? "--ro-bind" : "--bind") + " takes SRC[:DST]; " +
                           got(text));
        continue;
      }
      // Relative sources are the caller's; the sandbox may start elsewhere (--chdir).
      const bool same_path = bind->target == bind->source;
      bind->source = std::filesystem::absolute(bind->source).lexically_normal().string();
      if (same_path) bind->target = bind->source;
      spec.binds.push_back(*bind);
    }
  };
  add_binds(texts.binds, false);
  add_binds(texts.ro_binds, true);
  for (const auto& text : texts.tmpfs) {
    auto mount = parse_tmpfs(text);
    if (!mount) {
      problems.push_back("--tmpfs takes DST[:SIZE], such as /scratch or /scratch:64M; " +
                         got(text));
      continue;
    }
    spec.tmpfs.push_back(*mount);
  }
  for (const auto& text : texts.env) {
    auto equals = text.find('=');
    if (equals == std::string::npos || equals == 0) {
      problems.push_back("--env takes KEY=VALUE; " + got(text));
      continue;
    }
    spec.environment.emplace_back(text.substr(0, equals), text.substr(equals + 1));
  }
}

void convert_network_lab(SandboxSpec& spec, const SandboxOptionTexts& texts,
                         std::vector<std::string>& problems) {
  NetworkConditions& conditions = spec.netlab.conditions;
  if (!texts.net_delay.empty()) {
    if (auto delay = parse_delay(texts.net_delay)) {
      conditions.delay_ms = delay->delay_ms;
      conditions.jitter_ms = delay->jitter_ms;
    } else {
      problems.push_back("--net-delay takes " + std::string(kDelayTakes) + "; " +
                         got(texts.net_delay));
    }
  }
  auto percent = [&](const std::string& text, const char* option, std::optional<double>& value) {
    if (text.empty()) return;
    value = parse_percent(text);
    if (!value)
      problems.push_back(std::string(option) + " takes " + std::string(kPercentTakes) + "; " +
                         got(text));
  };
  percent(texts.net_loss, "--net-loss", conditions.loss_percent);
  percent(texts.net_duplicate, "--net-duplicate", conditions.duplicate_percent);
  percent(texts.net_reorder, "--net-reorder", conditions.reorder_percent);
  percent(texts.net_corrupt, "--net-corrupt", conditions.corrupt_percent);
  if (!texts.net_rate.empty()) {
    conditions.rate_bytes_per_second = parse_rate_bytes_per_second(texts.net_rate);
    conditions.rate_text = texts.net_rate;
    if (!conditions.rate_bytes_per_second) {
      problems.push_back("--net-rate takes " + std::string(kRateTakes) + "; " +
                         got(texts.net_rate));
    }
  }
  for (const auto& text : texts.services) {
    auto service = parse_service(text);
    if (!service) {
      problems.push_back("--service takes " + std::string(kServiceTakes) +
                         " (NAME: letters, digits, `_`, `-`, `.`); " + got(text));
      continue;
    }
    spec.netlab.services.push_back(std::move(*service));
  }
  for (const auto& text : texts.service_ready) {
    auto ready = parse_service_ready(text);
    if (!ready) {
      problems.push_back("--service-ready takes " + std::string(kServiceReadyTakes) + "; " +
                         got(text));
      continue;
    }
    auto& services = spec.netlab.services;
    auto named = std::find_if(services.begin(), services.end(),
                              [&](const ServiceRequest& s) { return s.name == ready->first; });
    if (named == services.end()) {
      problems.push_back("--service-ready names `" + ready->first +
                         "`, which no --service starts; add --service " + ready->first +
                         "=COMMAND");
      continue;
    }
    named->ready = ready->second;
  }
  if (!texts.service_timeout.empty()) {
    auto ms = parse_duration_ms(texts.service_timeout);
    if (!ms) {
      problems.push_back("--service-timeout takes a duration such as 500ms, 30s or 2m; " +
                         got(texts.service_timeout));
    }
    spec.netlab.service_timeout_ms = ms.value_or(spec.netlab.service_timeout_ms);
  }
}

// Fills `spec` from the parsed texts; the problems found, each a sentence naming the fix.
std::vector<std::string> finish_sandbox_options(SandboxSpec& spec,
                                                const SandboxOptionTexts& texts) {
  std::vector<std::string> problems;
  convert_limits(spec, texts, problems);
  convert_namespaces(spec, texts, problems);
  convert_mounts_and_environment(spec, texts, problems);
  convert_network_lab(spec, texts, problems);
  return problems;
}

std::vector<std::string> check_network_lab(const SandboxSpec& spec) {
  return check_netlab_request(spec.netlab, spec.shares(Namespace::net),
                              spec.network == NetworkMode::none);
}

bool is_flag(const CLI::Option& option) {
  return option.get_expected_max() == 0;
}

// The isolation and limit options as they were given, to pass on to `isotest run`. A flag goes
// on as its name when it is on (`--root`, also `--root=true`), and not at all when it is off
// (`--root=false`): its value is not an argument of its own.
std::vector<std::string> sandbox_arguments(const CLI::App& command) {
  std::vector<std::string> arguments;
  for (const CLI::Option* option : command.get_options()) {
    if (option->get_group() != kSandboxGroup || option->count() == 0) continue;
    const std::string name = option->get_name();
    if (is_flag(*option)) {
      if (option->as<bool>()) arguments.push_back(name);
      continue;
    }
    for (const auto& value : option->results()) {
      arguments.push_back(name);
      arguments.push_back(value);
    }
  }
  return arguments;
}

// The words that may be empty: those of the command and of the GoogleTest binary's arguments,
// which are the test's business.
bool may_be_empty(const CLI::Option& option) {
  return option.get_name() == "command" || option.get_name() == "args";
}

// An option given an empty value (`--memory ''`, or `--memory "$LIMIT"` with LIMIT unset) is
// refused, not taken as "not given": a script whose variable is unset must not lose its limit,
// its timeout or its result file without a word.
std::vector<std::string> refuse_empty_values(const CLI::App& command) {
  std::vector<std::string> problems;
  for (const CLI::Option* option : command.get_options()) {
    if (is_flag(*option) || may_be_empty(*option)) continue;
    const auto& values = option->results();
    if (std::none_of(values.begin(), values.end(), [](const auto& v) { return v.empty(); })) {
      continue;
    }
    const std::string& takes = option->get_option_text();
    if (option->nonpositional()) {
      problems.push_back(option->get_name() + " takes " + takes +
                         "; got an empty value (an unset variable?)");
    } else {
      problems.push_back(takes + " is empty (an unset variable?)");
    }
  }
  return problems;
}

bool report_problems(const std::vector<std::string>& problems) {
  for (const auto& problem : problems) print_message(problem);
  return !problems.empty();
}

// What CLI11 found wrong, said the way isotest says the rest: "--memory: 1 required SIZE missing"
// becomes "--memory takes SIZE; none given".
std::string describe_parse_error(const CLI::ParseError& error) {
  std::string text = error.what();
  if (text == "A subcommand is required") {
    return "give a command: run, gtest, report or doctor";
  }
  if (text == "command is required") return std::string(kNoCommand);
  static const std::regex kMissingValue("^(-[^:]+): [0-9]+ required (.*) missing$");
  std::smatch match;
  if (std::regex_match(text, match, kMissingValue)) {
    const std::string takes = match[2].str();
    return match[1].str() + (takes.empty() ? " takes a value" : " takes " + takes) + "; none given";
  }
  return text;
}

// An argument that CLI11 would take for a misspelt command: `isotest frobnicate` would only say
// that a command is required.
std::optional<std::string> unknown_command(int argc, char** argv) {
  if (argc < 2) return std::nullopt;
  const std::string_view first = argv[1];
  if (first.empty() || first.starts_with('-')) return std::nullopt;
  if (std::find(std::begin(kCommands), std::end(kCommands), first) != std::end(kCommands)) {
    return std::nullopt;
  }
  return "unknown command `" + std::string(first) +
         "`; use run, gtest, report, doctor or cmake-include";
}

struct RunOnlyTexts {
  std::vector<std::string> pass_fds;
  std::string capture, capture_limit;
  std::string artifacts, keep, artifacts_limit;
  bool check_only = false;
};

std::vector<std::string> finish_run_only_options(SandboxSpec& spec, const RunOnlyTexts& texts) {
  std::vector<std::string> problems;
  for (const auto& text : texts.pass_fds) {
    auto fd = parse_whole_number(text);
    if (!fd || *fd < 0 || *fd > INT_MAX) {
      problems.push_back("--pass-fd takes a file descriptor number, such as 3; " + got(text));
      continue;
    }
    spec.pass_fds.push_back(static_cast<int>(*fd));
  }
  for (auto& problem : convert_artifacts_options(spec.artifacts, texts.artifacts, texts.keep,
                                                 texts.artifacts_limit)) {
    problems.push_back(std::move(problem));
  }
  if (texts.capture == kCaptureOnFailure) {
    for (auto& problem : check_capture_on_failure(spec.artifacts, "a failed run's")) {
      problems.push_back(problem + ", or name a file: --capture run.pcap");
    }
    request_capture_on_failure(spec.netlab, spec.artifacts.directory);
  } else {
    spec.netlab.capture_path = texts.capture;
  }
  if (!texts.capture_limit.empty()) {
    auto bytes = parse_size_bytes(texts.capture_limit);
    if (!bytes || *bytes < 1024) {
      problems.push_back("--capture-limit takes a size of at least 1K, such as 64M; " +
                         got(texts.capture_limit));
    }
    spec.netlab.capture_limit_bytes = bytes.value_or(spec.netlab.capture_limit_bytes);
  }
  return problems;
}

// The `run` options besides the isolation and limit ones; `isotest gtest` sets them per case,
// or cannot pass them on (docs/gtest-runner.md says why).
void add_run_only_options(CLI::App& run, SandboxSpec& spec, RunOnlyTexts& texts) {
  run.add_option("--name", spec.name, "name in the result (default: the command's basename)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->option_text("NAME");
  run.add_option("--json", spec.json_path, "write the result as JSON to FILE (atomically)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->option_text("FILE");
  run.add_option("--pass-fd", texts.pass_fds, "let the test inherit this open fd (repeatable)")
      ->allow_extra_args(false)
      ->option_text("N");
  run.add_option("--capture", texts.capture,
                 "record the sandbox's packets to FILE (pcap, for tcpdump and Wireshark); "
                 "on-failure: to DIR/capture.pcap of --artifacts DIR when the run fails")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->option_text("FILE|on-failure");
  run.add_option("--capture-limit", texts.capture_limit,
                 "stop capturing when the file would exceed SIZE (default 64M)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->option_text("SIZE");
  run.add_option("--artifacts", texts.artifacts,
                 "keep the sandbox's /tmp and $TEST_UNDECLARED_OUTPUTS_DIR under DIR after the run "
                 "(DIR/tmp, DIR/outputs), as --keep says")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->option_text("DIR");
  run.add_option("--keep", texts.keep,
                 "on-failure (default: unless the test passed or was skipped), always, never")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->option_text("POLICY");
  run.add_option("--artifacts-limit", texts.artifacts_limit,
                 "stop keeping files past SIZE in all (default 64M)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->option_text("SIZE");
  run.add_flag("--check", texts.check_only,
               "only check the options: exit 0, or 125 with the problems (for build systems)");
}

CLI::App* declare_run(CLI::App& app, SandboxSpec& spec, SandboxOptionTexts& texts,
                      RunOnlyTexts& run_texts) {
  auto* run = app.add_subcommand("run", "run one command in a fresh sandbox");
  run->footer("Usage: isotest run [OPTIONS] -- COMMAND [ARGS...]");
  add_run_only_options(*run, spec, run_texts);
  add_sandbox_options(*run, spec, texts);
  run->add_option("command", spec.command, "the command and its arguments, after --")
      ->required()
      ->option_text("COMMAND");
  run->positionals_at_end();
  return run;
}

// What is wrong with the options of a parsed `isotest run`, once converted into `spec`.
std::vector<std::string> run_problems(const CLI::App& run, SandboxSpec& spec,
                                      const SandboxOptionTexts& texts,
                                      const RunOnlyTexts& run_texts) {
  auto problems = refuse_empty_values(run);
  for (auto& problem : finish_run_only_options(spec, run_texts)) {
    problems.push_back(std::move(problem));
  }
  for (auto& problem : finish_sandbox_options(spec, texts)) problems.push_back(std::move(problem));
  for (auto& problem : validate(spec)) problems.push_back(std::move(problem));
  for (auto& problem : check_network_lab(spec)) problems.push_back(std::move(problem));
  for (auto& problem : check_artifacts_request(spec.artifacts)) {
    problems.push_back(std::move(problem));
  }
  return problems;
}

}  // namespace

SandboxSpec parse_sandbox_options(const std::vector<std::string>& options) {
  std::vector<std::string> words = {"isotest", "run"};
  words.insert(words.end(), options.begin(), options.end());
  words.insert(words.end(), {"--", "true"});
  std::vector<char*> argv;
  argv.reserve(words.size());
  for (auto& word : words) argv.push_back(word.data());
  CLI::App app;
  SandboxSpec spec;
  SandboxOptionTexts texts;
  RunOnlyTexts run_texts;
  CLI::App* run = declare_run(app, spec, texts, run_texts);
  std::vector<std::string> problems;
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
    problems = run_problems(*run, spec, texts, run_texts);
  } catch (const CLI::ParseError& error) {
    problems.push_back(describe_parse_error(error));
  }
  if (!problems.empty()) {
    std::string message;
    for (const auto& problem : problems) message += (message.empty() ? "" : "; ") + problem;
    throw_error("gtest", 0, "the options of a case's sandbox are refused: " + message,
                "see `isotest run --help` and the case's ISOTEST_NEEDS");
  }
  spec.command.clear();
  return spec;
}

CommandLine parse_command_line(int argc, char** argv) {
  CommandLine result;
  if (auto problem = unknown_command(argc, argv)) {
    print_message(*problem);
    print_message("see `isotest --help`");
    result.exit_code = kUsageError;
    return result;
  }

  CLI::App app{"isotest: run each test in a fresh Linux sandbox and report what it did"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "isotest 0.1.0");

  SandboxSpec& spec = result.spec;
  SandboxOptionTexts texts;
  RunOnlyTexts run_texts;

  // Every subcommand is listed, but only the one being run gets its options: declaring them all
  // costs a third of a millisecond, and `isotest run` starts once per test. Without a subcommand
  // first (`isotest --help`, a typo) all of them get theirs, for the help and the errors.
  const std::string_view first = argc > 1 ? argv[1] : "";
  const bool known =
      std::find(std::begin(kCommands), std::end(kCommands), first) != std::end(kCommands);
  auto declares = [&](std::string_view name) { return !known || first == name; };

  CLI::App* run = declares("run") ? declare_run(app, spec, texts, run_texts)
                                  : app.add_subcommand("run", "run one command in a fresh sandbox");

  GtestRequest& gtest_request = result.gtest;
  SandboxSpec gtest_spec;
  SandboxOptionTexts gtest_texts;
  CLI::App* gtest = nullptr;
  if (declares("gtest")) {
    gtest = add_gtest_command(app, gtest_request);
    add_sandbox_options(*gtest, gtest_spec, gtest_texts);
  } else {
    gtest = app.add_subcommand("gtest", kGtestDescription);
  }

  auto* report = app.add_subcommand(
      "report",
      "summarise result files (or folders of them) and convert them to JUnit XML, an HTML page or "
      "Markdown");
  if (declares("report")) {
    report->add_option("--junit", result.report.junit_path, "also write JUnit XML to FILE")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
        ->option_text("FILE");
    report->add_option("--html", result.report.html_path, "also write an HTML page to FILE")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
        ->option_text("FILE");
    report
        ->add_option("--markdown", result.report.markdown_path,
                     "also write a Markdown summary to FILE (for $GITHUB_STEP_SUMMARY)")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
        ->option_text("FILE");
    report->add_option("results", result.report.inputs, "result files or folders")
        ->required()
        ->option_text("PATH");
  }

  auto* doctor = app.add_subcommand(
      "doctor", "check what isolation this machine allows, and print the fix for what it does not");
  if (declares("doctor")) {
    doctor->footer("Exit status: 0 full isolation works, 1 degraded, 2 cannot work.");
    doctor->add_flag("--json", result.doctor.json, "print the diagnosis as JSON (docs/doctor.md)");
    doctor->add_flag("--apparmor-profile", result.doctor.apparmor_profile,
                     "print an AppArmor profile that allows this binary user namespaces");
  }

  auto* cmake_include = app.add_subcommand(
      "cmake-include",
      "print the CMake file that puts a project's tests under isotest without editing it, for "
      "-DCMAKE_PROJECT_INCLUDE (docs/cmake.md)");

  // CLI11 names an option's value by its type in its own errors ("1 required TEXT missing"):
  // name it as the help does.
  for (CLI::App* command : app.get_subcommands([](CLI::App*) { return true; })) {
    for (CLI::Option* option : command->get_options([](CLI::Option*) { return true; })) {
      if (!option->get_option_text().empty()) option->type_name(option->get_option_text());
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) {
      app.exit(error);
      return result;
    }
    const char* command = run->parsed()      ? "run "
                          : gtest->parsed()  ? "gtest "
                          : report->parsed() ? "report "
                          : doctor->parsed() ? "doctor "
                                             : "";
    print_message(describe_parse_error(error));
    print_message("see `isotest " + std::string(command) + "--help`");
    result.exit_code = kUsageError;
    return result;
  }
  if (report->parsed()) {
    if (report_problems(refuse_empty_values(*report))) {
      result.exit_code = kUsageError;
      return result;
    }
    result.action = CommandLine::Action::report;
    return result;
  }
  if (doctor->parsed()) {
    result.action = CommandLine::Action::doctor;
    return result;
  }
  if (cmake_include->parsed()) {
    result.action = CommandLine::Action::cmake_include;
    return result;
  }
  if (gtest->parsed()) {
    // Checked here, once, so that a mistake is one clear message instead of one per case.
    auto problems = refuse_empty_values(*gtest);
    for (auto& problem : finish_sandbox_options(gtest_spec, gtest_texts)) {
      problems.push_back(std::move(problem));
    }
    gtest_spec.command = {gtest_request.binary};
    // Each case's --capture on-failure needs a network of its own with lo up, as a run's does.
    gtest_spec.netlab.capture_path = gtest_request.capture_text;
    for (auto& problem : validate(gtest_spec)) problems.push_back(std::move(problem));
    for (auto& problem : check_network_lab(gtest_spec)) problems.push_back(std::move(problem));
    for (auto& problem : validate(gtest_request)) problems.push_back(std::move(problem));
    if (report_problems(problems)) {
      result.exit_code = kUsageError;
      return result;
    }
    gtest_request.sandbox_arguments = sandbox_arguments(*gtest);
    result.action = CommandLine::Action::gtest;
    return result;
  }
  if (report_problems(run_problems(*run, spec, texts, run_texts))) {
    result.exit_code = kUsageError;
    return result;
  }
  result.action = run_texts.check_only ? CommandLine::Action::exit : CommandLine::Action::run;
  return result;
}

std::vector<std::string> option_names(std::string_view command, bool sandbox_only) {
  CLI::App app;
  SandboxSpec spec;
  SandboxOptionTexts texts;
  GtestRequest request;
  RunOnlyTexts run_texts;
  CLI::App* declared = nullptr;
  if (command == "run") {
    declared = declare_run(app, spec, texts, run_texts);
  } else if (command == "gtest") {
    declared = add_gtest_command(app, request);
    add_sandbox_options(*declared, spec, texts);
  } else {
    return {};
  }
  std::vector<std::string> names;
  for (const CLI::Option* option : declared->get_options()) {
    if (!option->nonpositional() || option->get_name() == "--help") continue;
    if (sandbox_only && option->get_group() != kSandboxGroup) continue;
    names.push_back(option->get_name());
  }
  return names;
}

}  // namespace isotest
