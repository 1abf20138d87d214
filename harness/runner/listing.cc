#include "listing.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
// Boost 1.81's Process v2 names boost::optional but includes it only when it uses
// Boost.Filesystem; with BOOST_PROCESS_USE_STD_FS (no compiled Boost library) we include it.
#include <boost/optional.hpp>
// clang-format off: the workaround above must come first
#include <boost/asio/connect_pipe.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/writable_pipe.hpp>
#include <boost/process/v2/process.hpp>
// clang-format on
#include <cerrno>
#include <chrono>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

#include "case_list.h"
#include "case_process.h"
#include "gtest_cases.h"
#include "report.h"
#include "setup_error.h"

namespace isotest {

namespace {

namespace asio = boost::asio;
namespace bp = boost::process::v2;

constexpr std::size_t kListingLimitBytes = std::size_t{64} << 20;  // stdout: the listing
constexpr std::size_t kStderrKeptBytes = std::size_t{64} << 10;    // its last part
constexpr std::size_t kShownBytes = 4096;                          // of each, in a message
// Once `isotest run` has exited, everything in its sandbox is dead and the pipes close at once;
// only a process that escaped it could hold them open, and it must not hold up the runner.
constexpr auto kOutputGrace = std::chrono::seconds(2);

// One output stream of the listing's `isotest run`: stdout keeps the listing from its start,
// stderr its last part (where a crash or an error message is).
struct OutputStream {
  OutputStream(asio::io_context& io, std::size_t limit, bool keep_tail)
      : pipe(io), limit_bytes(limit), keeps_tail(keep_tail) {}
  asio::readable_pipe pipe;
  std::array<char, std::size_t{16} * 1024> buffer{};
  std::string text;
  std::size_t limit_bytes;
  bool keeps_tail;
  bool overflowed = false;
  bool closed = false;
};

void read_to_end(OutputStream& stream, const std::function<void()>& on_closed) {
  stream.pipe.async_read_some(
      asio::buffer(stream.buffer),
      [&stream, on_closed](const boost::system::error_code& error, std::size_t size) {
        if (error) {
          stream.closed = true;
          on_closed();
          return;
        }
        stream.text.append(stream.buffer.data(), size);
        if (stream.text.size() > stream.limit_bytes) {
          stream.overflowed = true;
          if (stream.keeps_tail) {
            stream.text.erase(0, stream.text.size() - stream.limit_bytes);
          } else {
            stream.text.resize(stream.limit_bytes);
          }
        }
        read_to_end(stream, on_closed);
      });
}

std::string tail(const std::string& text) {
  if (text.size() <= kShownBytes) return text;
  return "[...]" + text.substr(text.size() - kShownBytes);
}

// "; it printed:\n..." with the end of both streams, for the messages below.
std::string printed(const OutputStream& out, const OutputStream& err) {
  if (out.text.empty() && err.text.empty()) return "; it printed nothing";
  std::string text = "; it printed:\n" + tail(out.text);
  if (!text.ends_with('\n')) text += '\n';
  text += tail(err.text);
  while (text.ends_with('\n')) text.pop_back();
  return text;
}

// `--share mount` (or mnt) among the options: the sandbox sees the host's mounts, and binds are
// refused.
bool shares_mounts(const std::vector<std::string>& sandbox_arguments) {
  for (std::size_t i = 0; i + 1 < sandbox_arguments.size(); ++i) {
    if (sandbox_arguments[i] != "--share") continue;
    std::string_view names = sandbox_arguments[i + 1];
    while (!names.empty()) {
      const auto comma = names.find(',');
      const auto name = names.substr(0, comma);
      if (name == "mount" || name == "mnt") return true;
      names.remove_prefix(comma == std::string_view::npos ? names.size() : comma + 1);
    }
  }
  return false;
}

struct ListingPaths {
  std::string directory;  // bound into the sandbox, at the same path
  std::string needs;      // ISOTEST_LIST_NEEDS, in `directory`
  std::string result;     // the `isotest run` result, written on the host
};

std::vector<std::string> listing_arguments(const GtestRequest& request, const ListingPaths& paths) {
  std::vector<std::string> arguments = {"run"};
  arguments.insert(arguments.end(), request.sandbox_arguments.begin(),
                   request.sandbox_arguments.end());
  if (!shares_mounts(request.sandbox_arguments)) {
    arguments.insert(arguments.end(), {"--bind", paths.directory});
  }
  // After the options given, so that --timeout is the list timeout, not the cases' own.
  arguments.insert(arguments.end(),
                   {"--env", "ISOTEST_LIST_NEEDS=" + paths.needs, "--timeout",
                    std::to_string(request.list_timeout_ms) + "ms", "--name", "gtest_list_tests",
                    "--json", paths.result, "--", request.binary});
  arguments.insert(arguments.end(), request.binary_arguments.begin(),
                   request.binary_arguments.end());
  arguments.emplace_back("--gtest_list_tests");
  return arguments;
}

// What the listing's `isotest run` did, once it and its output are done.
struct ListerRun {
  std::string listing;  // stdout
  std::optional<nlohmann::json> result;
  int wait_status = 0;  // of `isotest run` itself, for when it wrote no result
  std::string shown;    // "; it printed: ..." for messages
  bool listing_overflowed = false;
};

// Runs the listing's `isotest run` to its end. The first SIGINT, SIGTERM or SIGHUP is passed on
// as SIGTERM (it stops its sandbox), a second as SIGKILL; then ListingInterrupted.
ListerRun run_lister(const std::string& self, const std::vector<std::string>& arguments,
                     const std::string& stage, const std::string& result_path) {
  asio::io_context io;
  OutputStream out(io, kListingLimitBytes, false);
  OutputStream err(io, kStderrKeptBytes, true);
  asio::signal_set interrupt(io, SIGINT, SIGTERM, SIGHUP);
  asio::steady_timer grace(io);
  std::optional<bp::process> lister;
  {
    asio::writable_pipe out_write(io);
    asio::writable_pipe err_write(io);
    asio::connect_pipe(out.pipe, out_write);
    asio::connect_pipe(err.pipe, err_write);
    const pid_t pid =
        start_case_process(self, arguments, out_write.native_handle(), err_write.native_handle());
    if (pid < 0) {
      throw_errno(stage, "could not start `isotest run` for the listing",
                  "see `ulimit -u` and the pids limit of isotest's own cgroup");
    }
    lister.emplace(io.get_executor(), pid);
  }
  bool exited = false;
  int wait_status = 0;
  int interrupted_by = 0;
  // cancel() cannot stop a signal handler already queued behind the last output; it must not
  // wait again, or io.run() would never return.
  bool done = false;
  auto finish_if_done = [&] {
    if (exited && out.closed && err.closed) {
      done = true;
      interrupt.cancel();
      grace.cancel();
    }
  };
  read_to_end(out, finish_if_done);
  read_to_end(err, finish_if_done);
  lister->async_wait([&](const boost::system::error_code&, int) {
    exited = true;
    wait_status = lister->native_exit_code();  // the handler's code cannot tell a signal
    grace.expires_after(kOutputGrace);
    grace.async_wait([&](const boost::system::error_code& error) {
      if (error) return;  // cancelled: the output closed in time
      boost::system::error_code ignored;
      out.pipe.close(ignored);
      err.pipe.close(ignored);
    });
    finish_if_done();
  });
  std::function<void()> wait_for_signal = [&] {
    if (done) return;
    interrupt.async_wait([&](const boost::system::error_code& error, int signal_number) {
      if (error) return;  // cancelled: the listing is over
      if (!exited) ::kill(lister->id(), interrupted_by == 0 ? SIGTERM : SIGKILL);
      if (interrupted_by == 0) interrupted_by = signal_number;
      wait_for_signal();
    });
  };
  wait_for_signal();
  io.run();
  if (interrupted_by != 0) throw ListingInterrupted{interrupted_by};

  ListerRun run{
      .wait_status = wait_status, .shown = printed(out, err), .listing_overflowed = out.overflowed};
  run.listing = std::move(out.text);
  try {
    auto loaded = load_results({result_path});
    if (!loaded.empty()) run.result = std::move(loaded.front().document);
  } catch (const SetupFailure&) {
  }
  ::unlink(result_path.c_str());
  return run;
}

std::string how_it_ended(int wait_status) {
  if (WIFSIGNALED(wait_status)) {
    const char* name = sigabbrev_np(WTERMSIG(wait_status));
    return std::string("was killed by SIG") + (name != nullptr ? name : "?");
  }
  return "exited with " + std::to_string(WEXITSTATUS(wait_status));
}

std::string text_of(const nlohmann::json& document, const char* key) {
  const auto found = document.find(key);
  return found != document.end() && found->is_string() ? found->get<std::string>() : "";
}

// Throws the SetupFailure that says why the listing did not work, if it did not.
void check_lister_run(const GtestRequest& request, const ListerRun& run, const std::string& stage) {
  const std::string command = "`" + request.binary + " --gtest_list_tests`";
  const std::string reproduce =
      "run `isotest run [OPTIONS] -- " + request.binary + " --gtest_list_tests` to see it";
  if (!run.result) {
    throw_error(stage, 0,
                "the `isotest run` that lists the cases " + how_it_ended(run.wait_status) +
                    " without writing its result" + run.shown,
                "see the message above; " + reproduce);
  }
  const nlohmann::json& result = *run.result;
  const std::string status = text_of(result, "status");
  if (status == "passed") {
    if (!run.listing_overflowed) return;
    throw_error(stage, 0, command + " printed more than 64 MiB",
                "check that BINARY is a GoogleTest binary and that its listing does not loop");
  }
  if (status == "timeout") {
    throw_error(stage, 0, command + " did not finish within " + request.list_timeout + run.shown,
                "find what the binary waits for before main() lists its cases (a global fixture "
                "or static initialiser), or raise --list-timeout");
  }
  if (status == "sandbox_error") {
    const nlohmann::json error = result.value("error", nlohmann::json::object());
    throw_error(stage + ": " + text_of(error, "stage"), error.value("errno", 0),
                "could not run " + command + " in its sandbox: " + text_of(error, "message"),
                text_of(error, "hint"));
  }
  if (status == "oom") {
    throw_error(stage, 0, command + " ran out of memory" + run.shown,
                "raise --memory: listing runs in a sandbox with the cases' limits");
  }
  if (status == "crashed") {
    throw_error(stage, 0, command + " was killed by " + text_of(result, "signal_name") + run.shown,
                "the binary crashed before it listed its cases (a static initialiser or "
                "main()); " +
                    reproduce);
  }
  const auto exit_code = result.value("exit_code", nlohmann::json());
  throw_error(
      stage, 0,
      command + " exited with " + (exit_code.is_number() ? exit_code.dump() : "?") + run.shown,
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

Listing list_cases(const GtestRequest& request, const std::string& self,
                   const std::string& scratch) {
  const std::string stage = "gtest: list the cases of " + request.binary;
  const ListingPaths paths{.directory = scratch + "/listing",
                           .needs = scratch + "/listing/needs.json",
                           .result = scratch + "/listing.json"};
  if (::mkdir(paths.directory.c_str(), 0700) != 0) {
    throw_errno(stage, "mkdir " + paths.directory + " failed",
                "set TMPDIR to a writable directory");
  }
  const ListerRun run = run_lister(self, listing_arguments(request, paths), stage, paths.result);
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
