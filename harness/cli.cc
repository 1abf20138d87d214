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

// The isolation and limit options of `isotest run`, declared once so that `isotest gtest` takes
// the same set and forwards it to each sandbox (COMMON contract 5). Scalars take the last value
// given, so arguments appended later (a case's own needs) override earlier ones.
struct SandboxOptionTexts {
  std::vector<std::string> share, binds, ro_binds, tmpfs, env;
  std::string network, timeout, kill_after, output_limit, memory, seccomp;
  std::int64_t time_offset = 0;
  std::int64_t pids = 0;  // signed, so that a negative count is refused, not wrapped
  double cpus = 0;
  CLI::Option* time_offset_option = nullptr;
  CLI::Option* pids_option = nullptr;
  CLI::Option* cpus_option = nullptr;
};

constexpr const char* kSandboxGroup = "Isolation and limits";

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
  texts.time_offset_option =
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
  scalar(command.add_option("--memory", texts.memory,
                            "memory limit, swap included (256M, 1G); OOM is status oom"))
      ->option_text("SIZE");
  texts.pids_option =
      scalar(command.add_option("--pids", texts.pids, "at most N tasks (processes and threads)"))
          ->option_text("N");
  texts.cpus_option =
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
}

// Fills `spec` from the parsed texts; the problems found, each a sentence naming the fix.
std::vector<std::string> finish_sandbox_options(SandboxSpec& spec,
                                                const SandboxOptionTexts& texts) {
  std::vector<std::string> problems;
  if (texts.time_offset_option->count() > 0) spec.time_offset_seconds = texts.time_offset;
  if (texts.pids_option->count() > 0) {
    if (texts.pids < 2) {
      problems.push_back("--pids must be at least 2 (isotest's init and the test); got " +
                         std::to_string(texts.pids));
    } else {
      spec.limits.pids_max = static_cast<std::uint64_t>(texts.pids);
    }
  }
  if (texts.cpus_option->count() > 0) spec.limits.cpus = texts.cpus;
  if (!texts.seccomp.empty()) {
    auto mode = parse_seccomp_mode(texts.seccomp);
    if (!mode) {
      problems.push_back("--seccomp: unknown mode `" + texts.seccomp + "`; use errno, kill or off");
    }
    spec.seccomp = mode.value_or(spec.seccomp);
  }
  for (auto& problem : check_seccomp_allow(spec.seccomp_allow)) problems.push_back(problem);
  for (auto& problem : apply_run_options(spec, texts.share, texts.network, texts.timeout,
                                         texts.kill_after, texts.output_limit, texts.binds,
                                         texts.ro_binds, texts.tmpfs, texts.env, texts.memory)) {
    problems.push_back(std::move(problem));
  }
  return problems;
}

// The isolation and limit options as they were given, to pass on to `isotest run`.
std::vector<std::string> sandbox_arguments(const CLI::App& command) {
  std::vector<std::string> arguments;
  for (const CLI::Option* option : command.get_options()) {
    if (option->get_group() != kSandboxGroup || option->count() == 0) continue;
    const std::string name = option->get_name();
    if (option->get_type_size() == 0) {  // a flag
      arguments.push_back(name);
      continue;
    }
    for (const auto& value : option->results()) {
      arguments.push_back(name);
      arguments.push_back(value);
    }
  }
  return arguments;
}

bool report_problems(const std::vector<std::string>& problems) {
  for (const auto& problem : problems) std::cerr << "isotest: " << problem << "\n";
  return !problems.empty();
}

}  // namespace

CommandLine parse_command_line(int argc, char** argv) {
  CLI::App app{"isotest: run each test in a fresh Linux sandbox and report what it did"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "isotest 0.1.0");

  CommandLine result;
  SandboxSpec& spec = result.spec;
  SandboxOptionTexts texts;

  // Every subcommand is listed, but only the one being run gets its options: declaring them all
  // costs a third of a millisecond, and `isotest run` starts once per test. Without a subcommand
  // first (`isotest --help`, a typo) all of them get theirs, for the help and the errors.
  const std::string_view first = argc > 1 ? argv[1] : "";
  const bool known = first == "run" || first == "gtest" || first == "report" || first == "doctor" ||
                     first == "cmake-include";
  auto declares = [&](std::string_view name) { return !known || first == name; };

  auto* run = app.add_subcommand("run", "run one command in a fresh sandbox");
  if (declares("run")) {
    run->footer("Usage: isotest run [OPTIONS] -- COMMAND [ARGS...]");
    run->add_option("--name", spec.name, "name in the result (default: the command's basename)");
    run->add_option("--json", spec.json_path, "write the result as JSON to FILE (atomically)")
        ->option_text("FILE");
    add_sandbox_options(*run, spec, texts);
    run->add_option("--pass-fd", spec.pass_fds, "let the test inherit this open fd (repeatable)")
        ->allow_extra_args(false)
        ->option_text("N");
    run->add_option("command", spec.command, "the command and its arguments, after --")->required();
    run->positionals_at_end();
  }

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
      "report", "summarise result files (or folders of them) and convert them to JUnit XML");
  if (declares("report")) {
    report->add_option("--junit", result.report.junit_path, "also write JUnit XML to FILE")
        ->option_text("FILE");
    report->add_option("results", result.report.inputs, "result files or folders")->required();
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
    std::cerr << "isotest: " << error.what() << "\n"
              << "isotest: see `isotest " << command << "--help`\n";
    result.exit_code = kUsageError;
    return result;
  }
  if (report->parsed()) {
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
    auto problems = finish_sandbox_options(gtest_spec, gtest_texts);
    gtest_spec.command = {gtest_request.binary};
    for (auto& problem : validate(gtest_spec)) problems.push_back(std::move(problem));
    for (auto& problem : validate(gtest_request)) problems.push_back(std::move(problem));
    if (report_problems(problems)) {
      result.exit_code = kUsageError;
      return result;
    }
    gtest_request.sandbox_arguments = sandbox_arguments(*gtest);
    result.action = CommandLine::Action::gtest;
    return result;
  }
  auto problems = finish_sandbox_options(spec, texts);
  for (auto& problem : validate(spec)) problems.push_back(std::move(problem));
  if (report_problems(problems)) {
    result.exit_code = kUsageError;
    return result;
  }
  result.action = CommandLine::Action::run;
  return result;
}

}  // namespace isotest
