// `isotest gtest` end to end: the real isotest binary runs the sample GoogleTest binary
// (sample_gtest.cc) with every case in its own sandbox, and the tests read its JSON and JUnit
// outputs, its exit status, and what it leaves behind in /proc and the cgroup tree.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "host_view.h"
#include "spawned_process.h"

namespace isotest::integration {
namespace {

namespace fs = std::filesystem;

std::string from_environment(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

const std::string& sample() {
  static const std::string kPath = from_environment("ISOTEST_SAMPLE_GTEST", ISOTEST_DEFAULT_SAMPLE);
  return kPath;
}

// One case that deadlocks two threads in lock_a_then_b() and lock_b_then_a().
const std::string& deadlock_sample() {
  static const std::string kPath =
      from_environment("ISOTEST_DEADLOCK_GTEST", ISOTEST_DEFAULT_DEADLOCK_GTEST);
  return kPath;
}

const std::string& runner_schema() {
  static const std::string kPath =
      from_environment("ISOTEST_RUNNER_SCHEMA", ISOTEST_DEFAULT_RUNNER_SCHEMA);
  return kPath;
}

// A host directory for one test's files; bound into the sandboxes where a case needs it.
class Scratch {
 public:
  Scratch() {
    std::string pattern = "/tmp/isotest-runner-test.XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp");
    path_ = pattern;
    fs::permissions(path_, fs::perms::all);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  [[nodiscard]] std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<std::string> gtest_argv(const Scratch& scratch, std::vector<std::string> options) {
  std::vector<std::string> argv{tools().isotest,          "gtest",  "--timings",
                                scratch / "timings.json", "--bind", scratch.path()};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back(sample());
  return argv;
}

SpawnOptions with_state(const Scratch& scratch) {
  SpawnOptions options;
  options.extra_environment = {"ISOTEST_SAMPLE_STATE=" + scratch.path(),
                               "ISOTEST_SAMPLE_PORT=" + std::to_string(30000 + ::getpid() % 20000)};
  options.deadline = 120s;
  return options;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path << " was not written";
  return nlohmann::json::parse(in);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::map<std::string, nlohmann::json> cases_by_name(const nlohmann::json& document) {
  std::map<std::string, nlohmann::json> cases;
  for (const auto& entry : document.at("cases")) cases[entry.at("name")] = entry;
  return cases;
}

::testing::AssertionResult matches_runner_schema(const std::string& path) {
  SpawnedProcess validator({"/usr/bin/python3", tools().validator, runner_schema(), path});
  validator.close_stdin();
  const ExitInfo exit = validator.wait();
  if (exit.exit_code == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << path << " does not match " << runner_schema() << ":\n"
                                       << validator.stdout_text() << validator.stderr_text();
}

// The <testcase> element of one case in a JUnit file.
std::string junit_case(const std::string& xml, const std::string& classname,
                       const std::string& name) {
  const std::string open = "<testcase classname=\"" + classname + "\" name=\"" + name + "\"";
  const auto start = xml.find(open);
  if (start == std::string::npos) return {};
  const auto end = xml.find("</testcase>", start);
  return xml.substr(start, end - start);
}

TEST(GtestRunner, TellsEveryKindOfCaseApartInJsonAndJunit) {
  Scratch scratch;
  const auto run = run_to_end(
      // Sample.Quiet is silent for 1.5 s: a warning after 500 ms leaves a second for a runner
      // whose loop a crash's core or a timeout's stacks hold up on a loaded machine.
      gtest_argv(scratch, {"-j", "2", "--timeout", "2s", "--retries", "1", "--silence-warning",
                           "500ms", "--filter", "Sample.*:Port.*:Needs.*:Hang.One", "--json",
                           scratch / "out.json", "--junit", scratch / "out.xml"}),
      with_state(scratch));
  ASSERT_EQ(run.exit.exit_code, 1) << describe(run);
  EXPECT_NE(run.out.find("Sample.Quiet has printed nothing for"), std::string::npos) << run.out;
  ASSERT_TRUE(matches_runner_schema(scratch / "out.json"));
  const auto document = read_json(scratch / "out.json");
  auto cases = cases_by_name(document);
  const std::map<std::string, std::string> expected = {
      {"Sample.Passes", "passed"},   {"Sample.Fails", "failed"},    {"Sample.Flaky", "flaky"},
      {"Sample.Skipped", "skipped"}, {"Sample.Crashes", "crashed"}, {"Sample.Quiet", "passed"},
      {"Hang.One", "timeout"},       {"Port.BindA", "passed"},      {"Port.BindB", "passed"},
      {"Needs.Offline", "passed"}};
  for (const auto& [name, status] : expected) {
    ASSERT_TRUE(cases.contains(name)) << name << " missing from the JSON:\n" << document.dump(1);
    EXPECT_EQ(cases[name].at("status"), status) << name << ":\n" << cases[name].dump(1);
  }
  EXPECT_EQ(cases.size(), expected.size()) << "DISABLED_ cases are not run";
  // Every attempt is kept: a failure is retried once, the flaky case failed first.
  EXPECT_EQ(cases["Sample.Fails"].at("attempts").size(), 2U);
  EXPECT_EQ(cases["Sample.Fails"].at("failed_attempts"), 2);
  EXPECT_EQ(cases["Sample.Flaky"].at("attempts")[0].at("status"), "failed");
  EXPECT_EQ(cases["Sample.Flaky"].at("attempts")[1].at("status"), "passed");
  EXPECT_EQ(cases["Sample.Passes"].at("attempts").size(), 1U);
  EXPECT_NE(cases["Sample.Fails"].at("output").dump().find("arithmetic is broken on purpose"),
            std::string::npos);

  const std::string xml = read_text(scratch / "out.xml");
  const auto fails = junit_case(xml, "Sample", "Fails");
  EXPECT_NE(fails.find("<failure"), std::string::npos) << xml;
  EXPECT_NE(fails.find("arithmetic is broken on purpose"), std::string::npos) << fails;
  const auto flaky = junit_case(xml, "Sample", "Flaky");
  EXPECT_NE(flaky.find("<flakyFailure"), std::string::npos) << xml;
  EXPECT_EQ(flaky.find("<failure"), std::string::npos) << flaky;
  EXPECT_NE(junit_case(xml, "Hang", "One").find("<error"), std::string::npos) << xml;
  EXPECT_NE(junit_case(xml, "Port", "BindA"), "") << xml;
  // The case that timed out carries its threads' stacks, taken before it was signalled, in the
  // JSON and in its JUnit system-err (issue 14).
  ASSERT_TRUE(cases["Hang.One"].contains("diagnostics")) << cases["Hang.One"].dump(1);
  const std::string stacks = cases["Hang.One"].at("diagnostics").at("stacks").dump();
  EXPECT_NE(stacks.find("\"Hang_One_Test::TestBody()\""), std::string::npos) << stacks;
  EXPECT_NE(junit_case(xml, "Hang", "One").find("stacks at the timeout (ptrace+libdwfl, "),
            std::string::npos)
      << xml;
  EXPECT_NE(junit_case(xml, "Hang", "One").find(" Hang_One_Test::TestBody() (sample_gtest.cc:"),
            std::string::npos)
      << xml;
}

// Each case keeps its files in a folder of its own, each attempt in its own (issue 14): named in
// the case's attempts in the JSON, and linked from the case's JUnit system-out the way Jenkins
// and GitLab show attachments.
TEST(GtestRunner, EachCaseKeepsItsFilesInAFolderOfItsOwn) {
  Scratch scratch;
  const std::string kept = scratch / "artifacts";
  const auto run =
      run_to_end(gtest_argv(scratch, {"-j", "2", "--retries", "1", "--artifacts", kept, "--filter",
                                      "Files.*:Sample.Passes", "--json", scratch / "out.json",
                                      "--junit", scratch / "out.xml"}),
                 with_state(scratch));
  ASSERT_EQ(run.exit.exit_code, 1) << describe(run);
  ASSERT_TRUE(matches_runner_schema(scratch / "out.json"));
  EXPECT_EQ(read_text(kept + "/Files.WriteAndFail/tmp/log.txt"), "what the case did\n");
  EXPECT_EQ(read_text(kept + "/Files.WriteAndFail/outputs/trace.txt"), "trace\n");
  EXPECT_EQ(read_text(kept + "/Files.WriteAndFail.attempt-2/tmp/log.txt"), "what the case did\n");
  EXPECT_FALSE(fs::exists(kept + "/Sample.Passes")) << "a passing case kept its files";
  auto cases = cases_by_name(read_json(scratch / "out.json"));
  const auto& attempts = cases["Files.WriteAndFail"].at("attempts");
  ASSERT_EQ(attempts.size(), 2U);
  EXPECT_EQ(attempts[0].at("artifacts").at("directory"), kept + "/Files.WriteAndFail");
  EXPECT_EQ(attempts[1].at("artifacts").at("directory"), kept + "/Files.WriteAndFail.attempt-2");
  EXPECT_EQ(attempts[0].at("artifacts").at("paths"),
            (nlohmann::json{"tmp/log.txt", "outputs/trace.txt"}));
  EXPECT_EQ(cases["Sample.Passes"].at("attempts")[0].at("artifacts").at("kept"), false);
  const std::string junit = junit_case(read_text(scratch / "out.xml"), "Files", "WriteAndFail");
  for (const std::string folder : {"/Files.WriteAndFail/", "/Files.WriteAndFail.attempt-2/"}) {
    EXPECT_NE(junit.find("[[ATTACHMENT|" + kept + folder + "tmp/log.txt]]"), std::string::npos)
        << junit;
  }
  EXPECT_NE(junit.find("<system-out>"), std::string::npos) << junit;
}

// --capture on-failure (issue 15): a failed case keeps its packets in its own folder, a passed
// one keeps nothing, and a case that declares `--network none` is run without a capture rather
// than refused.
TEST(GtestRunner, CaptureOnFailureKeepsEachFailedCasesPacketsInItsFolder) {
  Scratch scratch;
  const std::string kept = scratch / "artifacts";
  const auto run =
      run_to_end(gtest_argv(scratch, {"--capture", "on-failure", "--artifacts", kept, "--filter",
                                      "Sample.Fails:Sample.Passes:Needs.Offline", "--json",
                                      scratch / "out.json"}),
                 with_state(scratch));
  ASSERT_EQ(run.exit.exit_code, 1) << describe(run);
  ASSERT_TRUE(matches_runner_schema(scratch / "out.json"));
  const std::string pcap = read_text(kept + "/Sample.Fails/capture.pcap");
  ASSERT_GE(pcap.size(), 24U);
  EXPECT_EQ(pcap.substr(0, 4), std::string("\xd4\xc3\xb2\xa1", 4)) << "not a pcap file";
  EXPECT_FALSE(fs::exists(kept + "/Sample.Passes")) << "a passing case kept its packets";
  auto cases = cases_by_name(read_json(scratch / "out.json"));
  EXPECT_EQ(cases["Needs.Offline"].at("status"), "passed");
  const auto& paths = cases["Sample.Fails"].at("attempts")[0].at("artifacts").at("paths");
  EXPECT_NE(std::find(paths.begin(), paths.end(), "capture.pcap"), paths.end()) << paths;
}

TEST(GtestRunner, CaptureTakesOnlyOnFailureAndNeedsArtifacts) {
  Scratch scratch;
  const std::string kept = scratch / "artifacts";
  for (const std::vector<std::string>& options :
       {std::vector<std::string>{"--capture", scratch / "run.pcap", "--artifacts", kept},
        {"--capture", "on-failure"},
        {"--capture", "on-failure", "--artifacts", kept, "--network", "none"}}) {
    const auto run = run_to_end(gtest_argv(scratch, options), with_state(scratch));
    EXPECT_EQ(run.exit.exit_code, 125) << describe(run);
    EXPECT_NE(run.err.find("--capture"), std::string::npos) << run.err;
    EXPECT_FALSE(fs::exists(kept)) << "refused before any case ran";
  }
}

// The data block of an `isotest report --html` page, as the page's script reads it.
nlohmann::json page_data(const std::string& html) {
  const std::string open = "id=\"isotest-report-data\">";
  const auto start = html.find(open);
  if (start == std::string::npos) return {};
  const auto end = html.find("</script>", start);
  return nlohmann::json::parse(html.substr(start + open.size(), end - start - open.size()), nullptr,
                               false);
}

TEST(GtestRunner, WritesAnHtmlPageAndAMarkdownSummaryOfItsRun) {
  Scratch scratch;
  const auto run =
      run_to_end(gtest_argv(scratch, {"-j", "2", "--retries", "1", "--filter",
                                      "Sample.Passes:Sample.Fails:Sample.Flaky", "--html",
                                      scratch / "run.html", "--markdown", scratch / "run.md"}),
                 with_state(scratch));
  ASSERT_EQ(run.exit.exit_code, 1) << describe(run);
  const auto data = page_data(read_text(scratch / "run.html"));
  ASSERT_TRUE(data.is_object()) << "no page data in run.html";
  EXPECT_EQ(data["summary"]["counts"],
            nlohmann::json({{"failed", 1}, {"flaky", 1}, {"passed", 1}}));
  // One bar per attempt: Sample.Fails and Sample.Flaky ran twice.
  EXPECT_EQ(data["bars"].size(), 5U) << data["bars"].dump();
  EXPECT_EQ(data["summary"]["sources"], nlohmann::json::array({sample()}));
  const std::string markdown = read_text(scratch / "run.md");
  EXPECT_TRUE(markdown.starts_with("### isotest: 2 passed, 1 failed, 0 skipped (flaky: 1)\n"))
      << markdown;
  // The first failure line of the case, from its attempt's GoogleTest result.
  EXPECT_NE(markdown.find("| Sample\\.Fails | failed | "), std::string::npos) << markdown;
  EXPECT_NE(markdown.find("sample\\_gtest\\.cc\\:101\\: Expected equality"), std::string::npos)
      << markdown;
  const auto& fails = data["tests"][0];
  ASSERT_EQ(fails["name"], "Sample.Fails") << "the failed case is not first";
  EXPECT_NE(
      fails["failures"][0]["message"].get<std::string>().find("arithmetic is broken on purpose"),
      std::string::npos)
      << fails.dump();
  EXPECT_NE(markdown.find("| Sample\\.Flaky | flaky | 1 of 2 attempts failed |"), std::string::npos)
      << markdown;
}

TEST(GtestRunner, PortCasesCollideWhenTheyShareTheHostNetwork) {
  // The control for the Port.* cases above: they do overlap, so only isolation lets both pass.
  Scratch scratch;
  const auto run = run_to_end(gtest_argv(scratch, {"-j", "2", "--network", "host", "--filter",
                                                   "Port.*", "--json", scratch / "out.json"}),
                              with_state(scratch));
  EXPECT_EQ(run.exit.exit_code, 1) << describe(run);
  const auto counts = read_json(scratch / "out.json").at("counts");
  EXPECT_EQ(counts.value("failed", 0), 1) << counts.dump();
}

TEST(GtestRunner, FlakyPassesUnlessAskedAndRepeatCountsFailures) {
  Scratch scratch;
  auto flaky = run_to_end(gtest_argv(scratch, {"--retries", "2", "--filter", "Sample.Flaky"}),
                          with_state(scratch));
  EXPECT_EQ(flaky.exit.exit_code, 0) << describe(flaky);
  fs::remove(scratch / "flaky.count");
  flaky = run_to_end(
      gtest_argv(scratch, {"--retries", "2", "--fail-on-flaky", "--filter", "Sample.Flaky"}),
      with_state(scratch));
  EXPECT_EQ(flaky.exit.exit_code, 1) << describe(flaky);
  fs::remove(scratch / "flaky.count");
  const auto repeated =
      run_to_end(gtest_argv(scratch, {"-j", "1", "--repeat", "3", "--filter", "Sample.Flaky",
                                      "--json", scratch / "repeat.json"}),
                 with_state(scratch));
  EXPECT_EQ(repeated.exit.exit_code, 0) << describe(repeated);
  const auto entry = read_json(scratch / "repeat.json").at("cases").at(0);
  EXPECT_EQ(entry.at("status"), "flaky");
  EXPECT_EQ(entry.at("attempts").size(), 3U);
  EXPECT_EQ(entry.at("failed_attempts"), 1);
}

TEST(GtestRunner, ShardsCoverEveryCaseExactlyOnceAndReportMergesThem) {
  Scratch scratch;
  const std::string filter =
      "Sample.Passes:Sample.Fails:Sample.Skipped:Needs.*:Batch.First:Batch.Third";
  std::multiset<std::string> seen;
  std::vector<std::string> files;
  for (int index = 0; index < 3; ++index) {
    const std::string file = scratch / ("shard" + std::to_string(index) + ".json");
    files.push_back(file);
    SpawnOptions options = with_state(scratch);
    std::vector<std::string> extra;
    // Each way of asking for a shard: GoogleTest's variables, Bazel's, the options.
    if (index == 0) {
      options.extra_environment.push_back("GTEST_SHARD_INDEX=0");
      options.extra_environment.push_back("GTEST_TOTAL_SHARDS=3");
    } else if (index == 1) {
      options.extra_environment.push_back("TEST_SHARD_INDEX=1");
      options.extra_environment.push_back("TEST_TOTAL_SHARDS=3");
    } else {
      extra = {"--shard-index", "2", "--shard-count", "3"};
    }
    extra.insert(extra.end(), {"--filter", filter, "--json", file});
    const auto run = run_to_end(gtest_argv(scratch, extra), options);
    ASSERT_TRUE(run.exit.exit_code == 0 || run.exit.exit_code == 1) << describe(run);
    const auto document = read_json(file);
    EXPECT_EQ(document.at("shard").at("index"), index);
    for (const auto& entry : document.at("cases")) seen.insert(entry.at("name"));
  }
  EXPECT_EQ(seen, (std::multiset<std::string>{"Sample.Passes", "Sample.Fails", "Sample.Skipped",
                                              "Needs.Offline", "Batch.First", "Batch.Third"}));
  std::vector<std::string> report{tools().isotest, "report"};
  report.insert(report.end(), files.begin(), files.end());
  const auto merged = run_to_end(report);
  EXPECT_EQ(merged.exit.exit_code, 1) << describe(merged);
  EXPECT_NE(merged.out.find("\n4 passed, 1 failed, 1 skipped\n"), std::string::npos) << merged.out;
}

TEST(GtestRunner, BatchPinsTheCrashOnItsCaseAndRunsTheRestAgain) {
  Scratch scratch;
  const auto run = run_to_end(gtest_argv(scratch, {"-j", "1", "--batch", "3", "--filter", "Batch.*",
                                                   "--json", scratch / "out.json"}),
                              with_state(scratch));
  ASSERT_EQ(run.exit.exit_code, 1) << describe(run);
  auto cases = cases_by_name(read_json(scratch / "out.json"));
  EXPECT_EQ(cases["Batch.First"].at("status"), "passed");
  EXPECT_EQ(cases["Batch.Second"].at("status"), "crashed");
  EXPECT_EQ(cases["Batch.Third"].at("status"), "passed");
  const auto& first = cases["Batch.First"].at("attempts").at(0);
  ASSERT_TRUE(first.contains("batch")) << first.dump(1);
  EXPECT_EQ(first.at("batch").size(), 3U);
  const auto& third = cases["Batch.Third"].at("attempts");
  ASSERT_EQ(third.size(), 1U) << "the case that never started is run again, once";
  EXPECT_FALSE(third.at(0).contains("batch")) << third.dump(1);
}

TEST(GtestRunner, StartsTheSlowestCaseFirstOnTheNextRun) {
  Scratch scratch;
  auto started = [&](const std::string& file) {
    std::map<std::string, std::string> at;
    const auto document = read_json(file);
    for (const auto& entry : document.at("cases")) {
      at[entry.at("name").get<std::string>()] =
          entry.at("attempts").at(0).at("started_at").get<std::string>();
    }
    return at;
  };
  for (const char* file : {"first.json", "second.json"}) {
    const auto run = run_to_end(
        gtest_argv(scratch,
                   {"-j", "1", "--filter", "Sample.Passes:Sample.Quiet", "--json", scratch / file}),
        with_state(scratch));
    ASSERT_EQ(run.exit.exit_code, 0) << describe(run);
  }
  auto first = started(scratch / "first.json");
  auto second = started(scratch / "second.json");
  EXPECT_LT(first["Sample.Passes"], first["Sample.Quiet"]) << "listed order without timings";
  EXPECT_LT(second["Sample.Quiet"], second["Sample.Passes"]) << "slowest first with timings";
}

// The parent of `pid` from /proc/PID/stat; 0 when it is gone.
pid_t parent_of(pid_t pid) {
  const std::string text = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 2));
  char state = 0;
  pid_t parent = 0;
  rest >> state >> parent;
  return parent;
}

std::set<pid_t> descendants_of(pid_t root) {
  std::map<pid_t, std::vector<pid_t>> children;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    if (const pid_t parent = parent_of(pid); parent != 0) children[parent].push_back(pid);
  }
  std::set<pid_t> found;
  std::vector<pid_t> pending{root};
  while (!pending.empty()) {
    const pid_t pid = pending.back();
    pending.pop_back();
    for (pid_t child : children[pid]) {
      if (found.insert(child).second) pending.push_back(child);
    }
  }
  return found;
}

bool is_alive(pid_t pid) {
  const std::string text = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto close = text.rfind(')');
  return close != std::string::npos && text.size() > close + 2 && text[close + 2] != 'Z';
}

// isotest cgroups named after one of `pids` (isotest-PID-...) below our own cgroup in every v1
// hierarchy.
std::vector<std::string> cgroups_left(const std::set<pid_t>& pids) {
  std::vector<std::string> left;
  std::ifstream own("/proc/self/cgroup");
  std::string line;
  while (std::getline(own, line)) {
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    const std::string controllers = line.substr(first + 1, second - first - 1);
    if (controllers.empty()) continue;  // the v2 line
    const std::string mount = "/sys/fs/cgroup/" + controllers;
    const fs::path base = mount + line.substr(second + 1);
    std::error_code error;
    for (const auto& entry : fs::recursive_directory_iterator(base, error)) {
      const std::string name = entry.path().filename();
      for (pid_t pid : pids) {
        if (name.starts_with("isotest-" + std::to_string(pid) + "-")) {
          left.push_back(entry.path());
        }
      }
    }
  }
  return left;
}

// The word after `option` in the command line of process `pid`, or "".
std::string argument_after(pid_t pid, const std::string& option) {
  std::istringstream cmdline(read_file("/proc/" + std::to_string(pid) + "/cmdline"));
  for (std::string word; std::getline(cmdline, word, '\0');) {
    if (word == option && std::getline(cmdline, word, '\0')) return word;
  }
  return "";
}

std::set<std::string> scratch_directories_of(pid_t pid);

TEST(GtestRunner, CtrlCStopsEverythingAndStillWritesResults) {
  Scratch scratch;
  SpawnOptions options = with_state(scratch);
  SpawnedProcess runner(gtest_argv(scratch, {"-j", "3", "--filter", "Sample.Passes:Hang.*",
                                             "--json", scratch / "out.json"}),
                        options);
  runner.close_stdin();
  ASSERT_TRUE(runner.wait_for_line("[1/3] passed")) << runner.stdout_text() << runner.stderr_text();
  // Wait until both hanging cases run in their sandboxes, launched by the runner itself: each
  // sandbox's init and its test.
  std::set<pid_t> tree;
  for (int i = 0; i < 100 && tree.size() < 4; ++i) {
    std::this_thread::sleep_for(50ms);
    tree = descendants_of(runner.pid());
  }
  ASSERT_GE(tree.size(), 4U) << "the hanging cases did not start";
  std::this_thread::sleep_for(200ms);
  tree = descendants_of(runner.pid());
  // The results go from the sandboxes to the runner without a file: its scratch directory (the
  // one the listing wrote listing/needs.json to) holds none.
  std::string scratch_directory;
  for (const auto& directory : scratch_directories_of(runner.pid())) {
    if (fs::exists(fs::path(directory) / "listing" / "needs.json")) scratch_directory = directory;
  }
  ASSERT_FALSE(scratch_directory.empty()) << "no scratch directory of the runner's";
  for (const auto& entry : fs::directory_iterator(scratch_directory)) {
    if (entry.path().filename() == "needs.json") continue;  // the cases' needs, from listing
    EXPECT_NE(entry.path().extension(), ".json") << entry.path() << " was left in the scratch";
  }
  runner.send_signal(SIGINT);
  const ExitInfo exit = runner.wait();
  EXPECT_EQ(exit.exit_code, 130) << describe(exit) << runner.stdout_text() << runner.stderr_text();
  for (pid_t pid : tree) EXPECT_FALSE(is_alive(pid)) << "process " << pid << " outlived the runner";
  // The sandboxes' cgroups are named after the process that launched them: the runner.
  std::set<pid_t> launchers = tree;
  launchers.insert(runner.pid());
  EXPECT_EQ(cgroups_left(launchers), std::vector<std::string>{});
  const auto document = read_json(scratch / "out.json");
  EXPECT_TRUE(document.at("interrupted").get<bool>());
  auto cases = cases_by_name(document);
  EXPECT_EQ(cases["Sample.Passes"].at("status"), "passed");
  EXPECT_EQ(cases["Hang.One"].at("status"), "notrun");
  EXPECT_EQ(cases["Hang.Two"].at("status"), "notrun");
}

// The runner's children: each the init of a case's sandbox, once `count` of them run (or 5 s).
std::vector<pid_t> children_of(pid_t parent, std::size_t count) {
  std::vector<pid_t> children;
  for (int i = 0; i < 100 && children.size() < count; ++i) {
    std::this_thread::sleep_for(50ms);
    children.clear();
    for (pid_t pid : descendants_of(parent)) {
      if (parent_of(pid) == parent) children.push_back(pid);
    }
  }
  return children;
}

// The line `key:` of /proc/PID/status, without the key.
std::string status_field(pid_t pid, const std::string& key) {
  std::istringstream status(read_file("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with(key + ":")) {
      const auto value = line.find_first_not_of(" \t", key.size() + 1);
      return value == std::string::npos ? "" : line.substr(value);
    }
  }
  return "";
}

// The runner launches every sandbox from its own process, with many running at once: a
// sandbox's init must hold nothing of the runner's (another sandbox's pidfd or event fd, the
// runner's event loop) and run none of its signal handlers, as the init of an `isotest run`.
TEST(GtestRunner, ASandboxsInitHoldsNothingOfTheRunner) {
  Scratch scratch;
  SpawnedProcess runner(gtest_argv(scratch, {"-j", "2", "--filter", "Hang.*"}),
                        with_state(scratch));
  runner.close_stdin();
  const auto inits = children_of(runner.pid(), 2);
  ASSERT_EQ(inits.size(), 2U) << "the hanging cases did not start";
  for (pid_t init : inits) {
    SCOPED_TRACE("init " + std::to_string(init));
    // Looked at once its test runs: until then init may still be closing what it inherited,
    // which it does first thing.
    ASSERT_EQ(children_of(init, 1).size(), 1U) << "the case's test did not start";
    std::error_code error;
    for (const auto& entry :
         fs::directory_iterator("/proc/" + std::to_string(init) + "/fd", error)) {
      const std::string target = fs::read_symlink(entry.path(), error).string();
      EXPECT_NE(target, "anon_inode:[pidfd]") << entry.path();
      EXPECT_NE(target, "anon_inode:[eventpoll]") << entry.path();
    }
    EXPECT_FALSE(error) << error.message();
    EXPECT_EQ(status_field(init, "SigCgt"), "0000000000000000");
  }
  runner.send_signal(SIGINT);
  EXPECT_EQ(runner.wait().exit_code, 130) << runner.stderr_text();
}

// SIGKILL gives the runner no chance to stop its sandboxes: each one's init dies with it (a
// parent-death signal), and with init its whole PID namespace.
TEST(GtestRunner, SandboxesDieWithAKilledRunner) {
  Scratch scratch;
  SpawnedProcess runner(gtest_argv(scratch, {"-j", "2", "--filter", "Hang.*"}),
                        with_state(scratch));
  runner.close_stdin();
  ASSERT_EQ(children_of(runner.pid(), 2).size(), 2U) << "the hanging cases did not start";
  std::set<pid_t> tree;
  for (int i = 0; i < 100 && tree.size() < 4; ++i) {
    std::this_thread::sleep_for(50ms);
    tree = descendants_of(runner.pid());
  }
  ASSERT_GE(tree.size(), 4U) << "the hanging cases' tests did not start";
  runner.send_signal(SIGKILL);
  runner.wait();
  for (pid_t pid : tree) {
    bool alive = true;
    for (int i = 0; i < 100 && alive; ++i) {
      alive = is_alive(pid);
      if (alive) std::this_thread::sleep_for(50ms);
    }
    EXPECT_FALSE(alive) << "process " << pid << " outlived the runner";
  }
}

TEST(GtestRunner, BadUsageIsRefusedWithStatus125) {
  Scratch scratch;
  const std::vector<std::pair<std::vector<std::string>, std::string>> mistakes = {
      {{"--shard-index", "1"}, "give both --shard-index and --shard-count"},
      {{"--shard-index", "3", "--shard-count", "3"}, "must be from 0 to 2"},
      {{"--retries", "-1"}, "--retries takes a count"},
      {{"--batch", "0"}, "--batch takes a count"},
      {{"--timeout", "soon"}, "--timeout takes a duration"},
  };
  for (const auto& [options, message] : mistakes) {
    const auto run = run_to_end(gtest_argv(scratch, options));
    EXPECT_EQ(run.exit.exit_code, 125) << describe(run);
    EXPECT_NE(run.err.find(message), std::string::npos) << run.err;
  }
  SpawnOptions environment;
  environment.extra_environment = {"GTEST_SHARD_INDEX=5", "GTEST_TOTAL_SHARDS=2"};
  auto run = run_to_end(gtest_argv(scratch, {}), environment);
  EXPECT_EQ(run.exit.exit_code, 125) << describe(run);
  EXPECT_NE(run.err.find("GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS"), std::string::npos) << run.err;
  run = run_to_end(gtest_argv(scratch, {"--list-timeout", "never"}));
  EXPECT_EQ(run.exit.exit_code, 125) << describe(run);
  EXPECT_NE(run.err.find("--list-timeout takes a duration"), std::string::npos) << run.err;
  // A shard variable that is not a number is named with its value, not read as -1.
  environment.extra_environment = {"GTEST_SHARD_INDEX=0", "GTEST_TOTAL_SHARDS=abc"};
  run = run_to_end(gtest_argv(scratch, {}), environment);
  EXPECT_EQ(run.exit.exit_code, 125) << describe(run);
  EXPECT_NE(run.err.find("GTEST_TOTAL_SHARDS takes a whole number; got `abc`"), std::string::npos)
      << run.err;
  EXPECT_EQ(run.err.find("-1"), std::string::npos) << run.err;
}

TEST(GtestRunner, ABinaryThatIsNoExecutableFileIsNamedForWhatItIs) {
  Scratch scratch;
  std::ofstream(scratch / "unit_tests.cc") << "int main() {}\n";
  fs::create_directory(scratch / "build");
  const std::vector<std::tuple<std::string, std::string, std::string>> mistakes = {
      {scratch / "no-such-binary", "cannot find the test binary: ENOENT", "build it first"},
      {scratch / "build", "is a directory, not a test binary", "not its directory"},
      {scratch / "unit_tests.cc", "is not executable", "chmod +x"},
  };
  for (const auto& [binary, message, hint] : mistakes) {
    const auto run = run_to_end({tools().isotest, "gtest", binary});
    EXPECT_EQ(run.exit.exit_code, 125) << describe(run);
    EXPECT_NE(run.err.find("isotest: gtest: " + binary + ": " + message), std::string::npos)
        << run.err;
    EXPECT_NE(run.err.find("isotest: hint: "), std::string::npos) << run.err;
    EXPECT_NE(run.err.find(hint), std::string::npos) << run.err;
  }
}

// With the host's mounts (--share mount) the listing's directory is seen where it is, and the
// sandbox takes no bind for it (it would refuse one).
TEST(GtestRunner, ListsWithTheHostsMounts) {
  Scratch scratch;
  // Not gtest_argv: its --bind is refused with the host's mounts.
  const auto run =
      run_to_end({tools().isotest, "gtest", "--timings", scratch / "timings.json", "--share",
                  "mount", "--filter", "Sample.Passes:Needs.Offline", sample()},
                 with_state(scratch));
  EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
  EXPECT_NE(run.out.find("2 passed"), std::string::npos) << describe(run);
}

TEST(GtestRunner, ABinaryThatListsNoGoogleTestCasesGoesRed) {
  Scratch scratch;
  const std::string script = scratch / "not_a_test.sh";
  std::ofstream(script) << "#!/bin/sh\necho \"hello from a script\"\n";
  fs::permissions(script, fs::perms::all);
  for (const std::string& binary : {std::string("/bin/true"), script}) {
    const auto run = run_to_end({tools().isotest, "gtest", "--bind", scratch.path(), "--json",
                                 scratch / "out.json", binary},
                                with_state(scratch));
    EXPECT_EQ(run.exit.exit_code, 125) << binary << ": " << describe(run);
    EXPECT_NE(run.err.find("not a GoogleTest binary: `" + binary +
                           " --gtest_list_tests` exited 0 without listing a case"),
              std::string::npos)
        << run.err;
    EXPECT_NE(run.err.find("linked with GoogleTest"), std::string::npos) << run.err;
    EXPECT_EQ(run.out.find("0 passed, 0 failed"), std::string::npos) << run.out;
    EXPECT_FALSE(fs::exists(scratch / "out.json")) << "nothing ran, nothing is reported";
  }
  EXPECT_NE(run_to_end({tools().isotest, "gtest", "--bind", scratch.path(), script})
                .err.find("hello from a script"),
            std::string::npos)
      << "the message shows what it printed";
  // A GoogleTest binary whose filter matches no case is not a mistake of the same kind: it says
  // so and passes, as GoogleTest itself does.
  const auto none = run_to_end(gtest_argv(scratch, {"--filter", "NoSuch.*"}), with_state(scratch));
  EXPECT_EQ(none.exit.exit_code, 0) << describe(none);
  EXPECT_NE(none.err.find("no case of " + sample() + " matches --filter NoSuch.*"),
            std::string::npos)
      << none.err;
  EXPECT_NE(none.out.find("0 passed, 0 failed, 0 skipped"), std::string::npos) << none.out;
}

// isotest's stdout, as users name it. As root the tests say /dev/fd/1: a regression that renamed
// over the path would then fail on /proc rather than replace the host's /dev/stdout symlink.
std::string stdout_path() {
  return ::geteuid() == 0 ? "/dev/fd/1" : "/dev/stdout";
}

TEST(GtestRunner, ResultsOnStdoutHaveItAloneAndTheConsoleGoesToStderr) {
  Scratch scratch;
  const auto run = run_to_end(
      gtest_argv(scratch, {"--filter", "Sample.Passes:Sample.Skipped", "--json", stdout_path()}),
      with_state(scratch));
  ASSERT_EQ(run.exit.exit_code, 0) << describe(run);
  const auto document = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_TRUE(document.is_object()) << "stdout is not one JSON document:\n" << run.out;
  EXPECT_EQ(document.value("schema", ""), "isotest-gtest/1");
  EXPECT_EQ(document.at("cases").size(), 2U);
  EXPECT_NE(run.err.find("\n1 passed, 0 failed, 1 skipped\n"), std::string::npos) << run.err;
}

TEST(GtestRunner, AnOutputThatCannotBeWrittenIsRefusedBeforeAnyCaseRuns) {
  Scratch scratch;
  fs::create_directory(scratch / "results");
  // Sample.Flaky leaves flaky.count in the state directory when it runs.
  for (const char* option : {"--json", "--junit", "--html", "--markdown"}) {
    const auto run =
        run_to_end(gtest_argv(scratch, {"--filter", "Sample.Flaky", option, scratch / "results"}),
                   with_state(scratch));
    EXPECT_EQ(run.exit.exit_code, 125) << option << ": " << describe(run);
    EXPECT_NE(run.err.find("is a directory"), std::string::npos) << run.err;
    EXPECT_FALSE(fs::exists(scratch / "flaky.count")) << option << ": a case ran";
  }
  const auto run = run_to_end({tools().isotest, "gtest", "--timings", scratch / "results", "--bind",
                               scratch.path(), "--filter", "Sample.Flaky", sample()},
                              with_state(scratch));
  EXPECT_EQ(run.exit.exit_code, 125) << describe(run);
  EXPECT_NE(run.err.find("is a directory"), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(scratch / "flaky.count")) << "--timings: a case ran";
  EXPECT_TRUE(fs::is_empty(scratch / "results"));
}

// The flags of `isotest run` reach each case's sandbox as flags: the runner once passed
// `--root true`, and `true` became the command of every case.
TEST(GtestRunner, TakesTheFlagsOfIsotestRun) {
  Scratch scratch;
  for (const std::string flag : {"--root", "--read-only", "--clear-env", "--allow-degraded"}) {
    SCOPED_TRACE(flag);
    const auto json = scratch / ("out" + flag + ".json");
    const auto run =
        run_to_end(gtest_argv(scratch, {flag, "--filter", "Sample.Passes", "--json", json}),
                   with_state(scratch));
    EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
    const auto document = read_json(json);
    const auto& arguments = document.at("sandbox_arguments");
    EXPECT_EQ(std::count(arguments.begin(), arguments.end(), flag), 1) << arguments.dump();
    EXPECT_EQ(std::count(arguments.begin(), arguments.end(), "true"), 0) << arguments.dump();
    auto cases = cases_by_name(document);
    ASSERT_TRUE(cases.contains("Sample.Passes")) << document.dump(1);
    EXPECT_EQ(cases["Sample.Passes"].at("status"), "passed") << cases["Sample.Passes"].dump(1);
    const auto& isolation = cases["Sample.Passes"].at("attempts").at(0).at("isolation");
    if (flag == "--root") {
      EXPECT_TRUE(isolation.at("uid_map").get<std::string>().starts_with("0 "));
    }
    if (flag == "--read-only") {
      EXPECT_EQ(isolation.at("read_only_root"), true);
    }
  }
}

// No live process runs PROGRAM with ARGUMENT (read from /proc/*/cmdline; zombies do not count).
bool process_gone_with_argument(const std::string& program, const std::string& argument) {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string text = read_file(entry.path() / "cmdline");
    if (text.empty()) continue;  // a zombie, or gone meanwhile
    std::vector<std::string> words;
    std::istringstream split(text);
    for (std::string word; std::getline(split, word, '\0');) words.push_back(word);
    if (!words.empty() && words[0] == program &&
        std::find(words.begin(), words.end(), argument) != words.end()) {
      return false;
    }
  }
  return true;
}

TEST(GtestRunner, ABinaryThatHangsWhileListingIsGivenUpOnWithStatus125) {
  Scratch scratch;
  SpawnOptions options;
  options.extra_environment = {"ISOTEST_SAMPLE_HANG_WHILE_LISTING=1"};
  options.deadline = 60s;
  const auto started = std::chrono::steady_clock::now();
  const auto run = run_to_end(gtest_argv(scratch, {"--list-timeout", "1s"}), options);
  EXPECT_EQ(run.exit.exit_code, 125) << describe(run);
  EXPECT_NE(run.err.find("--gtest_list_tests` did not finish within 1s"), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("waiting for a server that never comes"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("raise --list-timeout"), std::string::npos) << run.err;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s) << describe(run);
  // The lister is gone too: nothing of the sample is left running.
  EXPECT_TRUE(process_gone_with_argument(sample(), "--gtest_list_tests")) << describe(run);
}

// Live processes whose argv[0] is `name`.
std::vector<pid_t> processes_named(const std::string& name) {
  std::vector<pid_t> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::istringstream cmdline(read_file(entry.path() / "cmdline"));
    std::string first;
    if (std::getline(cmdline, first, '\0') && first == name) found.push_back(std::stoi(pid));
  }
  return found;
}

// The `sleep` the sample's static initialiser starts while listing, named uniquely; killed at
// the end of the test whatever happened, so that a failure leaves nothing running.
class Sleeper {
 public:
  Sleeper() : name_("isotest-sample-sleeper-" + std::to_string(::getpid()) + "-" + next()) {}
  Sleeper(const Sleeper&) = delete;
  Sleeper& operator=(const Sleeper&) = delete;
  ~Sleeper() {
    for (pid_t pid : processes_named(name_)) ::kill(pid, SIGKILL);
  }
  [[nodiscard]] std::string variable() const { return "ISOTEST_SAMPLE_SLEEPER=" + name_; }
  [[nodiscard]] bool alive() const { return !processes_named(name_).empty(); }

 private:
  static std::string next() {
    static int count = 0;
    return std::to_string(++count);
  }
  std::string name_;
};

TEST(GtestRunner, WhatTheListingStartsDiesWithItsSandbox) {
  Scratch scratch;
  {
    // The listing hangs after its static initialiser started a child: given up on after the
    // list timeout, and neither the lister nor its child outlives isotest or holds its stderr.
    Sleeper sleeper;
    SpawnOptions options;
    options.extra_environment = {"ISOTEST_SAMPLE_HANG_WHILE_LISTING=1", sleeper.variable()};
    SpawnedProcess runner(gtest_argv(scratch, {"--list-timeout", "1s"}), options);
    runner.close_stdin();
    const ExitInfo exit = runner.wait();
    EXPECT_EQ(exit.exit_code, 125) << describe(exit) << runner.stderr_text();
    EXPECT_NE(runner.stderr_text().find("did not finish within 1s"), std::string::npos)
        << runner.stderr_text();
    const auto closed = runner.stderr_closed_at();
    ASSERT_TRUE(closed.has_value()) << "something the listing started still holds isotest's "
                                       "stderr 5 s after isotest exited";
    EXPECT_LT(*closed - exit.exited_at, 1s);
    EXPECT_FALSE(sleeper.alive()) << "the listing's child outlived isotest";
    EXPECT_TRUE(process_gone_with_argument(sample(), "--gtest_list_tests"));
  }
  {
    // A listing that finishes while its child lives on: the child is gone with the sandbox, and
    // holds up nothing (the list timeout is far away).
    Sleeper sleeper;
    SpawnOptions options = with_state(scratch);
    options.extra_environment.push_back(sleeper.variable());
    const auto run = run_to_end(
        gtest_argv(scratch, {"--list-timeout", "60s", "--filter", "Sample.Passes"}), options);
    EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
    EXPECT_LT(run.exit.elapsed, 30s) << describe(run);
    EXPECT_FALSE(sleeper.alive()) << "the listing's child outlived the listing";
  }
}

TEST(GtestRunner, AListingKilledByASignalIsNamedForIt) {
  Scratch scratch;
  SpawnOptions options;
  options.extra_environment = {"ISOTEST_SAMPLE_CRASH_WHILE_LISTING=1"};
  const auto run = run_to_end(gtest_argv(scratch, {}), options);
  EXPECT_EQ(run.exit.exit_code, 125) << describe(run);
  EXPECT_NE(run.err.find(sample() + " --gtest_list_tests` was killed by SIGSEGV"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("about to crash while listing"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find("exited with 11"), std::string::npos) << run.err;
}

// The value of `key` in the environment process `pid` started with, or "".
std::string environment_value(pid_t pid, const std::string& key) {
  std::istringstream environ(read_file("/proc/" + std::to_string(pid) + "/environ"));
  for (std::string entry; std::getline(environ, entry, '\0');) {
    if (entry.starts_with(key + "=")) return entry.substr(key.size() + 1);
  }
  return "";
}

TEST(GtestRunner, CtrlCWhileListingStopsTheListerAndLeavesNoScratchDirectory) {
  Scratch scratch;
  SpawnOptions options;
  options.extra_environment = {"ISOTEST_SAMPLE_HANG_WHILE_LISTING=1"};
  SpawnedProcess runner(gtest_argv(scratch, {"--list-timeout", "60s"}), options);
  runner.close_stdin();
  // The lister's environment names the file it writes the needs to, in the runner's scratch
  // directory.
  std::string needs_file;
  for (int i = 0; i < 400 && needs_file.empty(); ++i) {
    std::this_thread::sleep_for(25ms);
    for (pid_t pid : descendants_of(runner.pid())) {
      if (needs_file.empty()) needs_file = environment_value(pid, "ISOTEST_LIST_NEEDS");
    }
  }
  ASSERT_FALSE(needs_file.empty()) << "the lister did not start";
  // The runner launches the listing's sandbox itself: no `isotest run --name gtest_list_tests`
  // stands between them.
  for (pid_t pid : descendants_of(runner.pid())) {
    EXPECT_NE(argument_after(pid, "--name"), "gtest_list_tests") << "pid " << pid;
  }
  const fs::path scratch_directory = fs::path(needs_file).parent_path();
  ASSERT_TRUE(fs::is_directory(scratch_directory)) << scratch_directory;
  const auto interrupted = std::chrono::steady_clock::now();
  runner.send_signal(SIGINT);
  const ExitInfo exit = runner.wait();
  EXPECT_EQ(exit.exit_code, 130) << describe(exit) << runner.stderr_text();
  EXPECT_LT(std::chrono::steady_clock::now() - interrupted, 10s) << "not the 60 s list timeout";
  EXPECT_NE(runner.stderr_text().find("interrupted by INT while listing"), std::string::npos)
      << runner.stderr_text();
  EXPECT_FALSE(fs::exists(scratch_directory)) << scratch_directory << " was left behind";
  EXPECT_TRUE(process_gone_with_argument(sample(), "--gtest_list_tests"));
}

// The scratch directories process `pid` holds (through the lock file each owner keeps open).
std::set<std::string> scratch_directories_of(pid_t pid) {
  std::set<std::string> found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", error)) {
    const fs::path target = fs::read_symlink(entry.path(), error);
    if (!error && target.filename() == "owner.lock") found.insert(target.parent_path());
  }
  return found;
}

// Those of `root` and of its `isotest run` children named `child_name` (their --name), once
// there are `count` of them (or 10 s have passed).
std::set<std::string> wait_for_scratch_directories(pid_t root, const std::string& child_name,
                                                   std::size_t count) {
  std::set<std::string> found;
  for (int i = 0; i < 200 && found.size() < count; ++i) {
    std::this_thread::sleep_for(50ms);
    found = scratch_directories_of(root);
    for (pid_t pid : descendants_of(root)) {
      if (argument_after(pid, "--name") == child_name) found.merge(scratch_directories_of(pid));
    }
  }
  return found;
}

// Until `pid` (our child) has died, without reaping it.
void wait_until_dead(pid_t pid) {
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
  }
}

TEST(GtestRunner, TheNextRunRemovesTheScratchDirectoriesOfKilledRunsOnly) {
  Scratch scratch;
  // Alive throughout: a runner with a case running, each with its own directory.
  SpawnedProcess live(gtest_argv(scratch, {"--filter", "Hang.One", "--timeout", "60s"}),
                      with_state(scratch));
  live.close_stdin();
  // Once its case runs: while it lists, the runner also holds its listing's directory, which
  // goes when the listing ends.
  for (int i = 0; i < 200 && process_gone_with_argument(sample(), "--gtest_filter=Hang.One"); ++i) {
    std::this_thread::sleep_for(50ms);
  }
  const auto live_directories = wait_for_scratch_directories(live.pid(), "Hang.One", 2);
  ASSERT_EQ(live_directories.size(), 2U) << "the live runner's own and its case's";

  // Killed: a runner while it lists, and an `isotest run` of a GoogleTest binary.
  SpawnOptions hang;
  hang.extra_environment = {"ISOTEST_SAMPLE_HANG_WHILE_LISTING=1"};
  SpawnedProcess runner(gtest_argv(scratch, {"--list-timeout", "60s"}), hang);
  runner.close_stdin();
  ASSERT_EQ(wait_for_scratch_directories(runner.pid(), "gtest_list_tests", 2).size(), 2U)
      << "the runner's own and its listing's";
  const auto runner_directories = scratch_directories_of(runner.pid());
  SpawnedProcess run(isotest_run({}, {sample(), "--gtest_filter=Hang.One"}));
  run.close_stdin();
  const auto run_directories = wait_for_scratch_directories(run.pid(), "", 1);
  ASSERT_EQ(run_directories.size(), 1U);
  runner.send_signal(SIGKILL);
  run.send_signal(SIGKILL);
  // Looked at the moment both are dead: any isotest run starting from then on (another CTest
  // test under -j) may find them stale and remove them, as the next run below must.
  wait_until_dead(runner.pid());
  wait_until_dead(run.pid());
  std::set<std::string> killed = runner_directories;
  killed.insert(run_directories.begin(), run_directories.end());
  for (const auto& directory : killed) {
    ASSERT_TRUE(fs::is_directory(directory)) << directory << ": SIGKILL leaves it behind";
  }
  runner.wait();
  run.wait();

  const auto next =
      run_to_end(gtest_argv(scratch, {"--filter", "Sample.Passes"}), with_state(scratch));
  EXPECT_EQ(next.exit.exit_code, 0) << describe(next);
  for (const auto& directory : killed) {
    EXPECT_FALSE(fs::exists(directory)) << directory << " of a killed run was left behind";
  }
  for (const auto& directory : live_directories) {
    EXPECT_TRUE(fs::exists(directory / fs::path("owner.lock")))
        << directory << " of a live run was touched";
  }
  live.send_signal(SIGINT);
  EXPECT_EQ(live.wait().exit_code, 130) << live.stderr_text();
  for (const auto& directory : live_directories) EXPECT_FALSE(fs::exists(directory));
}

TEST(GtestRunner, ATimedOutCaseCarriesTheStacksOfBothDeadlockedThreads) {
  Scratch scratch;
  std::vector<std::string> argv = gtest_argv(
      scratch, {"--timeout", "2s", "--json", scratch / "out.json", "--junit", scratch / "out.xml"});
  argv.back() = deadlock_sample();
  const auto run = run_to_end(argv, with_state(scratch));
  ASSERT_EQ(run.exit.exit_code, 1) << describe(run);
  auto cases = cases_by_name(read_json(scratch / "out.json"));
  const auto& deadlock = cases["Deadlock.TwoThreads"];
  ASSERT_EQ(deadlock.at("status"), "timeout") << deadlock.dump(1);
  ASSERT_TRUE(deadlock.contains("diagnostics")) << deadlock.dump(1);
  const auto& stacks = deadlock.at("diagnostics").at("stacks");
  EXPECT_EQ(stacks.at("complete"), true) << stacks.dump(1);
  // Each function on the stack of a thread that the kernel says waits on a futex.
  for (const std::string function : {"lock_a_then_b()", "lock_b_then_a()"}) {
    std::string wchan = "(on no stack)";
    for (const auto& process : stacks.at("processes")) {
      for (const auto& thread : process.at("threads")) {
        for (const auto& frame : thread.at("frames")) {
          if (frame.at("function") != function) continue;
          wchan = thread.at("wchan").is_string() ? thread.at("wchan").get<std::string>() : "?";
        }
      }
    }
    EXPECT_NE(wchan.find("futex"), std::string::npos) << function << ": " << wchan << "\n"
                                                      << stacks.dump(1);
  }
  const auto junit = junit_case(read_text(scratch / "out.xml"), "Deadlock", "TwoThreads");
  EXPECT_NE(junit.find(" lock_a_then_b() (deadlock_threads.cc:"), std::string::npos) << junit;
  EXPECT_NE(junit.find(" lock_b_then_a() (deadlock_threads.cc:"), std::string::npos) << junit;
}

TEST(GtestRunner, EachCaseOfABatchHasItsOwnDurationAndOnlyThoseAreLearned) {
  Scratch scratch;
  // Listed order (no timings yet): Sample.Quiet (1.5 s), then Batch.Second, which aborts at once.
  const auto run =
      run_to_end(gtest_argv(scratch, {"-j", "1", "--batch", "2", "--filter",
                                      "Sample.Quiet:Batch.Second", "--json", scratch / "out.json"}),
                 with_state(scratch));
  ASSERT_EQ(run.exit.exit_code, 1) << describe(run);
  auto cases = cases_by_name(read_json(scratch / "out.json"));
  ASSERT_EQ(cases["Batch.Second"].at("status"), "crashed") << cases["Batch.Second"].dump(1);
  const auto& crashed = cases["Batch.Second"].at("attempts").at(0);
  ASSERT_TRUE(crashed.contains("batch")) << crashed.dump(1) << "\nboth ran in one sandbox";
  EXPECT_LT(crashed.at("duration_ms").get<double>(), 1000) << crashed.dump(1);
  EXPECT_LT(cases["Batch.Second"].at("duration_ms").get<double>(), 1000);
  EXPECT_GE(cases["Sample.Quiet"].at("duration_ms").get<double>(), 1400);
  const auto timings = read_json(scratch / "timings.json").at("cases");
  EXPECT_LT(timings.at("Batch.Second").get<double>(), 1000) << timings.dump();
  EXPECT_GE(timings.at("Sample.Quiet").get<double>(), 1400) << timings.dump();
}

}  // namespace
}  // namespace isotest::integration
