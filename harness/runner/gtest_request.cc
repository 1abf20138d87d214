#include "gtest_request.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdlib>

#include "messages.h"
#include "spec.h"

namespace isotest {

namespace {

// The variable's value as a whole number; nullopt when unset or empty, and when it is not a
// number, which is then one of `problems`.
std::optional<std::int64_t> environment_number(const char* name,
                                               std::vector<std::string>& problems) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return std::nullopt;
  auto value = parse_whole_number(text);
  if (!value) {
    problems.push_back(std::string(name) + " takes a whole number; got " + describe_given(text) +
                       " (fix or unset the variable)");
  }
  return value;
}

// A count, converted here rather than by CLI11, whose "Could not convert" says neither what the
// option takes nor, past the 64-bit range, anything at all (it caps the value).
template <typename Target>
CLI::Option* add_count_option(CLI::App& command, const std::string& names, Target& target,
                              std::int64_t minimum, const std::string& description) {
  const std::string shown = "--" + names.substr(names.rfind("--") + 2);
  auto convert = [&target, shown, minimum](const std::string& text) {
    auto value = parse_whole_number(text);
    if (!value || *value < minimum) {
      throw CLI::ValidationError(shown + " takes a count of " + std::to_string(minimum) +
                                 " or more; got " + describe_given(text));
    }
    target = *value;
  };
  return command.add_option_function<std::string>(names, convert, description)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
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
  add_count_option(*gtest, "-j,--jobs", request.jobs, 1,
                   "cases at once (default: the number of CPUs)")
      ->option_text("N");
  gtest
      ->add_option("--filter", request.filter,
                   "GoogleTest filter: POSITIVE[:POSITIVE...][-NEGATIVE[:NEGATIVE...]]")
      ->option_text("PATTERN");
  add_count_option(*gtest, "--retries", request.retries, 0, "run a failed case again up to N times")
      ->option_text("N");
  add_count_option(*gtest, "--repeat", request.repeat, 1, "run every case N times, to hunt flakes")
      ->option_text("N");
  gtest->add_flag("--fail-on-flaky", request.fail_on_flaky,
                  "exit 1 when a case failed and then passed");
  add_count_option(*gtest, "--shard-index", request.shard_index, 0,
                   "run shard I of --shard-count (default: GTEST_SHARD_INDEX, TEST_SHARD_INDEX)")
      ->option_text("I");
  add_count_option(*gtest, "--shard-count", request.shard_count, 1,
                   "split the cases into N shards (default: GTEST_TOTAL_SHARDS, "
                   "TEST_TOTAL_SHARDS)")
      ->option_text("N");
  add_count_option(*gtest, "--batch", request.batch, 1,
                   "cases per sandbox (default 1); a crash is pinned on its case and the rest "
                   "run again")
      ->option_text("N");
  gtest->add_option("--json", request.json_path, "write every case and attempt as JSON to FILE")
      ->option_text("FILE");
  gtest->add_option("--junit", request.junit_path, "write JUnit XML to FILE")->option_text("FILE");
  gtest->add_option("--html", request.html_path, "write an HTML page of the run to FILE")
      ->option_text("FILE");
  gtest
      ->add_option("--markdown", request.markdown_path,
                   "write a Markdown summary to FILE (for $GITHUB_STEP_SUMMARY)")
      ->option_text("FILE");
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
  gtest
      ->add_option("--artifacts", request.artifacts_text,
                   "keep each case's /tmp and outputs in DIR/<Suite.Case>/ as --keep says")
      ->option_text("DIR");
  gtest
      ->add_option("--keep", request.keep_text,
                   "on-failure (default: unless the case passed or was skipped), always, never")
      ->option_text("POLICY");
  gtest
      ->add_option("--artifacts-limit", request.artifacts_limit_text,
                   "stop keeping a case's files past SIZE (default 64M)")
      ->option_text("SIZE");
  gtest
      ->add_option("--capture", request.capture_text,
                   "on-failure: keep a failed case's packets as DIR/<Suite.Case>/capture.pcap "
                   "of --artifacts DIR")
      ->option_text("on-failure");
  gtest->add_option("binary", request.binary, "the GoogleTest binary")
      ->required()
      ->option_text("BINARY");
  gtest->add_option("args", request.binary_arguments, "arguments for the binary, after --");
  // Given twice, an option keeps the last value, as with `isotest run`.
  for (const char* name :
       {"--filter", "--json", "--junit", "--html", "--markdown", "--timings", "--silence-warning",
        "--list-timeout", "--artifacts", "--keep", "--artifacts-limit", "--capture"}) {
    gtest->get_option(name)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  }
  return gtest;
}

std::vector<std::string> validate(GtestRequest& request) {
  std::vector<std::string> problems;
  // An empty text was given as '' and is refused already, with the option's name.
  auto convert_duration = [&](const char* option, const std::string& text, std::int64_t& ms) {
    auto value = parse_duration_ms(text);
    if (value && *value > 0) {
      ms = *value;
    } else if (!text.empty()) {
      problems.push_back(std::string(option) + " takes a duration such as 30s or 2m; got " +
                         describe_given(text));
    }
  };
  convert_duration("--silence-warning", request.silence_warning, request.silence_warning_ms);
  convert_duration("--list-timeout", request.list_timeout, request.list_timeout_ms);
  for (auto& problem : convert_artifacts_options(request.artifacts, request.artifacts_text,
                                                 request.keep_text, request.artifacts_limit_text)) {
    problems.push_back(std::move(problem));
  }
  if (!request.capture_text.empty()) {
    if (request.capture_text != kCaptureOnFailure) {
      problems.push_back(
          "isotest gtest --capture takes on-failure (each failed case's packets kept with its "
          "--artifacts), not a file, which every case would write; got " +
          describe_given(request.capture_text));
    } else {
      for (auto& problem : check_capture_on_failure(request.artifacts, "a failed case's")) {
        problems.push_back(std::move(problem));
      }
    }
    request.capture_on_failure = true;
  }
  // The cases' folders are made below it; it must be a directory, or one that can be made.
  for (auto& problem : check_artifacts_request(request.artifacts)) {
    problems.push_back(std::move(problem));
  }
  shard_from_environment(request, problems);
  if (request.shard_index.has_value() != request.shard_count.has_value()) {
    // A variable without its partner is one of `problems` already.
    if (request.shard_source == "--shard-index/--shard-count") {
      problems.push_back("give both --shard-index and --shard-count, or neither");
    }
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
