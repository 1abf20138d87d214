#include "cli.h"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "seccomp_filter.h"

namespace isotest {

namespace {

constexpr int kUsageError = 125;

std::string duration_error(const std::string& option, const std::string& text) {
  return option + " takes a duration such as 500ms, 30s or 2m; got `" + text + "`";
}

std::vector<std::string> apply_run_options(
    SandboxSpec& spec, const std::vector<std::string>& share, const std::string& network,
    const std::string& timeout, const std::string& kill_after, const std::string& output_limit,
    const std::vector<std::string>& binds, const std::vector<std::string>& ro_binds,
    const std::vector<std::string>& tmpfs, const std::vector<std::string>& env,
    const std::string& memory) {
  std::vector<std::string> problems;
  if (!memory.empty()) {
    spec.limits.memory_max_bytes = parse_size_bytes(memory);
    if (!spec.limits.memory_max_bytes) {
      problems.push_back("--memory takes a size such as 256M or 1G; got `" + memory + "`");
    }
  }
  for (const auto& name : share) {
    auto ns = parse_namespace(name);
    if (!ns) {
      problems.push_back("--share: unknown namespace `" + name +
                         "`; use user, mount, pid, net, ipc, uts or cgroup");
      continue;
    }
    spec.share(*ns);
  }
  if (spec.shares(Namespace::net) && network.empty()) spec.network = NetworkMode::host;
  if (!network.empty()) {
    auto mode = parse_network_mode(network);
    if (!mode) {
      problems.push_back("--network: unknown mode `" + network + "`; use loopback, none or host");
    } else {
      spec.network = *mode;
      if (*mode == NetworkMode::host) spec.share(Namespace::net);
    }
  }
  if (!timeout.empty()) {
    spec.timeout_ms = parse_duration_ms(timeout);
    if (!spec.timeout_ms) problems.push_back(duration_error("--timeout", timeout));
  }
  if (!kill_after.empty()) {
    auto ms = parse_duration_ms(kill_after);
    if (!ms) problems.push_back(duration_error("--kill-after", kill_after));
    spec.kill_after_ms = ms.value_or(spec.kill_after_ms);
  }
  if (!output_limit.empty()) {
    auto bytes = parse_size_bytes(output_limit);
    if (!bytes) {
      problems.push_back("--output-limit takes a size such as 64K or 1M; got `" + output_limit +
                         "`");
    }
    spec.output_limit_bytes = bytes.value_or(spec.output_limit_bytes);
  }
  auto add_binds = [&](const std::vector<std::string>& texts, bool read_only) {
    for (const auto& text : texts) {
      auto bind = parse_bind(text, read_only);
      if (!bind) {
        problems.push_back(std::string(read_only ? "--ro-bind" : "--bind") +
                           " takes SRC[:DST]; got `" + text + "`");
        continue;
      }
      // Relative sources are the caller's; the sandbox may start elsewhere (--chdir).
      const bool same_path = bind->target == bind->source;
      bind->source = std::filesystem::absolute(bind->source).lexically_normal().string();
      if (same_path) bind->target = bind->source;
      spec.binds.push_back(*bind);
    }
  };
  add_binds(binds, false);
  add_binds(ro_binds, true);
  for (const auto& text : tmpfs) {
    auto mount = parse_tmpfs(text);
    if (!mount) {
      problems.push_back("--tmpfs takes DST[:SIZE]; got `" + text + "`");
      continue;
    }
    spec.tmpfs.push_back(*mount);
  }
  for (const auto& text : env) {
    auto equals = text.find('=');
    if (equals == std::string::npos || equals == 0) {
      problems.push_back("--env takes KEY=VALUE; got `" + text + "`");
      continue;
    }
    spec.environment.emplace_back(text.substr(0, equals), text.substr(equals + 1));
  }
  return problems;
}

}  // namespace

CommandLine parse_command_line(int argc, char** argv) {
  CLI::App app{"isotest: run each test in a fresh Linux sandbox and report what it did"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "isotest 0.1.0");

  CommandLine result;
  SandboxSpec& spec = result.spec;
  std::vector<std::string> share, binds, ro_binds, tmpfs, env;
  std::string network, timeout, kill_after, output_limit, memory;
  std::int64_t time_offset = 0;
  std::int64_t pids = 0;  // signed, so that a negative count is refused, not wrapped
  double cpus = 0;

  auto* run = app.add_subcommand("run", "run one command in a fresh sandbox");
  run->footer("Usage: isotest run [OPTIONS] -- COMMAND [ARGS...]");
  run->add_option("--name", spec.name, "name in the result (default: the command's basename)");
  run->add_option("--json", spec.json_path, "write the result as JSON to FILE (atomically)")
      ->option_text("FILE");
  run->add_option("--share", share,
                  "keep these namespaces from the host: user,mount,pid,net,"
                  "ipc,uts,cgroup")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->option_text("NS[,NS...]");
  run->add_option("--network", network, "loopback (default: only lo, up), none (lo down), host")
      ->option_text("MODE");
  auto* offset_option =
      run->add_option("--time-offset", time_offset,
                      "new time namespace with CLOCK_MONOTONIC/BOOTTIME this far ahead")
          ->option_text("SECONDS");
  run->add_flag("--root", spec.map_root, "map the caller's uid and gid to 0 inside");
  run->add_option("--hostname", spec.hostname, "hostname inside (default: isotest)")
      ->option_text("NAME");
  run->add_option("--bind", binds, "bind-mount SRC on DST (default DST=SRC)")
      ->allow_extra_args(false)
      ->option_text("SRC[:DST]");
  run->add_option("--ro-bind", ro_binds, "read-only bind mount")
      ->allow_extra_args(false)
      ->option_text("SRC[:DST]");
  run->add_option("--tmpfs", tmpfs, "fresh tmpfs on DST")
      ->allow_extra_args(false)
      ->option_text("DST[:SIZE]");
  run->add_flag("--read-only", spec.read_only_root,
                "host tree read-only, except the working directory, binds and tmpfs");
  run->add_option("--chdir", spec.working_directory, "working directory inside")
      ->option_text("DIR");
  run->add_option("--env", env, "set a variable (repeatable)")
      ->allow_extra_args(false)
      ->option_text("K=V");
  run->add_flag("--clear-env", spec.clear_environment, "start from an empty environment");
  run->add_option("--timeout", timeout, "SIGTERM after DURATION (500ms, 30s, 2m)")
      ->option_text("DURATION");
  run->add_option("--kill-after", kill_after, "grace period before SIGKILL (default 2s)")
      ->option_text("DURATION");
  run->add_option("--memory", memory, "memory limit, swap included (256M, 1G); OOM is status oom")
      ->option_text("SIZE");
  auto* pids_option =
      run->add_option("--pids", pids, "at most N tasks (processes and threads)")->option_text("N");
  auto* cpus_option =
      run->add_option("--cpus", cpus, "CPU bandwidth in CPUs (0.5, 1.5)")->option_text("X");
  std::string seccomp;
  run->add_option("--seccomp", seccomp,
                  "errno (default: refused calls fail with EPERM), kill (the first one ends the "
                  "run), off")
      ->option_text("MODE");
  run->add_option("--seccomp-allow", spec.seccomp_allow,
                  "let these normally refused system calls through (see docs/security.md)")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->option_text("NAME[,NAME...]");
  run->add_option("--pass-fd", spec.pass_fds, "let the test inherit this open fd (repeatable)")
      ->allow_extra_args(false)
      ->option_text("N");
  run->add_flag("--allow-degraded", spec.allow_degraded,
                "run even when a limit cannot be applied; the JSON lists what is missing");
  run->add_option("--output-limit", output_limit,
                  "bytes of stdout and of stderr kept in the JSON (default 64K)")
      ->option_text("SIZE");
  run->add_option("command", spec.command, "the command and its arguments, after --")->required();
  run->positionals_at_end();

  auto* report = app.add_subcommand(
      "report", "summarise result files (or folders of them) and convert them to JUnit XML");
  report->add_option("--junit", result.report.junit_path, "also write JUnit XML to FILE")
      ->option_text("FILE");
  report->add_option("results", result.report.inputs, "result files or folders")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) {
      app.exit(error);
      return result;
    }
    const char* command = run->parsed() ? "run " : report->parsed() ? "report " : "";
    std::cerr << "isotest: " << error.what() << "\n"
              << "isotest: see `isotest " << command << "--help`\n";
    result.exit_code = kUsageError;
    return result;
  }
  if (report->parsed()) {
    result.action = CommandLine::Action::report;
    return result;
  }
  if (offset_option->count() > 0) spec.time_offset_seconds = time_offset;
  if (pids_option->count() > 0) {
    if (pids < 2) {
      std::cerr << "isotest: --pids must be at least 2 (isotest's init and the test); got " << pids
                << "\n";
      result.exit_code = kUsageError;
      return result;
    }
    spec.limits.pids_max = static_cast<std::uint64_t>(pids);
  }
  if (cpus_option->count() > 0) spec.limits.cpus = cpus;
  auto problems = apply_run_options(spec, share, network, timeout, kill_after, output_limit, binds,
                                    ro_binds, tmpfs, env, memory);
  if (!seccomp.empty()) {
    auto mode = parse_seccomp_mode(seccomp);
    if (!mode)
      problems.push_back("--seccomp: unknown mode `" + seccomp + "`; use errno, kill or off");
    spec.seccomp = mode.value_or(spec.seccomp);
  }
  for (auto& problem : check_seccomp_allow(spec.seccomp_allow)) problems.push_back(problem);
  for (auto& problem : validate(spec)) problems.push_back(std::move(problem));
  if (!problems.empty()) {
    for (const auto& problem : problems) std::cerr << "isotest: " << problem << "\n";
    result.exit_code = kUsageError;
    return result;
  }
  result.action = CommandLine::Action::run;
  return result;
}

}  // namespace isotest
