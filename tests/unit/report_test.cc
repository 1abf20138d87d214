#include "report.h"

#include <unistd.h>

#include <gtest/gtest.h>
#include <filesystem>
#include <fstream>

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
  EXPECT_TRUE(contains(xml, "tests=\"6\" failures=\"1\" errors=\"1\" skipped=\"2\"")) << xml;
  EXPECT_TRUE(contains(xml, "classname=\"Suite\" name=\"Passes\" time=\"0.002\"")) << xml;
  EXPECT_TRUE(contains(xml,
                       "<failure message=\"a.cc:7: one\" type=\"failed\">a.cc:7: one\nmore\n"
                       "a.cc:9: two\n</failure>"))
      << xml;
  EXPECT_TRUE(contains(xml, "<skipped message=\"no GPU\"/>")) << xml;
  EXPECT_TRUE(contains(xml, "type=\"crashed\"")) << xml;
  EXPECT_FALSE(contains(xml, "name=\"bin\"")) << "the run is covered by its cases\n" << xml;
}

TEST(Report, SummaryListsTheCasesThatDidNotPass) {
  auto text = summary_table(loaded({with_cases(result("bin", "crashed"))}));
  EXPECT_TRUE(contains(text, "bin: failed  Suite.Fails  (a.cc:7: one)")) << text;
  EXPECT_TRUE(contains(text, "bin: skipped  Suite.Skips  (no GPU)")) << text;
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

TEST_F(ReportFiles, EmptyFolderIsAnError) {
  EXPECT_THROW(load_results({dir_.string()}), SetupFailure);
}

}  // namespace
}  // namespace isotest
