#include "runner.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <memory_resource>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>

#include "case_list.h"
#include "gtest_output.h"
#include "launch.h"
#include "listing.h"
#include "netlab_request.h"
#include "output_file.h"
#include "progress.h"
#include "repeating_tick.h"
#include "report.h"
#include "report_pages.h"
#include "result.h"
#include "run_status.h"
#include "runner_report.h"
#include "safe_text.h"
#include "sandbox_run.h"
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

// A failed case's packets in its artifacts folder (--capture on-failure). A case that needs
// `--network none` or `host`, or shares the host's network namespace, has no packets of its own
// to capture and runs without one (`isotest run` would refuse --capture for it).
void add_capture_on_failure(SandboxSpec& spec) {
  if (spec.network != NetworkMode::loopback || spec.shares(Namespace::net)) return;
  request_capture_on_failure(spec.netlab, spec.artifacts.directory);
  // As `isotest run` checks it: a capture.pcap isotest did not write is never written through.
  const auto problems = check_netlab_request(spec.netlab, false, false);
  if (problems.empty()) return;
  std::string message;
  for (const auto& problem : problems) message += (message.empty() ? "" : "; ") + problem;
  throw_error("gtest", 0, "the case's --capture on-failure is refused: " + message);
}

void block_broken_pipe_signal() {
  sigset_t broken_pipe;
  sigemptyset(&broken_pipe);
  sigaddset(&broken_pipe, SIGPIPE);
  ::sigprocmask(SIG_BLOCK, &broken_pipe, nullptr);
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

// One job's sandbox while it runs, launched from this process (launch.h).
struct Running {
  explicit Running(asio::io_context& io) : events(io) {}
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;
  // The fd is the sandbox's to close.
  ~Running() {
    if (events.is_open()) static_cast<void>(events.release());
  }
  std::uint64_t id = 0;
  Job job;
  std::unique_ptr<SandboxRunExtensions> extensions;  // outlive the sandbox they take part in
  std::unique_ptr<RunningSandbox> sandbox;
  asio::posix::stream_descriptor events;  // the sandbox's event fd, which the sandbox owns
  std::string output;  // stdout and stderr merged, as the test printed them, and isotest's lines
  GtestOutputParser parser;
  Clock::time_point started;
  Clock::time_point last_output;
  bool silence_reported = false;
  bool interrupted = false;
};

class CaseScheduler {
 public:
  CaseScheduler(const GtestRequest& request, const SandboxOptionsParser& parse_options,
                std::vector<CaseState>& cases, std::pmr::memory_resource& attempt_memory,
                Progress& progress)
      : request_(request),
        parse_options_(parse_options),
        cases_(cases),
        attempt_memory_(attempt_memory),
        progress_(progress),
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
      // First signal: start nothing more and stop the sandboxes as `isotest run` stops its own
      // on SIGTERM (each writes its result). A second one does not wait for the grace period.
      if (!interrupted_) {
        progress_.note(std::string("interrupted by ") + sigabbrev_np(signal_number) +
                       ": stopping the running cases, starting no more");
      }
      interrupted_ = true;
      queue_.clear();
      for (auto& [id, running] : running_) {
        running->interrupted = true;
        if (running->sandbox) running->sandbox->stop(SIGTERM);
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
  ArtifactsRequest artifacts_request(const CaseState& first) const {
    ArtifactsRequest artifacts = request_.artifacts;
    if (!artifacts.active()) return artifacts;
    artifacts.directory += "/" + artifacts_folder_name(first.record.name);
    if (first.attempts_started > 1) {
      artifacts.directory += ".attempt-" + std::to_string(first.attempts_started);
    }
    return artifacts;
  }

  // The spec of `isotest run [SANDBOX OPTIONS] [NEEDS] -- BINARY ARGS --gtest_filter=CASES`, as
  // the runner once passed it to a child `isotest run`. The options are parsed once for each set
  // of needs.
  SandboxSpec case_spec(const Job& job) {
    const auto& first = cases_[job.cases.front()];
    auto parsed = specs_.find(first.needs);
    if (parsed == specs_.end()) {
      std::vector<std::string> options = request_.sandbox_arguments;
      options.insert(options.end(), first.needs.begin(), first.needs.end());
      parsed = specs_.emplace(first.needs, parse_options_(options)).first;
    }
    SandboxSpec spec = parsed->second;
    std::vector<std::string> names;
    names.reserve(job.cases.size());
    for (auto index : job.cases) names.push_back(cases_[index].record.name);
    spec.name = names.size() == 1 ? names.front() : "batch of " + names.front();
    spec.artifacts = artifacts_request(first);
    if (request_.capture_on_failure) add_capture_on_failure(spec);
    spec.command = {request_.binary};
    spec.command.insert(spec.command.end(), request_.binary_arguments.begin(),
                        request_.binary_arguments.end());
    // Last, so that it wins over a --gtest_filter among the binary's arguments.
    spec.command.push_back("--gtest_filter=" + join(names, ':'));
    return spec;
  }

  void start(Job job) {
    auto owned = std::make_unique<Running>(io_);
    Running& running = *owned;
    running.id = next_id_++;
    running.job = std::move(job);
    for (auto index : running.job.cases) ++cases_[index].attempts_started;
    running.started = running.last_output = Clock::now();
    running_.emplace(running.id, std::move(owned));
    try {
      const SandboxSpec spec = case_spec(running.job);
      running.extensions = std::make_unique<SandboxRunExtensions>(spec, environ);
      LaunchOptions options{
          .take_signals = false,
          .close_earlier_fds = true,
          .output = [this, &running](std::string_view bytes) { take_output(running, bytes); }};
      running.sandbox =
          RunningSandbox::start(spec, environ, running.extensions->list(), std::move(options));
    } catch (const SetupFailure& failure) {
      // The case's options were refused: its attempt says so, as any sandbox_error does.
      RunResult refused;
      refused.name = cases_[running.job.cases.front()].record.name;
      refused.error = failure.error();
      classify(refused);
      asio::post(io_,
                 [this, id = running.id, result = std::move(refused)] { complete(id, result); });
      return;
    }
    wait_for_events(running);
  }

  // The sandbox's events, one round at a time, until it has finished. Asio watches an fd
  // edge-triggered and its async_wait does not look first: readiness left over from the last
  // round (more output than one read takes) would bring no new edge, so it is looked for here.
  void wait_for_events(Running& running) {
    if (running.sandbox->finished()) {
      // It could not start (its result says why); it ends after this start has returned.
      asio::post(io_, [this, id = running.id] { end(id); });
      return;
    }
    if (!running.events.is_open()) running.events.assign(running.sandbox->event_fd());
    if (readable_now(running.events.native_handle())) {
      asio::post(io_, [this, id = running.id] { on_events(id); });
      return;
    }
    running.events.async_wait(asio::posix::stream_descriptor::wait_read,
                              [this, id = running.id](const boost::system::error_code& error) {
                                if (!error) on_events(id);
                              });
  }

  void on_events(std::uint64_t id) {
    auto it = running_.find(id);
    if (it == running_.end()) return;
    if (it->second->sandbox->on_event()) {
      end(id);
      return;
    }
    wait_for_events(*it->second);
  }

  static bool readable_now(int fd) {
    pollfd probe{.fd = fd, .events = POLLIN, .revents = 0};
    return ::poll(&probe, 1, 0) > 0;
  }

  void take_output(Running& running, std::string_view bytes) {
    running.parser.feed(bytes, elapsed_ms(running, Clock::now()));
    if (running.output.size() < kOutputKeptBytes) running.output.append(bytes);
    running.last_output = Clock::now();
    running.silence_reported = false;
  }

  // The sandbox has finished: its result.
  void end(std::uint64_t id) {
    auto it = running_.find(id);
    if (it == running_.end()) return;
    Running& running = *it->second;
    // The fd is the sandbox's: Asio lets go of it before the sandbox closes it.
    if (running.events.is_open()) static_cast<void>(running.events.release());
    complete(id, running.sandbox->take_result());
  }

  // The attempt's result, and what `isotest run` printed about it on stderr, at its end.
  void complete(std::uint64_t id, const RunResult& result) {
    auto it = running_.find(id);
    if (it == running_.end()) return;
    auto running = std::move(it->second);
    running_.erase(it);
    const auto ended = Clock::now();
    for (const auto& line : run_messages(result)) {
      take_output(*running, "isotest: " + line + "\n");
    }
    progress_.set_running(running_names());
    running->parser.finish(elapsed_ms(*running, ended));
    collect(*running, result);
    start_jobs();
  }

  static double elapsed_ms(const Running& running, Clock::time_point at) {
    return std::chrono::duration<double, std::milli>(at - running.started).count();
  }

  // The attempt as `isotest run --json` writes it (its invalid UTF-8 is replaced once it is
  // stored, StoredAttempt).
  void collect(const Running& running, const RunResult& result) {
    nlohmann::json document = to_json(result);
    if (running.job.cases.size() == 1) {
      copy_plugin_crash(document, cases_[running.job.cases.front()].record.name, document);
      record(running, running.job.cases.front(), std::move(document), std::nullopt);
      return;
    }
    collect_batch(
        running,
        result.cases ? std::span<const CaseResult>(*result.cases) : std::span<const CaseResult>(),
        document);
  }

  // Per-case outcomes of a batch: the run's GoogleTest `cases` (from the plugin's events or
  // GoogleTest's JSON, gtest_cases.h) when it has them, else GoogleTest's own [ RUN ] / [ OK ] /
  // [ FAILED ] lines. The case that started and never finished is the one that crashed or hung;
  // cases that never started run again.
  void collect_batch(const Running& running, std::span<const CaseResult> listed,
                     const nlohmann::json& result) {
    std::map<std::string, CaseOutcome> outcomes = running.parser.outcomes();
    for (const CaseResult& listed_case : listed) {
      const RunStatus status = listed_case.status;
      if (listed_case.name.empty() || status == RunStatus::notrun ||
          status == RunStatus::disabled) {
        continue;
      }
      auto& outcome = outcomes[listed_case.name];
      const bool finished = status == RunStatus::passed || status == RunStatus::failed ||
                            status == RunStatus::skipped;
      outcome.status = finished ? std::optional(status) : std::nullopt;
      outcome.duration_ms = listed_case.duration_ms;
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
      if (outcome->status) attempt["status"] = std::string(status_name(*outcome->status));
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
      if (found != outcomes.end() && found->second.status == RunStatus::skipped) {
        attempt["status"] = "skipped";
      }
    }
    if (running.interrupted) attempt["interrupted"] = true;
    const std::string status = status_of(attempt);
    const double duration_ms = attempt.value("duration_ms", 0.0);
    const std::string shown_output = outcome ? outcome->output : running.output;
    state.record.attempts.emplace_back(attempt, &attempt_memory_);
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
  const SandboxOptionsParser& parse_options_;
  std::map<std::vector<std::string>, SandboxSpec> specs_;  // by the cases' needs
  std::vector<CaseState>& cases_;
  std::pmr::memory_resource& attempt_memory_;  // where the attempts are kept (StoredAttempt)
  Progress& progress_;
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

int run_gtest(const GtestRequest& original, const SandboxOptionsParser& parse_options) {
  GtestRequest request = original;
  try {
    request.binary = fs::absolute(request.binary).lexically_normal().string();
    check_binary(request, original.binary);
    if (request.jobs == 0) request.jobs = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
    take_shard_variables();
    // A sandbox that died before its go makes the launcher's write of the go fail: EPIPE, not
    // the end of the runner and of every other case.
    block_broken_pipe_signal();
    std::FILE* const console = check_outputs(request);
    const ScratchDirectory scratch(temporary_parent(environ), kRunnerScratchPrefix);
    // Ours is locked now; those of runners and runs that were SIGKILLed are not.
    remove_stale_scratch_directories(scratch.parent());

    Progress progress(console, ::isatty(::fileno(console)) == 1);
    // Blocks of 1 MiB and more: malloc maps them apart from its heap (StoredAttempt).
    std::pmr::monotonic_buffer_resource attempt_memory(std::size_t{1} << 20);
    std::vector<CaseState> cases;
    std::vector<std::size_t> order;
    {
      Listing listing = list_cases(request, parse_options, scratch.path());
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
    CaseScheduler scheduler(request, parse_options, cases, attempt_memory, progress);
    for (std::int64_t round = 0; round < request.repeat; ++round) {
      for (auto& job : make_jobs(order, cases, request.batch)) scheduler.enqueue(std::move(job));
    }
    progress.add_planned(cases.size() * static_cast<std::size_t>(request.repeat));
    scheduler.run();
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
    outcome.interrupted = scheduler.interrupted();
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
