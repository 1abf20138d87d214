#include "report.h"

#include <unistd.h>

#include <gtest/gtest.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "safe_text.h"
#include "setup_error.h"

namespace isotest {
namespace {

nlohmann::json result(const std::string& name, const std::string& status) {
  return {{"schema", "isotest/1"},
          {"name", name},
          {"status", status},
          {"exit_code", status == "passed" ? 0 : 1},
          {"signal_name", nullptr},
          {"duration_ms", 1500.0},
          {"timeout_ms", 1000},
          {"usage", {{"peak_memory_bytes", 3 * 1024 * 1024}}},
          {"output", {{"stdout", {{"text", "out <&> \x01"}}}, {"stderr", {{"text", "err"}}}}}};
}

std::vector<LoadedResult> loaded(std::initializer_list<nlohmann::json> documents) {
  std::vector<LoadedResult> results;
  for (const auto& document : documents) results.push_back({"f.json", document});
  return results;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(Report, SummaryPutsFailuresFirstAndCountsForCi) {
  auto text = summary_table(
      loaded({result("a", "passed"), result("b", "timeout"), result("c", "skipped")}));
  EXPECT_LT(text.find("timeout"), text.find("passed"));
  EXPECT_TRUE(contains(text, "\n1 passed, 1 failed, 1 skipped\n")) << text;
  EXPECT_TRUE(contains(text, "of the failed: timeout 1")) << text;
  EXPECT_TRUE(contains(text, "3.0M")) << text;
}

TEST(Report, ExitCodeIsOneOnlyWhenSomethingFailed) {
  EXPECT_EQ(report_exit_code(
                loaded({result("a", "passed"), result("b", "flaky"), result("c", "skipped")})),
            0);
  EXPECT_EQ(report_exit_code(loaded({result("a", "passed"), result("b", "oom")})), 1);
}

TEST(Report, JunitMapsStatusesAndKeepsOutputInTheBody) {
  auto xml = junit_xml(loaded({result("suite.ok", "passed"), result("suite.bad", "failed"),
                               result("hang", "timeout"), result("skip", "skipped")}));
  EXPECT_TRUE(contains(xml, "tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\"")) << xml;
  EXPECT_TRUE(contains(xml, "classname=\"suite\" name=\"bad\"")) << xml;
  EXPECT_TRUE(contains(xml, "classname=\"isotest\" name=\"hang\"")) << xml;
  EXPECT_TRUE(contains(xml, "<error message=\"timed out after 1000 ms\" type=\"timeout\">")) << xml;
  EXPECT_TRUE(contains(xml, "<failure message=\"exited with 1\" type=\"failed\">--- stdout ---"))
      << xml;
  // Markup is escaped and control characters, which XML 1.0 forbids, replaced.
  EXPECT_TRUE(contains(xml, "out &lt;&amp;&gt; ?")) << xml;
  EXPECT_FALSE(contains(xml, "\x01"));
  EXPECT_TRUE(contains(xml, "time=\"1.500\"")) << xml;
}

nlohmann::json with_cases(nlohmann::json run) {
  run["cases"] = {{{"name", "Suite.Passes"}, {"status", "passed"}, {"duration_ms", 2.0}},
                  {{"name", "Suite.Fails"},
                   {"status", "failed"},
                   {"duration_ms", 1.0},
                   {"failures",
                    {{{"file", "a.cc"}, {"line", 7}, {"message", "one\nmore"}},
                     {{"file", "a.cc"}, {"line", 9}, {"message", "two"}}}}},
                  {{"name", "Suite.Skips"}, {"status", "skipped"}, {"skip_message", "no GPU"}},
                  {{"name", "Suite.Crashes"}, {"status", "crashed"}},
                  {{"name", "Suite.Later"}, {"status", "notrun"}}};
  return run;
}

TEST(Report, JunitHasOneTestcasePerGoogleTestCase) {
  auto run = with_cases(result("bin", "crashed"));
  auto xml = junit_xml(loaded({run, result("other", "passed")}));
  // A case the binary never reached did not pass: an error, as the runner counts it too.
  EXPECT_TRUE(contains(xml,
                       "<testsuites name=\"isotest\" tests=\"6\" failures=\"1\" errors=\"2\" "
                       "skipped=\"1\" time=\"3.000\">"))
      << xml;
  EXPECT_TRUE(contains(xml, "classname=\"Suite\" name=\"Passes\" time=\"0.002\"")) << xml;
  EXPECT_TRUE(contains(xml,
                       "<failure message=\"a.cc:7: one\" type=\"failed\">a.cc:7: one\nmore\n"
                       "a.cc:9: two\n</failure>"))
      << xml;
  EXPECT_TRUE(contains(xml, "<skipped message=\"no GPU\"/>")) << xml;
  EXPECT_TRUE(contains(xml, "type=\"crashed\"")) << xml;
  EXPECT_TRUE(contains(xml,
                       "<error message=\"not run: the binary ended before this case\" "
                       "type=\"notrun\"></error>"))
      << xml;
  EXPECT_FALSE(contains(xml, "name=\"bin\" time")) << "the run is covered by its cases\n" << xml;
}

// The files a run kept go with the cases that did not pass, as Jenkins and GitLab attachments;
// the cases that passed or were never reached carry none.
TEST(Report, KeptFilesAreAttachedToTheCasesThatDidNotPass) {
  auto run = with_cases(result("bin", "crashed"));
  run["artifacts"] = {{"directory", "/kept/bin"},
                      {"kept", true},
                      {"keep", "on-failure"},
                      {"files", 1},
                      {"bytes", 3},
                      {"truncated", false},
                      {"limit_bytes", 1024},
                      {"paths", {"tmp/log.txt"}}};
  const auto xml = junit_xml(loaded({run}));
  const std::string line = "[[ATTACHMENT|/kept/bin/tmp/log.txt]]";
  auto testcase = [&](const std::string& name) {
    const auto start = xml.find("name=\"" + name + "\"");
    return xml.substr(start, xml.find("</testcase>", start) - start);
  };
  EXPECT_TRUE(contains(testcase("Fails"), "<system-out>" + line + "\n</system-out>")) << xml;
  EXPECT_TRUE(contains(testcase("Crashes"), line)) << xml;
  EXPECT_FALSE(contains(testcase("Passes"), line)) << xml;
  EXPECT_FALSE(contains(testcase("Later"), line)) << xml;
  const auto table = summary_table(loaded({run}));
  EXPECT_TRUE(contains(table, "kept 1 file (3 bytes) in /kept/bin\n")) << table;
  run["artifacts"]["kept"] = false;
  EXPECT_FALSE(contains(junit_xml(loaded({run})), "ATTACHMENT"));
}

// The crash site (diagnostics.crash) goes with the case that crashed, in JUnit, and under the
// result on the console.
TEST(Report, CrashSiteGoesToTheCrashedCaseAndTheConsole) {
  auto run = with_cases(result("bin", "crashed"));
  run["diagnostics"] = {{"trigger", "crash"},
                        {"crash",
                         {{"signal", 11},
                          {"signal_name", "SIGSEGV"},
                          {"code", 1},
                          {"code_name", "SEGV_MAPERR"},
                          {"address", "0x0"},
                          {"tid", 2},
                          {"source", "plugin"},
                          {"unavailable_reason", nullptr},
                          {"frames",
                           {{{"pc", "0x1234"},
                             {"function", "dereference_a_null_pointer()"},
                             {"file", "/src/a.cc"},
                             {"line", 12},
                             {"module", "/src/bin"}},
                            {{"pc", "0x1300"},
                             {"function", "main"},
                             {"file", nullptr},
                             {"line", nullptr},
                             {"module", "/src/bin"}}}}}}};
  const std::string line =
      "crashed in dereference_a_null_pointer() at a.cc:12: SIGSEGV (SEGV_MAPERR) at 0x0, thread 2 "
      "(from the plugin)";
  const auto xml = junit_xml(loaded({run}));
  const auto crashed = xml.find("name=\"Crashes\"");
  ASSERT_NE(crashed, std::string::npos) << xml;
  const std::string element = xml.substr(crashed, xml.find("</testcase>", crashed) - crashed);
  EXPECT_TRUE(contains(element, "<system-err>" + line +
                                    "\n  stack: dereference_a_null_pointer() "
                                    "(a.cc:12) &lt; main\n</system-err>"))
      << element;
  std::size_t copies = 0;
  for (auto at = xml.find(line); at != std::string::npos; at = xml.find(line, at + 1)) ++copies;
  EXPECT_EQ(copies, 1u) << "only the crashed case has it\n" << xml;
  EXPECT_TRUE(contains(summary_table(loaded({run})), line)) << summary_table(loaded({run}));
}

// The attributes of the first element named ELEMENT.
std::map<std::string, std::string> attributes(const std::string& xml, const std::string& element) {
  std::map<std::string, std::string> found;
  const auto start = xml.find("<" + element + " ");
  const std::string tag = xml.substr(start, xml.find('>', start) - start);
  for (const char* name : {"name", "tests", "failures", "errors", "skipped", "time"}) {
    const std::string key = std::string(" ") + name + "=\"";
    const auto at = tag.find(key);
    if (at == std::string::npos) continue;
    const auto value_start = at + key.size();
    found[name] = tag.substr(value_start, tag.find('"', value_start) - value_start);
  }
  return found;
}

std::vector<std::string> suites_in(const std::string& xml) {
  std::vector<std::string> suites;
  for (auto at = xml.find("<testsuite "); at != std::string::npos;
       at = xml.find("<testsuite ", at + 1)) {
    suites.push_back(xml.substr(at, xml.find("</testsuite>", at) - at));
  }
  return suites;
}

TEST(Report, EachResultFileIsOneSuiteTimedByItsSandbox) {
  auto unit_a = with_cases(result("unit_a", "failed"));
  auto unit_b = result("unit_b", "passed");
  unit_b["duration_ms"] = 250.0;
  unit_b["cases"] = {{{"name", "B.One"}, {"status", "passed"}, {"duration_ms", 0.0}},
                     {{"name", "B.Two"}, {"status", "passed"}, {"duration_ms", 0.0}}};
  auto script = result("script", "passed");
  script["duration_ms"] = 20.0;
  const auto results = loaded({unit_a, unit_b, script});
  const std::string xml = junit_xml(results);
  const auto suites = suites_in(xml);
  ASSERT_EQ(suites.size(), 3U) << xml;
  EXPECT_EQ(attributes(suites[0], "testsuite"),
            (std::map<std::string, std::string>{{"name", "unit_a"},
                                                {"tests", "5"},
                                                {"failures", "1"},
                                                {"errors", "2"},
                                                {"skipped", "1"},
                                                {"time", "1.500"}}));
  EXPECT_EQ(attributes(suites[1], "testsuite")["time"], "0.250") << "the sandbox's, not the cases'";
  EXPECT_EQ(attributes(suites[1], "testsuite")["tests"], "2");
  EXPECT_EQ(attributes(suites[2], "testsuite")["tests"], "1") << "a result without cases";
  EXPECT_TRUE(contains(suites[2], "classname=\"isotest\" name=\"script\" time=\"0.020\""))
      << suites[2];
  const auto root = attributes(xml, "testsuites");
  EXPECT_EQ(root.at("tests"), "8");
  EXPECT_EQ(root.at("time"), "1.770");

  // The console shows the results, and the tests JUnit counts, in the same numbers.
  const std::string text = summary_table(results);
  EXPECT_TRUE(contains(text, "\n3 results: 2 passed, 1 failed, 0 skipped (failed: failed 1)\n"))
      << text;
  const int failed = std::stoi(root.at("failures")) + std::stoi(root.at("errors"));
  const int passed = std::stoi(root.at("tests")) - failed - std::stoi(root.at("skipped"));
  EXPECT_TRUE(contains(text, "\n" + root.at("tests") + " tests (the JUnit testcases")) << text;
  EXPECT_TRUE(contains(text, "\n" + std::to_string(passed) + " passed, " + std::to_string(failed) +
                                 " failed, " + root.at("skipped") + " skipped\n"))
      << text;
  EXPECT_TRUE(contains(text, "\nof the failed: crashed 1, failed 1, notrun 1\n")) << text;
}

TEST(Report, ARunThatFailedWithoutAFailedCaseIsATestOfItsOwn) {
  auto run = result("bin", "crashed");
  run["cases"] = {{{"name", "A.Ok"}, {"status", "passed"}, {"duration_ms", 1.0}}};
  const auto results = loaded({run});
  const std::string xml = junit_xml(results);
  EXPECT_EQ(attributes(xml, "testsuites").at("tests"), "2") << xml;
  EXPECT_EQ(attributes(xml, "testsuites").at("errors"), "1") << xml;
  EXPECT_TRUE(contains(xml, "classname=\"isotest\" name=\"bin\"")) << xml;
  EXPECT_TRUE(contains(summary_table(results), "\n1 passed, 1 failed, 0 skipped\n"));
}

TEST(Report, ARunnerDocumentIsOneSuiteOfItsCases) {
  const nlohmann::json document = {
      {"schema", "isotest-gtest/1"},
      {"binary", "/build/unit_tests"},
      {"duration_ms", 4200.0},
      {"cases",
       {{{"name", "A.One"}, {"status", "passed"}, {"duration_ms", 10.0}},
        {{"name", "A.Two"}, {"status", "flaky"}, {"duration_ms", 20.0}},
        {{"name", "A.Three"}, {"status", "timeout"}, {"duration_ms", 30.0}}}}};
  const auto results = runner_results("shard0.json", document);
  ASSERT_EQ(results.size(), 3U);
  const std::string xml = junit_xml(results);
  const auto suites = suites_in(xml);
  ASSERT_EQ(suites.size(), 1U) << xml;
  EXPECT_EQ(attributes(suites[0], "testsuite"),
            (std::map<std::string, std::string>{{"name", "unit_tests"},
                                                {"tests", "3"},
                                                {"failures", "0"},
                                                {"errors", "1"},
                                                {"skipped", "0"},
                                                {"time", "4.200"}}));
  const std::string text = summary_table(results);
  EXPECT_TRUE(contains(text, "\n2 passed, 1 failed, 0 skipped\nof the passed, flaky: 1\n")) << text;
}

TEST(Report, HostileNamesAndOutputStayWellFormedXmlAndTerminalSafe) {
  auto run = result("evil\x1b[2J\xef\xbf\xbf.name\x01", "failed");
  run["output"]["stdout"]["text"] = "\xef\xbf\xbe \xed\xa0\x80 \x0c \x1b[31mred";
  run["cases"] = {{{"name", "S.\x1b]0;title\x07"},
                   {"status", "failed"},
                   {"failures", {{{"file", "a\x02.cc"}, {"line", 1}, {"message", "\xff\xfe"}}}}},
                  {{"name", "S.Skip\x1b[5m"}, {"status", "skipped"}, {"skip_message", "\x1b[1m"}}};
  const auto results = loaded({run});
  const std::string xml = junit_xml(results);
  for (const char* forbidden : {"\x1b", "\x01", "\x02", "\x07", "\x0c", "\xef\xbf\xbf",
                                "\xef\xbf\xbe", "\xed\xa0\x80", "\xff"}) {
    EXPECT_FALSE(contains(xml, forbidden)) << testing::PrintToString(forbidden) << " in\n" << xml;
  }
  EXPECT_TRUE(contains(xml, "name=\"?]0;title?\"")) << xml;
  const std::string text = summary_table(results);
  for (const char* control : {"\x1b", "\x07", "\x01"}) {
    EXPECT_FALSE(contains(text, control)) << testing::PrintToString(control) << " in\n" << text;
  }
  EXPECT_TRUE(contains(text, "evil\\x1b[2J")) << text;
  EXPECT_TRUE(contains(text, "S.\\x1b]0;title\\x07")) << text;
}

TEST(Report, SummaryColumnsLineUpWhateverTheNames) {
  const std::string text = summary_table(loaded(
      {result("caf\xc3\xa9-\x1b", "passed"), result("b", "sandbox_error"), result("c", "")}));
  std::istringstream in(text);
  std::vector<std::string> rows;
  for (std::string line; std::getline(in, line) && !line.empty();) rows.push_back(line);
  ASSERT_EQ(rows.size(), 4U) << text;
  for (const auto& row : rows) EXPECT_EQ(terminal_columns(row), terminal_columns(rows[0])) << text;
}

TEST(Report, SummaryListsTheCasesThatDidNotPassAndTheSkippedApart) {
  auto text = summary_table(loaded({with_cases(result("bin", "crashed"))}));
  const auto skipped_at = text.find("\ncases skipped:\n");
  ASSERT_NE(skipped_at, std::string::npos) << text;
  const std::string did_not_pass = text.substr(0, skipped_at);
  const std::string skipped = text.substr(skipped_at);
  EXPECT_TRUE(contains(did_not_pass,
                       "\ncases that did not pass:\n  bin: failed  Suite.Fails  (a.cc:7: one)\n"))
      << text;
  EXPECT_TRUE(
      contains(did_not_pass, "  bin: notrun  1 case  (not run: the binary ended before them)\n"))
      << text;
  EXPECT_FALSE(contains(did_not_pass, "Suite.Skips")) << text;
  EXPECT_TRUE(contains(skipped, "  bin: skipped  Suite.Skips  (no GPU)\n")) << text;
  EXPECT_FALSE(contains(text, "Suite.Passes")) << text;
}

TEST(Report, FlakyAttemptsBecomeFlakyFailures) {
  auto flaky = result("t", "flaky");
  flaky["attempts"] = {result("t", "failed"), result("t", "passed")};
  auto xml = junit_xml(loaded({flaky}));
  EXPECT_TRUE(contains(xml, "<flakyFailure message=\"exited with 1\"")) << xml;
  EXPECT_FALSE(contains(xml, "<failure")) << xml;
}

class ReportFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/isotest-report-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::filesystem::create_directories((dir_ / name).parent_path());
    std::ofstream(dir_ / name) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(ReportFiles, FolderIsReadRecursivelyAndOnlyJson) {
  write("a.json", result("a", "passed").dump());
  write("sub/b.json", result("b", "failed").dump());
  write("notes.txt", "not a result");
  auto results = load_results({dir_.string()});
  ASSERT_EQ(results.size(), 2U);
  EXPECT_EQ(results[0].document["name"], "a");
  EXPECT_EQ(results[1].document["name"], "b");
}

TEST_F(ReportFiles, BadInputNamesTheFile) {
  write("broken.json", "{\"schema\": \"isotest/1\", \"name\": ");
  write("other.json", "{\"schema\": \"other/1\"}");
  for (const char* name : {"broken.json", "other.json", "missing.json"}) {
    try {
      load_results({(dir_ / name).string()});
      FAIL() << name << " was accepted";
    } catch (const SetupFailure& failure) {
      EXPECT_TRUE(contains(failure.error().stage, name)) << failure.error().stage;
      EXPECT_FALSE(failure.error().hint.empty());
    }
  }
}

TEST_F(ReportFiles, AFolderScanPassesOverFilesThatAreNotResults) {
  write("a.json", result("a", "passed").dump());
  write("compile_commands.json", "[{\"file\": \"a.cc\"}]");
  write("sub/foreign.json", "{\"name\": \"x\", \"status\": \"passed\"}");
  write("sub/notes.json", "not JSON at all");
  write("unit.isotest-timings.json", "{\"schema\": \"isotest-timings/1\", \"cases\": {}}");
  std::vector<PassedOver> passed_over;
  const auto results = load_results({dir_.string()}, &passed_over);
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].document["name"], "a");
  ASSERT_EQ(passed_over.size(), 4U);
  EXPECT_EQ(passed_over[0].file, (dir_ / "compile_commands.json").string());
  EXPECT_EQ(passed_over[0].reason, "not a JSON object");
  EXPECT_TRUE(contains(passed_over[1].reason, "not an isotest result")) << passed_over[1].reason;
  // Named on the command line, the same file is an error.
  EXPECT_THROW(load_results({(dir_ / "sub/foreign.json").string()}), SetupFailure);
}

TEST_F(ReportFiles, ADamagedResultInAFolderIsStillAnError) {
  write("a.json", result("a", "passed").dump());
  write("damaged.json", "{\"schema\": \"isotest/1\", \"status\": \"passed\"}");
  std::vector<PassedOver> passed_over;
  EXPECT_THROW(load_results({dir_.string()}, &passed_over), SetupFailure);
}

TEST_F(ReportFiles, AFolderOfForeignFilesOnlyHasNoResults) {
  write("compile_commands.json", "[]");
  std::vector<PassedOver> passed_over;
  EXPECT_THROW(load_results({dir_.string()}, &passed_over), SetupFailure);
  EXPECT_EQ(passed_over.size(), 1U);
}

TEST_F(ReportFiles, EmptyFolderIsAnError) {
  EXPECT_THROW(load_results({dir_.string()}), SetupFailure);
}

}  // namespace
}  // namespace isotest
