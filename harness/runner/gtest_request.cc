#include "runner/gtest_request.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdlib>

#include "spec.h"

namespace isotest {

namespace {

// The variable's value as a whole number; nullopt when it is unset or empty. A value that is not
// a number is a problem that names the variable and the value.
std::optional<std::int64_t> environment_number(const char* name,
                                               std::vector<std::string>& problems) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(text, &end, 10);
  if (*end != '\0' || errno == ERANGE) {
    problems.push_back(std::string(name) + " must be a whole number; got `" + text +
                       "` (fix or unset the variable)");
    return std::nullopt;
  }
  return value;
}

// --shard-index/--shard-count first, then GoogleTest's variables, then Bazel's.
void shard_from_environment(GtestRequest& request, std::vector<std::string>& problems) {
  if (request.shard_index || request.shard_count) {
    request.shard_source = "--shard-index/--shard-count";
    return;
  }
  for (const auto& [index_name, count_name] :
       {std::pair{"GTEST_SHARD_INDEX", "GTEST_TOTAL_SHARDS"},
        std::pair{"TEST_SHARD_INDEX", "TEST_TOTAL_SHARDS"}}) {
    const std::size_t known_problems = problems.size();
    auto index = environment_number(index_name, problems);
    auto count = environment_number(count_name, problems);
    if (problems.size() > known_problems) return;  // named above; no shard is taken from them
    if (!index && !count) continue;
    request.shard_index = index;
    request.shard_count = count;
    request.shard_source = std::string(index_name) + "/" + count_name;
    if (!index || !count) {
      problems.push_back(std::string("set both ") + index_name + " and " + count_name +
                         ", or neither");
    }
    return;
  }
}

}  // namespace

CLI::App* add_gtest_command(CLI::App& app, GtestRequest& request) {
  auto* gtest = app.add_subcommand("gtest", kGtestDescription);
  gtest->footer(
      "Usage: isotest gtest [OPTIONS] BINARY [-- ARGS...]\n"
      "The isolation and limit options apply to every case. See docs/gtest-runner.md.");
  gtest->add_option("-j,--jobs", request.jobs, "cases at once (default: the number of CPUs)")
      ->option_text("N");
  gtest
      ->add_option("--filter", request.filter,
                   "GoogleTest filter: POSITIVE[:POSITIVE...][-NEGATIVE[:NEGATIVE...]]")
      ->option_text("PATTERN");
  gtest->add_option("--retries", request.retries, "run a failed case again up to N times")
      ->option_text("N");
  gtest->add_option("--repeat", request.repeat, "run every case N times, to hunt flakes")
      ->option_text("N");
  gtest->add_flag("--fail-on-flaky", request.fail_on_flaky,
                  "exit 1 when a case failed and then passed");
  gtest
      ->add_option("--shard-index", request.shard_index,
                   "run shard I of --shard-count (default: GTEST_SHARD_INDEX, TEST_SHARD_INDEX)")
      ->option_text("I");
  gtest
      ->add_option("--shard-count", request.shard_count,
                   "split the cases into N shards (default: GTEST_TOTAL_SHARDS, "
                   "TEST_TOTAL_SHARDS)")
      ->option_text("N");
  gtest
      ->add_option("--batch", request.batch,
                   "cases per sandbox (default 1); a crash is pinned on its case and the rest "
                   "run again")
      ->option_text("N");
  gtest->add_option("--json", request.json_path, "write every case and attempt as JSON to FILE")
      ->option_text("FILE");
  gtest->add_option("--junit", request.junit_path, "write JUnit XML to FILE")->option_text("FILE");
  gtest
      ->add_option("--timings", request.timings_path,
                   "durations of the last run, for slowest-first order (default: "
                   "BINARY.isotest-timings.json)")
      ->option_text("FILE");
  gtest
      ->add_option("--silence-warning", request.silence_warning,
                   "name a case that printed nothing for this long (default 60s)")
      ->option_text("DURATION");
  gtest
      ->add_option("--list-timeout", request.list_timeout,
                   "give up when BINARY --gtest_list_tests takes longer (default 30s)")
      ->option_text("DURATION");
  gtest->add_option("binary", request.binary, "the GoogleTest binary")->required();
  gtest->add_option("args", request.binary_arguments, "arguments for the binary, after --");
  return gtest;
}

std::vector<std::string> validate(GtestRequest& request) {
  std::vector<std::string> problems;
  if (request.jobs < 0) problems.push_back("-j/--jobs takes a count of 1 or more");
  if (request.retries < 0) problems.push_back("--retries takes a count of 0 or more");
  if (request.repeat < 1) problems.push_back("--repeat takes a count of 1 or more");
  if (request.batch < 1) problems.push_back("--batch takes a count of 1 or more");
  auto silence = parse_duration_ms(request.silence_warning);
  if (!silence || *silence <= 0) {
    problems.push_back("--silence-warning takes a duration such as 30s or 2m; got `" +
                       request.silence_warning + "`");
  } else {
    request.silence_warning_ms = *silence;
  }
  auto list_timeout = parse_duration_ms(request.list_timeout);
  if (!list_timeout || *list_timeout <= 0) {
    problems.push_back("--list-timeout takes a duration such as 30s or 2m; got `" +
                       request.list_timeout + "`");
  } else {
    request.list_timeout_ms = *list_timeout;
  }
  shard_from_environment(request, problems);
  if (request.shard_index.has_value() != request.shard_count.has_value()) {
    problems.push_back("give both --shard-index and --shard-count, or neither");
  } else if (request.shard_count) {
    if (*request.shard_count < 1) {
      problems.push_back("shard count (" + request.shard_source + ") must be 1 or more; got " +
                         std::to_string(*request.shard_count));
    } else if (*request.shard_index < 0 || *request.shard_index >= *request.shard_count) {
      problems.push_back("shard index (" + request.shard_source + ") must be from 0 to " +
                         std::to_string(*request.shard_count - 1) + "; got " +
                         std::to_string(*request.shard_index));
    }
  }
  return problems;
}

}  // namespace isotest
