// Command-line parsing only: turns argv into a SandboxSpec (or a request for help), no logic.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runner/gtest_request.h"
#include "spec.h"

namespace isotest {

struct ReportRequest {
  std::vector<std::string> inputs;  // result files or folders of them
  std::string junit_path;           // empty: no JUnit file
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

// Prints help and usage errors itself (to stdout and stderr respectively).
CommandLine parse_command_line(int argc, char** argv);

}  // namespace isotest
