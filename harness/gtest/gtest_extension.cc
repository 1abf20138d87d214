#include "gtest_extension.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "environment.h"
#include "once_per_process.h"
#include "setup_error.h"
#include "temporary_parent.h"

namespace isotest {

namespace {

// Where the private directory appears inside a sandbox with its own mount namespace: below the
// sandbox's fresh /tmp, where isotest can create the mount point.
constexpr const char* kInsideDir = "/tmp/.isotest";

std::optional<int> parse_int(const std::optional<std::string>& text) {
  if (!text || text->empty()) return std::nullopt;
  char* end = nullptr;
  const long value = std::strtol(text->c_str(), &end, 10);
  if (*end != '\0' || value < 0 || value > 1'000'000) return std::nullopt;
  return static_cast<int>(value);
}

bool has_output_flag(const std::vector<std::string>& command) {
  for (std::size_t i = 1; i < command.size(); ++i) {
    if (command[i].starts_with("--gtest_output")) return true;
  }
  return false;
}

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A binary that exited 0 without finishing: a case that was running when it exited (the plugin
// saw it start, never end) or GoogleTest's premature-exit file left behind.
bool left_unfinished(const RunResult& result) {
  if (result.gtest && result.gtest->premature_exit) return true;
  if (!result.cases) return false;
  return std::any_of(result.cases->begin(), result.cases->end(),
                     [](const CaseResult& c) { return c.status == RunStatus::crashed; });
}

bool all_skipped(const RunResult& result) {
  if (!result.cases) return false;
  bool any_skipped = false;
  for (const auto& c : *result.cases) {
    if (c.status == RunStatus::skipped) {
      any_skipped = true;
    } else if (c.status != RunStatus::disabled) {
      return false;
    }
  }
  return any_skipped;
}

}  // namespace

void apply_gtest_status_rules(RunResult& result) {
  // Only a run that exited 0: classify() decided every other one (setup error, signal, exit
  // code, out of memory) and a timeout or a seccomp kill outranks what the cases say.
  if (result.error || result.signal || result.exit_code != 0) return;
  const auto& kill = result.killed_by_harness;
  if (kill && kill->reason != KillReason::signal) return;
  const bool interrupted = kill.has_value();  // keeps 128 + the signal isotest received
  if (left_unfinished(result)) {
    result.status = RunStatus::failed;
    if (!interrupted) result.launcher_exit_code = 1;
  } else if (all_skipped(result)) {
    result.status = RunStatus::skipped;
    if (!interrupted) result.launcher_exit_code = kSkippedExitCode;
  }
}

std::optional<std::string> GtestExtension::variable(const LaunchPlan& plan, const char* key,
                                                    bool even_if_cleared) const {
  auto value = plan.exec.variable(key);
  if (!value && even_if_cleared) value = environment_variable(inherited_, key);
  return value;
}

void GtestExtension::adjust(LaunchPlan& plan) {
  kind_ = detect_gtest_binary(plan.executable);
  if (kind_ == GtestKind::none) return;
  started_ = std::chrono::steady_clock::now();
  scratch_.emplace(temporary_parent(inherited_), kGtestRunScratchPrefix);
  // The sandbox gets a directory below the scratch directory, not the scratch directory itself:
  // the lock file that tells a live run from a dead one stays out of the test's reach.
  host_dir_ = scratch_->path() + "/shared";
  if (::mkdir(host_dir_.c_str(), 0700) != 0) {
    throw_errno("gtest: create private directory", "mkdir " + host_dir_ + " failed",
                "set TMPDIR to a writable directory");
  }
  const std::string inside_dir = plan.own_mount_namespace ? kInsideDir : host_dir_;
  if (plan.own_mount_namespace) {
    add_bind(plan.mounts, BindMount{.source = host_dir_, .target = inside_dir});
  }
  // What the caller set wins; these are set only where nothing is.
  auto set = [&](const char* key, const std::string& value) { plan.exec.set_variable(key, value); };
  if (kind_ == GtestKind::plugin) {
    Pipe events = make_pipe();
    events_read_ = std::move(events.read_end);
    events_write_ = std::move(events.write_end);
    set_nonblocking(events_read_.get(), "gtest: event pipe");
    plan.extension_fds.push_back(events_write_.get());
    set("ISOTEST_EVENTS_FD", std::to_string(events_write_.get()));
  } else if (!variable(plan, "GTEST_OUTPUT") && !has_output_flag(plan.exec.argv)) {
    own_output_ = true;
    set("GTEST_OUTPUT", "json:" + inside_dir + "/gtest.json");
  }
  if (!variable(plan, "TEST_PREMATURE_EXIT_FILE")) {
    own_premature_ = true;
    set("TEST_PREMATURE_EXIT_FILE", inside_dir + "/premature-exit");
  }

  // Sharding: GoogleTest's variables, or Bazel's, passed through (also past --clear-env).
  const auto gtest_total = variable(plan, "GTEST_TOTAL_SHARDS", true);
  const auto gtest_index = variable(plan, "GTEST_SHARD_INDEX", true);
  const auto bazel_total = variable(plan, "TEST_TOTAL_SHARDS", true);
  const auto bazel_index = variable(plan, "TEST_SHARD_INDEX", true);
  total_shards_ = parse_int(gtest_total ? gtest_total : bazel_total);
  shard_index_ = parse_int(gtest_index ? gtest_index : bazel_index);
  if (!total_shards_) return;
  for (const auto& [key, value] :
       {std::pair{"GTEST_TOTAL_SHARDS", gtest_total ? gtest_total : bazel_total},
        std::pair{"GTEST_SHARD_INDEX", gtest_index ? gtest_index : bazel_index},
        std::pair{"TEST_TOTAL_SHARDS", bazel_total}, std::pair{"TEST_SHARD_INDEX", bazel_index}}) {
    if (value) set(key, *value);
  }
  caller_shard_status_file_ = variable(plan, "TEST_SHARD_STATUS_FILE").value_or("");
  if (!variable(plan, "GTEST_SHARD_STATUS_FILE")) {
    own_shard_status_ = true;
    set("GTEST_SHARD_STATUS_FILE", inside_dir + "/shard-status");
  }
}

void GtestExtension::watch(FdWatchList& fds) {
  if (!active()) return;
  // The sandbox holds its own copy of the write end; ours would keep end of file from coming.
  events_write_.reset();
  // Directories of earlier runs whose launcher was killed (SIGKILL) before it could remove them.
  if (first_time_in_process("remove stale scratch directories in " + scratch_->parent())) {
    remove_stale_scratch_directories(scratch_->parent());
  }
  if (events_read_.valid()) {
    fds.push_back(
        WatchedFd{.fd = events_read_.get(), .on_readable = [this] { return read_events(); }});
  }
}

double GtestExtension::elapsed_ms() const {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_)
      .count();
}

bool GtestExtension::read_events() {
  char buffer[64 * 1024];
  while (events_read_.valid()) {
    const ssize_t got = ::read(events_read_.get(), buffer, sizeof buffer);
    if (got > 0) {
      assembler_.feed(std::string_view(buffer, static_cast<std::size_t>(got)), elapsed_ms());
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    if (got == 0 || errno != EAGAIN) events_read_.reset();
    break;
  }
  return events_read_.valid();
}

void GtestExtension::finish(RunResult& result) {
  if (!active()) return;
  GtestRun gtest;
  const bool ran = !result.error;
  gtest.premature_exit =
      own_premature_ && ran && ::access((host_dir_ + "/premature-exit").c_str(), F_OK) == 0;
  if (kind_ == GtestKind::plugin && assembler_.started()) {
    const bool timed_out =
        result.killed_by_harness && result.killed_by_harness->reason == KillReason::timeout;
    result.cases =
        assembler_.finish(timed_out ? RunStatus::timeout : RunStatus::crashed, elapsed_ms());
    assembler_.add_crash(result);
    gtest.cases_source = "plugin";
  } else if (own_output_ && ran) {
    if (auto cases = cases_from_gtest_json(read_whole_file(host_dir_ + "/gtest.json"))) {
      result.cases = std::move(cases);
      gtest.cases_source = "gtest_output";
    }
  }
  if (total_shards_) {
    gtest.total_shards = total_shards_;
    gtest.shard_index = shard_index_;
    // Unknown when the binary never got as far as selecting its tests.
    const bool got_going = ran && (result.cases || (!result.signal && result.exit_code));
    if (own_shard_status_ && got_going) {
      gtest.honoured_sharding = ::access((host_dir_ + "/shard-status").c_str(), F_OK) == 0;
      if (*gtest.honoured_sharding && !caller_shard_status_file_.empty()) {
        std::ofstream touch(caller_shard_status_file_, std::ios::app);
      }
    }
  }
  result.gtest = std::move(gtest);
  apply_gtest_status_rules(result);
}

}  // namespace isotest
