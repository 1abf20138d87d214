// Command-line parsing only: turns argv into a SandboxSpec (or a request for help), no logic.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gtest_request.h"
#include "spec.h"

namespace isotest {

struct ReportRequest {
  std::vector<std::string> inputs;  // result files or folders of them
  std::string junit_path;           // empty: no JUnit file
  std::string html_path;            // empty: no HTML page
  std::string markdown_path;        // empty: no Markdown summary
};

struct DoctorRequest {
  bool json = false;              // --json: the diagnosis as JSON on stdout
  bool apparmor_profile = false;  // --apparmor-profile: print the profile for this binary
};

struct CommandLine {
  enum class Action { run, gtest, report, doctor, cmake_include, exit } action = Action::exit;
  SandboxSpec spec;      // for Action::run
  ReportRequest report;  // for Action::report
  DoctorRequest doctor;  // for Action::doctor
  GtestRequest gtest;    // for Action::gtest
  int exit_code = 0;     // for Action::exit: 0 after --help/--version, 125 after a usage error
};

// Prints help and usage errors itself (to stdout and stderr respectively). `isotest run --check`
// ends here: Action::exit with exit_code 0 when the options are fine, 125 (and the problems on
// stderr) when not.
CommandLine parse_command_line(int argc, char** argv);

// `isotest run`'s options (the sandbox options `isotest gtest` was given, and a case's needs)
// as the spec of one case's sandbox, without a command. Throws SetupFailure naming what is wrong.
SandboxSpec parse_sandbox_options(const std::vector<std::string>& options);

// The options `isotest run` or `isotest gtest` (COMMAND) takes, by their long names; with
// `sandbox_only`, only the isolation and limit options the two share. For the test that keeps
// the docs' lists and the parser in step.
std::vector<std::string> option_names(std::string_view command, bool sandbox_only);

}  // namespace isotest
