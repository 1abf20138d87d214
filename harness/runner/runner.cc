#include "runner.h"

#include <signal.h>
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
#include <boost/asio/writable_pipe.hpp>
#include <boost/process/v2/process.hpp>
// clang-format on
#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "case_list.h"
#include "case_process.h"
#include "gtest_output.h"
#include "listing.h"
#include "output_file.h"
#include "progress.h"
#include "repeating_tick.h"
#include "report.h"
#include "report_pages.h"
#include "result.h"
#include "run_status.h"
#include "runner_report.h"
#include "safe_text.h"
#include "scratch_directory.h"
#include "setup_error.h"
#include "temporary_parent.h"
#include "timings.h"

namespace isotest {

namespace {

// The crash site the plugin reported for case NAME (in an `isotest run` result's `cases`) as the
// attempt's `crash`, where the case's document finds it (runner_report.cc).
void copy_plugin_crash(const nlohmann::json& result, const std::string& name,
                       nlohmann::json& attempt) {
  const auto listed = result.find("cases");
  if (listed == result.end() || !listed->is_array()) return;
  for (const auto& entry : *listed) {
    if (entry.is_object() && entry.value("name", "") == name && entry.contains("crash")) {
      nlohmann::json crash = entry["crash"];  // a copy: `attempt` may be `result` itself
      attempt["crash"] = std::move(crash);
      return;
    }
  }
}

namespace asio = boost::asio;
namespace bp = boost::process::v2;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kIsotestFailed = 125;
constexpr int kInterrupted = 130;  // 128 + SIGINT, as a shell reports an interrupted command
constexpr std::size_t kOutputKeptBytes = 1 << 20;  // of one sandbox's merged output

std::string join(const std::vector<std::string>& parts, char separator) {
  std::string text;
  for (const auto& part : parts) {
    if (!text.empty()) text += separator;
    text += part;
  }
  return text;
}

// Sharding is ours: a binary that saw the shard variables too would run only its own share of
// the one case we filter for. Bazel asks a test runner that shards to touch its status file.
void take_shard_variables() {
  if (const char* status_file = std::getenv("TEST_SHARD_STATUS_FILE")) {
    std::ofstream touch(status_file, std::ios::app);
  }
  for (const char* name : {"GTEST_SHARD_INDEX", "GTEST_TOTAL_SHARDS", "TEST_SHARD_INDEX",
                           "TEST_TOTAL_SHARDS", "GTEST_SHARD_STATUS_FILE"}) {
    ::unsetenv(name);
  }
}

// Whether a case's declared needs leave its sandbox a network of its own with lo up: a case
// that needs `--network none` or `host`, or shares the host's network namespace, has no packets
// of its own to capture, and `isotest run` would refuse --capture for it.
bool has_own_network(const std::vector<std::string>& needs) {
  for (std::size_t i = 0; i < needs.size(); ++i) {
    std::string_view option = needs[i];
    std::string_view value = i + 1 < needs.size() ? std::string_view(needs[i + 1]) : "";
    if (const auto equals = option.find('='); equals != std::string_view::npos) {
      value = option.substr(equals + 1);
      option = option.substr(0, equals);
    }
    if (option == "--network" && value != "loopback") return false;
    if (option == "--share" && value.find("net") != std::string_view::npos) return false;
  }
  return true;
}

struct CaseState {
  CaseRecord record;
  std::vector<std::string> needs;
  std::int64_t retries_used = 0;
  std::int64_t attempts_started = 0;  // names each attempt's artifacts folder
  bool passed_once = false;
  // The last finished attempt's duration when it was the case's own, for the timings file: not
  // the time of a sandbox that could not be built, nor that of a batch the case never ran in.
  std::optional<double> learned_duration_ms;
};

struct Job {
  std::vector<std::size_t> cases;  // indices into the runner's cases, all with the same needs
};

struct Running {
  explicit Running(asio::io_context& io) : pipe(io) {}
  std::uint64_t id = 0;
  Job job;
  std::optional<bp::process> process;
  asio::readable_pipe pipe;
  std::array<char, std::size_t{16} * 1024> buffer{};
  std::string output;  // stdout and stderr merged, as the child printed them
  GtestOutputParser parser;
  std::string json_path;
  Clock::time_point started;
  Clock::time_point last_output;
  Clock::time_point ended;  // when the child exited or its output closed, whichever came first
  bool exited = false;
  bool output_closed = false;
  bool silence_reported = false;
  bool interrupted = false;
};

class Supervisor {
 public:
  Supervisor(const GtestRequest& request, std::string self, std::string scratch,
             std::vector<CaseState>& cases, Progress& progress)
      : request_(request),
        scratch_(std::move(scratch)),
        cases_(cases),
        progress_(progress),
        self_(std::move(self)),
        tick_(io_, std::chrono::milliseconds(250),
              [this] {
                check_silence();
                progress_.update(running_names());
              }),
        signals_(io_, SIGINT, SIGTERM, SIGHUP) {}

  void enqueue(Job job) { queue_.push_back(std::move(job)); }
  [[nodiscard]] bool interrupted() const { return interrupted_; }
  asio::io_context& io() { return io_; }

  void run() {
    wait_for_signal();
    tick_.start();
    start_jobs();
    io_.run();
  }

 private:
  [[nodiscard]] std::size_t job_limit() const { return static_cast<std::size_t>(request_.jobs); }

  void wait_for_signal() {
    if (finished_) return;
    signals_.async_wait([this](const boost::system::error_code& error, int signal_number) {
      if (error || finished_) return;
      // First signal: start nothing more and stop the sandboxes; each `isotest run` kills its
      // own sandbox (and cgroup) and writes its result. A second one does not wait for that.
      const int forward = interrupted_ ? SIGKILL : SIGTERM;
      if (!interrupted_) {
        progress_.note(std::string("interrupted by ") + sigabbrev_np(signal_number) +
                       ": stopping the running cases, starting no more");
      }
      interrupted_ = true;
      queue_.clear();
      for (auto& [id, running] : running_) {
        running->interrupted = true;
        if (running->process && !running->exited) ::kill(running->process->id(), forward);
      }
      finish_if_done();
      wait_for_signal();
    });
  }

  void check_silence() {
    const auto now = Clock::now();
    for (auto& [id, running] : running_) {
      const auto silent_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(now - running->last_output).count();
      if (running->silence_reported || silent_ms < request_.silence_warning_ms) continue;
      running->silence_reported = true;
      progress_.silent(current_name(*running), silent_ms);
    }
  }

  std::string current_name(const Running& running) const {
    if (!running.parser.running_case().empty()) return running.parser.running_case();
    return cases_[running.job.cases.front()].record.name;
  }

  std::vector<std::string> running_names() const {
    std::vector<std::string> names;
    for (const auto& [id, running] : running_) names.push_back(current_name(*running));
    return names;
  }

  void start_jobs() {
    while (!interrupted_ && running_.size() < job_limit() && !queue_.empty()) {
      Job job = std::move(queue_.front());
      queue_.pop_front();
      start(std::move(job));
    }
    finish_if_done();
  }

  void finish_if_done() {
    if (!running_.empty() || (!queue_.empty() && !interrupted_)) return;
    // As for the tick (repeating_tick.h): a signal handler already queued must not wait again.
    finished_ = true;
    tick_.stop();
    signals_.cancel();
  }

  // DIR/<Suite.Case> for a case's first attempt, DIR/<Suite.Case>.attempt-N for the others
  // (retries, --repeat); a batch's files are its first case's.
  std::vector<std::string> artifacts_arguments(const CaseState& first) const {
    const ArtifactsRequest& artifacts = request_.artifacts;
    if (!artifacts.active()) return {};
    std::string folder = artifacts.directory + "/" + artifacts_folder_name(first.record.name);
    if (first.attempts_started > 1) folder += ".attempt-" + std::to_string(first.attempts_started);
    std::vector<std::string> arguments = {"--artifacts",
                                          folder,
                                          "--keep",
                                          std::string(keep_policy_name(artifacts.keep)),
                                          "--artifacts-limit",
                                          std::to_string(artifacts.limit_bytes)};
    if (request_.capture_on_failure && has_own_network(first.needs)) {
      arguments.insert(arguments.end(), {"--capture", std::string(kCaptureOnFailure)});
    }
    return arguments;
  }

  std::vector<std::string> child_arguments(const Job& job, const std::string& json_path) const {
    const auto& first = cases_[job.cases.front()];
    std::vector<std::string> names;
    names.reserve(job.cases.size());
    for (auto index : job.cases) names.push_back(cases_[index].record.name);
    std::vector<std::string> arguments = {"run"};
    arguments.insert(arguments.end(), request_.sandbox_arguments.begin(),
                     request_.sandbox_arguments.end());
    arguments.insert(arguments.end(), first.needs.begin(), first.needs.end());
    const auto artifacts = artifacts_arguments(first);
    arguments.insert(arguments.end(), artifacts.begin(), artifacts.end());
    arguments.insert(arguments.end(),
                     {"--name", names.size() == 1 ? names.front() : "batch of " + names.front(),
                      "--json", json_path, "--", request_.binary});
    arguments.insert(arguments.end(), request_.binary_arguments.begin(),
                     request_.binary_arguments.end());
    // Last, so that it wins over a --gtest_filter among the binary's arguments.
    arguments.push_back("--gtest_filter=" + join(names, ':'));
    return arguments;
  }

  void start(Job job) {
    auto running = std::make_unique<Running>(io_);
    running->id = next_id_++;
    running->json_path = scratch_ + "/" + std::to_string(running->id) + ".json";
    running->job = std::move(job);
    for (auto index : running->job.cases) ++cases_[index].attempts_started;
    running->started = running->last_output = Clock::now();
    const auto arguments = child_arguments(running->job, running->json_path);
    asio::writable_pipe write_end(io_);
    asio::connect_pipe(running->pipe, write_end);
    const int output_fd = write_end.native_handle();
    const pid_t pid = start_case_process(self_, arguments, output_fd, output_fd);
    if (pid < 0) {
      throw_errno("gtest: start the sandbox of " + cases_[running->job.cases.front()].record.name,
                  "fork failed", "see `ulimit -u` and the pids limit of isotest's own cgroup");
    }
    running->process.emplace(io_.get_executor(), pid);
    write_end.close();
    Running& started = *running;
    running_.emplace(started.id, std::move(running));
    read_output(started);
    started.process->async_wait([this, id = started.id](const boost::system::error_code&, int) {
      auto it = running_.find(id);
      if (it == running_.end()) return;
      mark_ended(*it->second);
      it->second->exited = true;
      maybe_finished(id);
    });
  }

  void read_output(Running& running) {
    running.pipe.async_read_some(
        asio::buffer(running.buffer),
        [this, id = running.id](const boost::system::error_code& error, std::size_t size) {
          auto it = running_.find(id);
          if (it == running_.end()) return;
          Running& target = *it->second;
          if (error) {
            mark_ended(target);
            target.output_closed = true;
            maybe_finished(id);
            return;
          }
          const std::string_view bytes(target.buffer.data(), size);
          target.parser.feed(bytes, elapsed_ms(target, Clock::now()));
          if (target.output.size() < kOutputKeptBytes) target.output.append(bytes);
          target.last_output = Clock::now();
          target.silence_reported = false;
          read_output(target);
        });
  }

  static void mark_ended(Running& running) {
    if (!running.exited && !running.output_closed) running.ended = Clock::now();
  }

  static double elapsed_ms(const Running& running, Clock::time_point at) {
    return std::chrono::duration<double, std::milli>(at - running.started).count();
  }

  void maybe_finished(std::uint64_t id) {
    auto it = running_.find(id);
    if (it == running_.end() || !it->second->exited || !it->second->output_closed) return;
    auto running = std::move(it->second);
    running_.erase(it);
    progress_.set_running(running_names());
    running->parser.finish(elapsed_ms(*running, running->ended));
    collect(*running);
    start_jobs();
  }

  // The child's result file; a result of our own when it wrote none (it was SIGKILLed, or
  // crashed itself), so that no attempt disappears. The file goes once read: the scratch
  // directory may be on a small /dev/shm, and a long run writes thousands of them.
  nlohmann::json child_result(const Running& running) const {
    try {
      auto loaded = load_results({running.json_path});
      ::unlink(running.json_path.c_str());
      if (!loaded.empty()) return std::move(loaded.front().document);
    } catch (const SetupFailure&) {
    }
    const double duration_ms =
        std::chrono::duration<double, std::milli>(Clock::now() - running.started).count();
    return {{"schema", kResultSchema},
            {"name", cases_[running.job.cases.front()].record.name},
            {"status", "sandbox_error"},
            {"duration_ms", duration_ms},
            {"error",
             {{"stage", "gtest"},
              {"errno", 0},
              {"message", "`isotest run` wrote no result file (it was killed or crashed)"},
              {"hint", "see its output"}}},
            {"output",
             {{"stdout",
               {{"text", running.output},
                {"bytes", running.output.size()},
                {"truncated", running.output.size() >= kOutputKeptBytes}}},
              {"stderr", nullptr}}}};
  }

  void collect(const Running& running) {
    nlohmann::json result = child_result(running);
    if (running.job.cases.size() == 1) {
      copy_plugin_crash(result, cases_[running.job.cases.front()].record.name, result);
      record(running, running.job.cases.front(), std::move(result), std::nullopt);
      return;
    }
    collect_batch(running, result);
  }

  // Per-case outcomes of a batch: the plugin's `cases` (COMMON contract 1) when the result has
  // them, else GoogleTest's own [ RUN ] / [ OK ] / [ FAILED ] lines. The case that started and
  // never finished is the one that crashed or hung; cases that never started run again.
  void collect_batch(const Running& running, const nlohmann::json& result) {
    std::map<std::string, CaseOutcome> outcomes = running.parser.outcomes();
    if (auto listed = result.find("cases"); listed != result.end() && listed->is_array()) {
      for (const auto& entry : *listed) {
        const std::string name = entry.value("name", "");
        const std::string status = entry.value("status", "");
        if (name.empty() || status == "notrun" || status == "disabled") continue;
        auto& outcome = outcomes[name];
        outcome.status = status == "passed" || status == "failed" || status == "skipped"
                             ? status
                             : std::string();
        if (entry.contains("duration_ms") && entry["duration_ms"].is_number()) {
          outcome.duration_ms = entry["duration_ms"].get<double>();
        }
      }
    }
    std::vector<std::size_t> not_started;
    std::vector<std::string> names;
    for (auto index : running.job.cases) names.push_back(cases_[index].record.name);
    for (auto index : running.job.cases) {
      auto found = outcomes.find(cases_[index].record.name);
      if (found == outcomes.end()) {
        not_started.push_back(index);
        continue;
      }
      nlohmann::json attempt = result;
      attempt["batch"] = names;
      attempt.erase("cases");
      copy_plugin_crash(result, found->first, attempt);
      record(running, index, std::move(attempt), found->second);
    }
    if (not_started.empty() || running.interrupted) return;
    if (not_started.size() == running.job.cases.size()) {
      // Nothing ran at all (the sandbox could not be built): the batch's result is each case's.
      for (auto index : not_started) {
        nlohmann::json attempt = result;
        attempt["batch"] = names;
        record(running, index, std::move(attempt), std::nullopt);
      }
      return;
    }
    queue_.push_front(Job{std::move(not_started)});
  }

  void record(const Running& running, std::size_t index, nlohmann::json attempt,
              const std::optional<CaseOutcome>& outcome) {
    CaseState& state = cases_[index];
    attempt["name"] = state.record.name;
    attempt["attempt"] = state.record.attempts.size() + 1;
    attempt.erase("schema");
    if (outcome) {
      // Within a batch the sandbox's status is the batch's; the case's own is in the output.
      if (!outcome->status.empty()) attempt["status"] = outcome->status;
      if (outcome->duration_ms) attempt["duration_ms"] = *outcome->duration_ms;
      attempt["output"] = {{"stdout",
                            {{"text", outcome->output},
                             {"bytes", outcome->output.size()},
                             {"truncated", outcome->truncated}}},
                           {"stderr", nullptr}};
    } else if (attempt.value("status", "") == "passed") {
      // A skipped case exits 0; GoogleTest says so in its output.
      const auto& outcomes = running.parser.outcomes();
      auto found = outcomes.find(state.record.name);
      if (found != outcomes.end() && found->second.status == "skipped") {
        attempt["status"] = "skipped";
      }
    }
    if (running.interrupted) attempt["interrupted"] = true;
    const std::string status = status_of(attempt);
    const double duration_ms = attempt.value("duration_ms", 0.0);
    const std::string shown_output = outcome ? outcome->output : running.output;
    state.record.attempts.push_back(std::move(attempt));
    if (running.interrupted) return;
    // A batch's case has its own duration once it started; a sandbox that was never built has
    // none, and a batch that ran none of its cases is not any case's.
    const bool own_duration = outcome ? outcome->duration_ms.has_value()
                                      : running.job.cases.size() == 1 && status != "sandbox_error";
    if (own_duration) state.learned_duration_ms = duration_ms;
    progress_.finished(state.record.name, status, duration_ms, shown_output);
    if (is_good(status)) {
      state.passed_once = true;
      return;
    }
    if (state.passed_once || state.retries_used >= request_.retries) return;
    ++state.retries_used;
    progress_.add_planned(1);
    queue_.push_back(Job{{index}});  // alone: a retry is not batched with others
  }

  const GtestRequest& request_;
  std::string scratch_;
  std::vector<CaseState>& cases_;
  Progress& progress_;
  std::string self_;
  asio::io_context io_;
  RepeatingTick tick_;
  asio::signal_set signals_;
  std::deque<Job> queue_;
  std::map<std::uint64_t, std::unique_ptr<Running>> running_;
  std::uint64_t next_id_ = 0;
  bool interrupted_ = false;
  bool finished_ = false;  // every job is done: a signal handler already queued must not re-arm
};

// Batches of up to `batch` cases in the given order; a batch holds cases with the same needs.
std::vector<Job> make_jobs(const std::vector<std::size_t>& order,
                           const std::vector<CaseState>& cases, std::int64_t batch) {
  std::vector<Job> jobs;
  std::map<std::vector<std::string>, std::size_t> open;  // needs -> index of its unfilled job
  for (auto index : order) {
    const auto& needs = cases[index].needs;
    auto it = open.find(needs);
    if (it == open.end() || jobs[it->second].cases.size() >= static_cast<std::size_t>(batch)) {
      jobs.push_back(Job{{}});
      it = open.insert_or_assign(needs, jobs.size() - 1).first;
    }
    jobs[it->second].cases.push_back(index);
  }
  return jobs;
}

void write_outputs(const GtestRequest& request, const RunnerSettings& settings,
                   const RunnerOutcome& outcome, const std::vector<nlohmann::json>& documents) {
  if (request.json_path.empty() && request.junit_path.empty() && request.html_path.empty() &&
      request.markdown_path.empty()) {
    return;
  }
  auto document = runner_document(settings, outcome, documents);
  if (!request.json_path.empty()) {
    auto text = document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    text += '\n';
    write_output(request.json_path, text);
  }
  const auto results = runner_results(request.binary, std::move(document));
  if (!request.junit_path.empty()) write_output(request.junit_path, junit_xml(results));
  write_report_pages(results, {request.html_path, request.markdown_path, {request.binary}});
}

// Checked before any case runs, so that a run whose results cannot be written does not start.
// Returns the stream for the progress and the summary: stdout, unless a result goes there
// (`--json /dev/stdout | jq`).
std::FILE* check_outputs(const GtestRequest& request) {
  bool stdout_taken = false;
  for (const std::string* path : {&request.json_path, &request.junit_path, &request.html_path,
                                  &request.markdown_path, &request.timings_path}) {
    if (path->empty()) continue;
    const auto destination = resolve_output(*path);
    if (destination.method == OutputMethod::inherited_fd && destination.fd == STDOUT_FILENO) {
      stdout_taken = true;
    }
  }
  return stdout_taken ? stderr : stdout;
}

void print_summary(std::FILE* stream, const std::vector<nlohmann::json>& documents) {
  const auto counts = count_statuses(documents);
  auto count = [&](const char* status) {
    auto it = counts.find(status);
    return it == counts.end() ? 0 : it->second;
  };
  int bad = 0;
  for (const auto& [status, number] : counts) {
    if (!is_good(status)) bad += number;
  }
  static_cast<void>(std::fprintf(stream, "\n%d passed, %d failed, %d skipped\n",
                                 count("passed") + count("flaky"), bad, count("skipped")));
  if (count("flaky") > 0)
    static_cast<void>(std::fprintf(stream, "of the passed, flaky: %d\n", count("flaky")));
  for (const auto& document : documents) {
    const std::string status = document.value("status", "");
    if (status == "passed" || status == "skipped") continue;
    static_cast<void>(
        std::fprintf(stream, "  %-8s %s (%d of %zu attempts failed)\n", status.c_str(),
                     terminal_text(document.value("name", "")).c_str(),
                     document.value("failed_attempts", 0), document["attempts"].size()));
  }
}

}  // namespace

int run_gtest(const GtestRequest& original) {
  GtestRequest request = original;
  try {
    request.binary = fs::absolute(request.binary).lexically_normal().string();
    check_binary(request, original.binary);
    if (request.jobs == 0) request.jobs = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
    take_shard_variables();
    std::FILE* const console = check_outputs(request);
    const ScratchDirectory scratch(temporary_parent(environ), kRunnerScratchPrefix);
    // Ours is locked now; those of runners and runs that were SIGKILLed are not.
    remove_stale_scratch_directories(scratch.parent());
    const std::string self = fs::read_symlink("/proc/self/exe").string();

    Progress progress(console, ::isatty(::fileno(console)) == 1);
    std::vector<CaseState> cases;
    std::vector<std::size_t> order;
    {
      Listing listing = list_cases(request, self, scratch.path());
      const CaseFilter filter(request.filter);
      std::vector<std::string> selected;
      for (auto& name : listing.cases) {
        if (filter.matches(name)) selected.push_back(std::move(name));
      }
      if (request.shard_count) {
        selected = select_shard(selected, *request.shard_index, *request.shard_count);
      }
      const std::string timings_path = request.timings_path.empty()
                                           ? default_timings_path(request.binary)
                                           : request.timings_path;
      order_slowest_first(selected, load_timings(timings_path));
      for (auto& name : selected) {
        CaseState state;
        if (auto it = listing.needs.find(name); it != listing.needs.end()) state.needs = it->second;
        state.record.name = std::move(name);
        order.push_back(cases.size());
        cases.push_back(std::move(state));
      }
    }
    if (cases.empty()) {
      static_cast<void>(
          std::fprintf(stderr, "isotest: no case of %s matches%s%s\n", request.binary.c_str(),
                       request.filter.empty() ? "" : " --filter ", request.filter.c_str()));
    }

    const auto started_at = std::chrono::system_clock::now();
    const auto started = Clock::now();
    Supervisor supervisor(request, self, scratch.path(), cases, progress);
    for (std::int64_t round = 0; round < request.repeat; ++round) {
      for (auto& job : make_jobs(order, cases, request.batch)) supervisor.enqueue(std::move(job));
    }
    progress.add_planned(cases.size() * static_cast<std::size_t>(request.repeat));
    supervisor.run();
    progress.clear_line();

    std::vector<nlohmann::json> documents;
    documents.reserve(cases.size());
    CaseTimings timings = load_timings(
        request.timings_path.empty() ? default_timings_path(request.binary) : request.timings_path);
    for (const auto& state : cases) {
      documents.push_back(case_document(state.record));
      if (state.learned_duration_ms) timings[state.record.name] = *state.learned_duration_ms;
    }
    RunnerSettings settings{request.binary,           request.binary_arguments, request.filter,
                            request.shard_index,      request.shard_count,      request.jobs,
                            request.retries,          request.repeat,           request.batch,
                            request.sandbox_arguments};
    RunnerOutcome outcome;
    outcome.started_at = rfc3339_utc(started_at);
    outcome.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    outcome.interrupted = supervisor.interrupted();
    outcome.exit_code =
        outcome.interrupted ? kInterrupted : runner_exit_code(documents, request.fail_on_flaky);
    write_outputs(request, settings, outcome, documents);
    const std::string timings_path =
        request.timings_path.empty() ? default_timings_path(request.binary) : request.timings_path;
    if (!cases.empty() && !save_timings(timings_path, timings)) {
      static_cast<void>(
          std::fprintf(stderr,
                       "isotest: note: cannot write the timings to %s; the next run will not start "
                       "the slowest cases first (give --timings FILE in a writable place)\n",
                       timings_path.c_str()));
    }
    print_summary(console, documents);
    static_cast<void>(std::fflush(console));
    return outcome.exit_code;
  } catch (const ListingInterrupted& interrupted) {
    static_cast<void>(std::fflush(stdout));
    std::cerr << "isotest: interrupted by " << sigabbrev_np(interrupted.signal_number)
              << " while listing the cases of " << request.binary << "; no case ran\n";
    return kInterrupted;
  } catch (const SetupFailure& failure) {
    static_cast<void>(std::fflush(stdout));
    std::cerr << "isotest: " << failure.error().describe() << "\n";
    if (!failure.error().hint.empty())
      std::cerr << "isotest: hint: " << failure.error().hint << "\n";
    return kIsotestFailed;
  }
}

}  // namespace isotest
