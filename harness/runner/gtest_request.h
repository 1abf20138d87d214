// GtestRequest: what `isotest gtest` was asked to do, as a plain value (the CLI fills it in, the
// runner carries it out).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "artifacts_request.h"
#include "spec.h"

namespace CLI {
class App;
}

namespace isotest {

struct GtestRequest {
  std::string binary;                          // the GoogleTest binary
  std::vector<std::string> binary_arguments;   // after `--`, passed to every run of it
  std::vector<std::string> sandbox_arguments;  // isolation and limit options, for `isotest run`
  std::int64_t jobs = 0;                       // 0: the number of CPUs
  std::string filter;                          // GoogleTest syntax; empty: every case
  std::int64_t retries = 0;
  std::int64_t repeat = 1;
  bool fail_on_flaky = false;
  std::optional<std::int64_t> shard_index;  // both set or neither, after the environment
  std::optional<std::int64_t> shard_count;
  std::string shard_source;  // "--shard-index/--shard-count", "GTEST_*", "TEST_*"
  std::int64_t batch = 1;    // cases per sandbox
  std::string json_path;
  std::string junit_path;
  std::string html_path;
  std::string markdown_path;
  std::string timings_path;  // empty: BINARY.isotest-timings.json next to the binary
  std::string silence_warning = "60s";
  std::int64_t silence_warning_ms = 60000;
  std::string list_timeout = "30s";  // for BINARY --gtest_list_tests
  std::int64_t list_timeout_ms = 30000;
  // --artifacts, --keep, --artifacts-limit as given, and converted: each case keeps its files in
  // a folder of its own below the directory (docs/gtest-runner.md, "Artifacts").
  std::string artifacts_text, keep_text, artifacts_limit_text;
  ArtifactsRequest artifacts;
  // --capture on-failure: each case that fails keeps its packets with its files
  // (DIR/<Suite.Case>/capture.pcap); the only --capture a run of many cases takes.
  std::string capture_text;
  bool capture_on_failure = false;
};

// Turns `isotest run` options (the request's sandbox options, and a case's needs) into the spec
// of a sandbox of the run (the listing's, a case's), without a command; throws SetupFailure
// naming what is wrong. The command line's parser provides it (cli/).
using SandboxOptionsParser = std::function<SandboxSpec(const std::vector<std::string>& options)>;

inline constexpr const char* kGtestDescription =
    "run every case of a GoogleTest binary, each in its own sandbox, in parallel";

// Declares the `gtest` subcommand and its own options (the isolation and limit options are added
// by the caller, shared with `run`).
CLI::App* add_gtest_command(CLI::App& app, GtestRequest& request);

// Reads the shard from the environment when the options did not give it, and checks every
// value; the problems found, each naming the fix.
std::vector<std::string> validate(GtestRequest& request);

}  // namespace isotest
