#include "listing.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string_view>

#include "case_list.h"
#include "gtest_cases.h"
#include "launch.h"
#include "sandbox_run.h"
#include "setup_error.h"

namespace isotest {

namespace {

constexpr std::size_t kListingLimitBytes = std::size_t{64} << 20;  // stdout: the listing
constexpr std::size_t kStderrKeptBytes = std::size_t{64} << 10;    // its last part
constexpr std::size_t kShownBytes = 4096;                          // of each, in a message

// One output stream of the listing: stdout keeps the listing from its start, stderr its last
// part (where a crash or an error message is).
struct OutputText {
  std::size_t limit_bytes = 0;
  bool keeps_tail = false;
  std::string text;
  bool overflowed = false;

  void append(std::string_view bytes) {
    text.append(bytes);
    if (text.size() <= limit_bytes) return;
    overflowed = true;
    if (keeps_tail) {
      text.erase(0, text.size() - limit_bytes);
    } else {
      text.resize(limit_bytes);
    }
  }
};

std::string tail(const std::string& text) {
  if (text.size() <= kShownBytes) return text;
  return "[...]" + text.substr(text.size() - kShownBytes);
}

// "; it printed:\n..." with the end of both streams, for the messages below.
std::string printed(const OutputText& out, const OutputText& err) {
  if (out.text.empty() && err.text.empty()) return "; it printed nothing";
  std::string text = "; it printed:\n" + tail(out.text);
  if (!text.ends_with('\n')) text += '\n';
  text += tail(err.text);
  while (text.ends_with('\n')) text.pop_back();
  return text;
}

struct ListingPaths {
  std::string directory;  // bound into the sandbox, at the same path
  std::string needs;      // ISOTEST_LIST_NEEDS, in `directory`
};

// `isotest run [SANDBOX OPTIONS] --timeout LIST_TIMEOUT --bind DIR --env ISOTEST_LIST_NEEDS=FILE
// -- BINARY ARGS --gtest_list_tests`, as a spec: the cases' own sandbox, with the list timeout
// (after the options given, so that it wins over the cases' --timeout).
SandboxSpec listing_spec(const GtestRequest& request, const SandboxOptionsParser& parse_options,
                         const ListingPaths& paths) {
  std::vector<std::string> options = request.sandbox_arguments;
  options.insert(options.end(), {"--timeout", std::to_string(request.list_timeout_ms) + "ms"});
  SandboxSpec spec = parse_options(options);
  // A sandbox that shares the host's mounts sees the directory already (and takes no bind).
  if (!spec.shares(Namespace::mount)) {
    spec.binds.push_back(BindMount{.source = paths.directory, .target = paths.directory});
  }
  spec.environment.emplace_back("ISOTEST_LIST_NEEDS", paths.needs);
  spec.name = "gtest_list_tests";
  spec.command = {request.binary};
  spec.command.insert(spec.command.end(), request.binary_arguments.begin(),
                      request.binary_arguments.end());
  spec.command.emplace_back("--gtest_list_tests");
  return spec;
}

// What the listing's sandbox did, once it and its output are done.
struct ListerRun {
  std::string listing;  // stdout
  RunResult result;
  std::string shown;  // "; it printed: ..." for messages
  bool listing_overflowed = false;
};

// Runs the listing's sandbox from this process to its end, as `isotest run` would: a SIGINT,
// SIGTERM, SIGHUP or SIGQUIT stops it (the grace period, then SIGKILL), then ListingInterrupted.
// The signal mask is the caller's again afterwards: the runner's own signal handling follows.
ListerRun run_lister(const SandboxSpec& spec) {
  OutputText out{.limit_bytes = kListingLimitBytes};
  OutputText err{.limit_bytes = kStderrKeptBytes, .keeps_tail = true};
  sigset_t caller_mask;
  ::sigprocmask(SIG_SETMASK, nullptr, &caller_mask);
  RunResult result;
  {
    const SandboxRunExtensions extensions(spec, environ);
    auto sandbox = RunningSandbox::start(
        spec, environ, extensions.list(),
        LaunchOptions{.take_signals = true,
                      .close_earlier_fds = true,
                      .output = [&out](std::string_view bytes) { out.append(bytes); },
                      .error_output = [&err](std::string_view bytes) { err.append(bytes); }});
    sandbox->run_to_end();
    result = sandbox->take_result();
  }
  ::sigprocmask(SIG_SETMASK, &caller_mask, nullptr);
  if (result.killed_by_harness && result.killed_by_harness->reason == KillReason::signal) {
    throw ListingInterrupted{result.killed_by_harness->signal_received};
  }
  ListerRun run{.result = std::move(result),
                .shown = printed(out, err),
                .listing_overflowed = out.overflowed};
  run.listing = std::move(out.text);
  return run;
}

// Throws the SetupFailure that says why the listing did not work, if it did not.
void check_lister_run(const GtestRequest& request, const ListerRun& run, const std::string& stage) {
  const std::string command = "`" + request.binary + " --gtest_list_tests`";
  const std::string reproduce =
      "run `isotest run [OPTIONS] -- " + request.binary + " --gtest_list_tests` to see it";
  const RunResult& result = run.result;
  switch (result.status) {
    case RunStatus::passed:
      if (!run.listing_overflowed) return;
      throw_error(stage, 0, command + " printed more than 64 MiB",
                  "check that BINARY is a GoogleTest binary and that its listing does not loop");
    case RunStatus::timeout:
      throw_error(stage, 0, command + " did not finish within " + request.list_timeout + run.shown,
                  "find what the binary waits for before main() lists its cases (a global "
                  "fixture or static initialiser), or raise --list-timeout");
    case RunStatus::sandbox_error: {
      const SetupError error = result.error.value_or(SetupError{});
      throw_error(stage + ": " + error.stage, error.error_number,
                  "could not run " + command + " in its sandbox: " + error.message, error.hint);
    }
    case RunStatus::oom:
      throw_error(stage, 0, command + " ran out of memory" + run.shown,
                  "raise --memory: listing runs in a sandbox with the cases' limits");
    case RunStatus::crashed:
      throw_error(stage, 0,
                  command + " was killed by " +
                      (result.signal ? signal_name(*result.signal) : std::string("a signal")) +
                      run.shown,
                  "the binary crashed before it listed its cases (a static initialiser or "
                  "main()); " +
                      reproduce);
    default:
      break;
  }
  throw_error(
      stage, 0,
      command + " exited with " +
          (result.exit_code ? std::to_string(*result.exit_code) : std::string("?")) + run.shown,
      "check that BINARY is a GoogleTest binary and that it runs in a sandbox; " + reproduce);
}

// ISOTEST_LIST_NEEDS's file, written by a binary linked with the isotest plugin.
std::map<std::string, std::vector<std::string>> read_needs(const GtestRequest& request,
                                                           const std::string& path) {
  std::map<std::string, std::vector<std::string>> needs;
  std::ifstream file(path, std::ios::binary);
  if (!file) return needs;  // a binary without the plugin writes nothing
  const auto document = nlohmann::json::parse(file, nullptr, false);
  if (!document.is_object()) {
    throw_error("gtest: read the cases' needs from " + request.binary, 0,
                "ISOTEST_LIST_NEEDS file is not a JSON object",
                "rebuild the binary against the isotest plugin it was built for");
  }
  for (const auto& [name, arguments_json] : document.items()) {
    if (!arguments_json.is_array()) continue;
    auto& list = needs[name];
    for (const auto& argument : arguments_json) {
      if (argument.is_string()) list.push_back(argument.get<std::string>());
    }
  }
  return needs;
}

}  // namespace

void check_binary(const GtestRequest& request, const std::string& as_given) {
  const std::string stage = "gtest: " + as_given;
  struct stat info {};
  if (::stat(request.binary.c_str(), &info) != 0) {
    throw_errno(stage, "cannot find the test binary",
                "pass the path of a GoogleTest binary (build it first)");
  }
  if (S_ISDIR(info.st_mode)) {
    throw_error(stage, EISDIR, "is a directory, not a test binary",
                "pass the GoogleTest executable itself (e.g. build/unit_tests), not its "
                "directory");
  }
  if (!S_ISREG(info.st_mode)) {
    throw_error(stage, 0, "is not a regular file (a device, FIFO or socket)",
                "pass the path of a GoogleTest binary");
  }
  if (::access(request.binary.c_str(), X_OK) != 0) {
    throw_errno(stage, "is not executable",
                "pass the built GoogleTest binary, not a source or data file; if it is the "
                "binary, make it executable (chmod +x " +
                    as_given + ")");
  }
}

Listing list_cases(const GtestRequest& request, const SandboxOptionsParser& parse_options,
                   const std::string& scratch) {
  const std::string stage = "gtest: list the cases of " + request.binary;
  const ListingPaths paths{.directory = scratch + "/listing",
                           .needs = scratch + "/listing/needs.json"};
  if (::mkdir(paths.directory.c_str(), 0700) != 0) {
    throw_errno(stage, "mkdir " + paths.directory + " failed",
                "set TMPDIR to a writable directory");
  }
  const ListerRun run = run_lister(listing_spec(request, parse_options, paths));
  check_lister_run(request, run, stage);
  CaseListing parsed = parse_case_list(run.listing);
  // GoogleTest lists nothing when there is no case (or its filter among ARGS leaves none), and so
  // does any program that ignores --gtest_list_tests: only the file itself can tell them apart.
  if (!parsed.names_any_case() && detect_gtest_binary(request.binary) == GtestKind::none) {
    throw_error(stage, 0,
                "not a GoogleTest binary: `" + request.binary +
                    " --gtest_list_tests` exited 0 without listing a case, and the file is not "
                    "linked with GoogleTest" +
                    run.shown,
                "pass an executable linked with GoogleTest (gtest_main, or a main() that calls "
                "InitGoogleTest and RUN_ALL_TESTS); a wrapper script must exec one with its "
                "arguments");
  }
  return Listing{std::move(parsed.cases), read_needs(request, paths.needs)};
}

}  // namespace isotest
