// What a run asks to keep of the files its test left (issue 14; docs/cli.md, "Artifacts"): the
// sandbox's private /tmp and an outputs directory the test is told about
// (TEST_UNDECLARED_OUTPUTS_DIR, as Bazel names it), copied under a folder of the caller's after
// the run, as a policy says. A plain value, filled in by the command line and checked by
// check_artifacts_request(); SandboxSpec carries one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace isotest {

// When the files are kept. A failure is any status but passed and skipped: a timeout, a crash,
// an OOM kill and a sandbox error keep them too.
enum class KeepPolicy { on_failure, always, never };
std::optional<KeepPolicy> parse_keep_policy(std::string_view text);
std::string_view keep_policy_name(KeepPolicy policy);

inline constexpr std::string_view kKeepTakes = "on-failure, always or never";
inline constexpr std::uint64_t kDefaultArtifactsLimitBytes = 64ULL * 1024 * 1024;

// The name of the file that marks DIR/tmp and DIR/outputs as isotest's: a later run replaces
// them only then, never a folder of the user's that happens to have the same name.
inline constexpr std::string_view kArtifactsMarker = ".isotest-artifacts";

// Whether DIR holds that marker as a regular file: what isotest keeps there (tmp/, outputs/,
// forensics/, capture.pcap) was written by an earlier run, and a later run may replace it.
bool holds_artifacts_marker(const std::string& directory);

struct ArtifactsRequest {
  std::string directory;  // absolute; empty: nothing is kept and /tmp is a tmpfs as always
  KeepPolicy keep = KeepPolicy::on_failure;
  std::uint64_t limit_bytes = kDefaultArtifactsLimitBytes;  // of all kept files together

  [[nodiscard]] bool active() const { return !directory.empty(); }
};

// Fills `request` from the texts of --artifacts, --keep and --artifacts-limit (empty: not
// given); the problems found, each naming the fix. DIR becomes absolute (relative to the
// caller's directory: the sandbox may start elsewhere).
std::vector<std::string> convert_artifacts_options(ArtifactsRequest& request,
                                                   const std::string& directory,
                                                   const std::string& keep,
                                                   const std::string& limit);

// Problems that make the request impossible, each naming the fix; empty when fine. Looks at the
// host, without changing it: DIR must be a directory or creatable as one (its nearest existing
// ancestor a writable directory), and DIR/tmp and DIR/outputs, if there, isotest's own.
std::vector<std::string> check_artifacts_request(const ArtifactsRequest& request);

// A folder name for a GoogleTest case ("Inst/Suite.Case/0" -> "Inst_Suite.Case_0"): `/` would
// make folders within folders, and a name of dots would climb out.
std::string artifacts_folder_name(std::string_view case_name);

}  // namespace isotest
