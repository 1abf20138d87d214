// `isotest doctor`, part 2 of 3: judges the facts doctor_probe gathered. One finding per probe
// and per setting, each a one-line verdict and, where something is wrong, a one-line remedy.
// Pure: no system calls, so every verdict can be tested with made-up facts.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "doctor_probe.h"

namespace isotest {

enum class FindingLevel {
  ok,        // works, or a setting that is fine
  info,      // a fact worth knowing that changes nothing
  degraded,  // isotest runs, without this (e.g. no limits, no --time-offset)
  broken,    // the default sandbox cannot be built
};
std::string_view level_name(FindingLevel level);

struct Finding {
  std::string id;     // stable, for machines: "user_namespace", "cgroup_limits", ...
  std::string title;  // for people: "user namespace"
  FindingLevel level = FindingLevel::ok;
  std::string verdict;  // one line
  std::string remedy;   // one line, or empty
};

struct Diagnosis {
  std::vector<Finding> findings;
  FindingLevel overall = FindingLevel::ok;  // the worst level; info counts as ok
  int exit_code = 0;                        // 0 full isolation, 1 degraded, 2 cannot work
  std::string summary;                      // one line
};

Diagnosis diagnose(const DoctorFacts& facts);

// packaging/apparmor/isotest with its `profile` line naming `binary_path`.
std::string apparmor_profile(std::string_view binary_path);

}  // namespace isotest
