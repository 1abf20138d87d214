#include "report_page.h"

#include <gtest/gtest.h>
#include <string>

#include "report_html.h"
#include "report_markdown.h"

namespace isotest {
namespace {

nlohmann::json run_result(const std::string& name, const std::string& status,
                          const std::string& started_at, double duration_ms) {
  return {{"schema", "isotest/1"},
          {"name", name},
          {"status", status},
          {"exit_code", status == "passed" ? 0 : 1},
          {"signal_name", nullptr},
          {"started_at", started_at},
          {"duration_ms", duration_ms},
          {"timeout_ms", nullptr},
          {"isolation",
           {{"namespaces", {"user", "mount", "pid", "net"}},
            {"shared_namespaces", nlohmann::json::array()},
            {"network", "loopback"},
            {"seccomp", {{"mode", "errno"}}},
            {"cgroup",
             {{"version", "v1"},
              {"missing_limits", nlohmann::json::array()},
              {"limits", {{"memory_max_bytes", 256 << 20}, {"cpus", nullptr}}}}}}},
          {"usage", {{"peak_memory_bytes", 200 << 20}, {"cpu_user_ms", 30}, {"cpu_system_ms", 10}}},
          {"output",
           {{"stdout", {{"text", "out of " + name + "\n"}, {"bytes", 8}, {"truncated", false}}},
            {"stderr", nullptr}}}};
}

std::vector<LoadedResult> loaded(std::initializer_list<nlohmann::json> documents) {
  std::vector<LoadedResult> results;
  for (const auto& document : documents) results.push_back({"r.json", document, std::nullopt});
  return results;
}

nlohmann::json page_of(const std::vector<LoadedResult>& results) {
  return report_page_data(results, ReportPageContext{{"results/"}, "ci-host", "now", {}});
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

TEST(ReportPage, LanesPackIntervalsGreedilyOneLanePerParallelSlot) {
  // Given out of order: [110,210) overlaps the first two, so it needs a third lane; the last
  // one fits the first lane again.
  const std::vector<TimelineInterval> intervals = {
      {110, 100}, {0, 100}, {160, 10}, {50, 100}, {100, 30}};
  EXPECT_EQ(assign_lanes(intervals), (std::vector<int>{2, 0, 0, 1, 0}));
  // Serial runs share one lane, even when the clock's milliseconds make them touch.
  EXPECT_EQ(assign_lanes({{0, 10.4}, {10, 5}, {15.2, 1}}), (std::vector<int>{0, 0, 0}));
  EXPECT_TRUE(assign_lanes({}).empty());
}

TEST(ReportPage, ReadsTheStartTimesIsotestWrites) {
  EXPECT_EQ(rfc3339_ms("1970-01-01T00:00:01.500Z"), 1500);
  EXPECT_EQ(rfc3339_ms("1970-01-01T00:01:00Z"), 60000);
  EXPECT_EQ(rfc3339_ms("2026-11-29T18:38:51.551Z"), 1795977531551.0);
  EXPECT_LT(rfc3339_ms(""), 0);
  EXPECT_LT(rfc3339_ms("yesterday"), 0);
  EXPECT_LT(rfc3339_ms("2026-11-29T18:38:51.551+01:00"), 0);
}

TEST(ReportPage, OutputExcerptKeepsHeadAndTailAndWholeCharacters) {
  EXPECT_EQ(output_excerpt("short", 100), "short");
  const std::string big = "HEAD" + std::string(10 << 20, 'x') + "TAIL";
  const std::string excerpt = output_excerpt(big, 1000);
  EXPECT_LT(excerpt.size(), 1200U);
  EXPECT_TRUE(excerpt.starts_with("HEAD")) << excerpt.substr(0, 10);
  EXPECT_TRUE(excerpt.ends_with("TAIL"));
  EXPECT_TRUE(contains(
      excerpt, "[isotest report: " + std::to_string(big.size() - 1000) + " bytes left out here"))
      << excerpt;
  // Two-byte characters: the cuts fall between them, never inside one.
  std::string accents;
  for (int i = 0; i < 1000; ++i) accents += "\xC3\xA9";
  const std::string cut = output_excerpt(accents, 101);
  const auto marker = cut.find("\n[isotest");
  ASSERT_NE(marker, std::string::npos);
  EXPECT_EQ(marker % 2, 0U) << "the head ends inside a character";
  EXPECT_EQ((cut.size() - cut.rfind("more]\n") - 6) % 2, 0U) << "the tail starts inside one";
  EXPECT_EQ(static_cast<unsigned char>(cut[cut.rfind("more]\n") + 6]), 0xC3U);
}

TEST(ReportPage, CountsTestsAndPutsOneBarPerResultInLanes) {
  const auto page = page_of(loaded({run_result("a", "passed", "2026-01-01T00:00:00.000Z", 100),
                                    run_result("b", "failed", "2026-01-01T00:00:00.050Z", 100),
                                    run_result("c", "timeout", "2026-01-01T00:00:00.100Z", 30),
                                    run_result("d", "skipped", "2026-01-01T00:00:00.200Z", 10)}));
  const auto& summary = page["summary"];
  EXPECT_EQ(summary["line"], "1 passed, 2 failed, 1 skipped");
  EXPECT_EQ(summary["counts"]["timeout"], 1);
  EXPECT_EQ(summary["tests"], 4);
  EXPECT_EQ(summary["started_at"], "2026-01-01T00:00:00.000Z");
  EXPECT_DOUBLE_EQ(summary["wall_ms"].get<double>(), 210);
  EXPECT_DOUBLE_EQ(summary["total_ms"].get<double>(), 240);
  EXPECT_EQ(summary["lanes"], 2);
  EXPECT_EQ(summary["hostname"], "ci-host");
  ASSERT_EQ(summary["isolation"].size(), 1U);
  EXPECT_EQ(summary["isolation"][0]["level"],
            "namespaces user,mount,pid,net; cgroup v1; network loopback; seccomp errno");
  EXPECT_EQ(summary["isolation"][0]["results"], 4);

  ASSERT_EQ(page["bars"].size(), 4U);
  EXPECT_EQ(page["bars"][1], nlohmann::json({50.0, 100.0, 1, 1, -1, "failed"}));
  EXPECT_EQ(page["bars"][2][2], 0) << "c starts as a ends: the same slot";
  // Worst first: timeout, failed, skipped, passed.
  ASSERT_EQ(page["tests"].size(), 4U);
  EXPECT_EQ(page["tests"][0]["name"], "c");
  EXPECT_EQ(page["tests"][1]["name"], "b");
  EXPECT_EQ(page["tests"][1]["reason"], "exited with 1");
  EXPECT_EQ(page["tests"][3]["name"], "a");
  const auto& b = page["results"][1];
  EXPECT_EQ(b["peak_memory_bytes"], 200 << 20);
  EXPECT_EQ(b["memory_limit_bytes"], 256 << 20);
  EXPECT_EQ(b["cpu_ms"], 40);
  EXPECT_EQ(b["output"]["stdout"]["text"], "out of b\n");
}

TEST(ReportPage, ACaseOfIsotestGtestHasABarPerAttemptAndItsAttemptsSideBySide) {
  nlohmann::json failed = run_result("Suite.Flaky", "failed", "2026-01-01T00:00:00.000Z", 20);
  nlohmann::json passed = run_result("Suite.Flaky", "passed", "2026-01-01T00:00:01.000Z", 10);
  nlohmann::json document = {{"schema", "isotest-gtest/1"},
                             {"binary", "/b/unit_tests"},
                             {"duration_ms", 1100.0},
                             {"cases",
                              {{{"name", "Suite.Flaky"},
                                {"status", "flaky"},
                                {"duration_ms", 10.0},
                                {"failed_attempts", 1},
                                {"attempts", {failed, passed}}}}}};
  const auto page = page_of(runner_results("out.json", document));
  ASSERT_EQ(page["bars"].size(), 2U);
  EXPECT_EQ(page["bars"][0][4], 0);
  EXPECT_EQ(page["bars"][1][4], 1);
  EXPECT_EQ(page["bars"][0][5], "failed");
  const auto& row = page["results"][0];
  ASSERT_EQ(row["attempts"].size(), 2U);
  EXPECT_EQ(row["attempts"][0]["reason"], "exited with 1");
  EXPECT_EQ(row["binary"], "/b/unit_tests");
  EXPECT_EQ(page["summary"]["flaky"], 1);
  EXPECT_EQ(page["summary"]["line"], "1 passed, 0 failed, 0 skipped");
}

TEST(ReportPage, CasesOfAGtestBinaryAreTestsWithTheirFailures) {
  auto run = run_result("unit_tests", "failed", "2026-01-01T00:00:00.000Z", 50);
  run["cases"] = {
      {{"name", "S.Ok"}, {"status", "passed"}, {"duration_ms", 1.0}},
      {{"name", "S.Bad"},
       {"status", "failed"},
       {"duration_ms", 2.0},
       {"failures", {{{"file", "a.cc"}, {"line", 7}, {"message", "Expected 1\nActual 2"}}}}}};
  const auto page = page_of(loaded({run}));
  EXPECT_EQ(page["bars"].size(), 1U) << "one sandbox, one bar";
  ASSERT_EQ(page["tests"].size(), 2U);
  EXPECT_EQ(page["tests"][0]["name"], "S.Bad");
  EXPECT_EQ(page["tests"][0]["reason"], "a.cc:7: Expected 1");
  EXPECT_EQ(page["tests"][0]["failures"][0]["line"], 7);
  EXPECT_EQ(page["tests"][0]["case"], true);
  EXPECT_EQ(page["summary"]["line"], "1 passed, 1 failed, 0 skipped");
}

TEST(ReportPage, CarriesTheForensicsFieldsBounded) {
  auto run = run_result("hang", "timeout", "2026-01-01T00:00:00.000Z", 500);
  nlohmann::json frames = nlohmann::json::array();
  for (int i = 0; i < 1000; ++i) frames.push_back({{"function", "f" + std::to_string(i)}});
  run["diagnostics"] = nlohmann::json::parse(R"({"trigger": "timeout", "stacks": {
      "method": "ptrace+libdwfl", "processes": [{"pid": 1, "threads": [{"tid": 3}]}]}})");
  run["diagnostics"]["stacks"]["processes"][0]["threads"][0]["frames"] = frames;
  run["artifacts"] = {
      {"directory", "/keep/run"}, {"kept", true}, {"paths", {"core"}}, {"bytes", 10}, {"files", 1}};
  run["capture"] = {{"path", "/keep/run.pcap"}, {"packets", 12}};
  run["services"] = {{{"name", "redis"}, {"output_tail", std::string(100000, 'r')}}};
  const auto page = page_of(loaded({run}));
  const auto& row = page["results"][0];
  const auto& thread = row["diagnostics"]["stacks"]["processes"][0]["threads"][0];
  EXPECT_EQ(thread["frames"].size(), 200U);
  EXPECT_EQ(thread["frames_left_out"], 800);
  EXPECT_EQ(row["artifacts"]["paths"][0], "core");
  EXPECT_EQ(row["capture"]["packets"], 12);
  EXPECT_LT(row["services"][0]["output_tail"].get<std::string>().size(), 5000U);
}

TEST(ReportPage, KeepsLessOutputOfAPassedTestThanOfAFailedOne) {
  auto ok = run_result("ok", "passed", "2026-01-01T00:00:00.000Z", 1);
  auto bad = run_result("bad", "failed", "2026-01-01T00:00:00.000Z", 1);
  const std::string ten_megabytes(10 << 20, 'o');
  for (auto* run : {&ok, &bad}) {
    (*run)["output"]["stdout"] = {
        {"text", ten_megabytes}, {"bytes", 10 << 20}, {"truncated", false}};
  }
  const auto page = page_of(loaded({ok, bad}));
  const auto kept = [&](int index) {
    return page["results"][index]["output"]["stdout"]["text"].get<std::string>().size();
  };
  EXPECT_LT(kept(0), 1200U);
  EXPECT_GT(kept(1), 16000U);
  EXPECT_LT(kept(1), 17000U);
  EXPECT_LT(report_html(page).size(), 200000U);
}

// What the page's JSON block holds, read back as a browser's JSON.parse would.
nlohmann::json embedded_data(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"isotest-report-data\">";
  const auto start = html.find(open);
  EXPECT_NE(start, std::string::npos);
  const auto end = html.find("</script>", start);
  return nlohmann::json::parse(html.substr(start + open.size(), end - start - open.size()));
}

TEST(ReportHtml, HostileTextCannotCloseTheScriptOrBecomeMarkup) {
  const std::string name =
      "</script><script>document.title='pwned'</script><!-- <img src=x onerror=alert(1)>"
      " \xE2\x80\xA8 \xE2\x80\xA9 bad\xFF";
  auto run = run_result(name, "failed", "2026-01-01T00:00:00.000Z", 1);
  run["output"]["stdout"]["text"] = "</SCRIPT>&lt;b&gt; <b>bold</b>";
  const auto page = page_of(loaded({run}));
  const std::string html = report_html(page);
  // Only the page's own two script elements end.
  EXPECT_EQ(occurrences(html, "</script>"), 2U) << html.substr(0, 2000);
  EXPECT_FALSE(contains(html, "</SCRIPT>"));
  EXPECT_FALSE(contains(html, "<img src=x"));
  EXPECT_FALSE(contains(html, "<!-- <img"));
  EXPECT_FALSE(contains(html, "\xE2\x80\xA8"));
  EXPECT_FALSE(contains(html, "\xE2\x80\xA9"));
  EXPECT_FALSE(contains(html, "bad\xFF"));
  // The data reads back the same, but for the byte that is not UTF-8.
  const auto data = embedded_data(html);
  std::string expected = name;
  expected.replace(expected.find("\xFF"), 1, "\xEF\xBF\xBD");
  EXPECT_EQ(data["tests"][0]["name"], expected);
  EXPECT_EQ(data["results"][0]["output"]["stdout"]["text"], "</SCRIPT>&lt;b&gt; <b>bold</b>");
}

TEST(ReportHtml, IsOnePageWithNothingFromOutside) {
  const std::string html =
      report_html(page_of(loaded({run_result("a", "passed", "2026-01-01T00:00:00.000Z", 1)})));
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
  EXPECT_TRUE(contains(html, "default-src 'none'"));
  for (const char* outside : {"src=\"http", "href=\"http", "@import", "url(", "<link"}) {
    EXPECT_FALSE(contains(html, outside)) << outside;
  }
}

TEST(ReportMarkdown, EscapesWhatMarkdownOrHtmlWouldInterpret) {
  EXPECT_EQ(markdown_text("a|b"), "a\\|b");
  EXPECT_EQ(markdown_text("<img src=x>"), "\\<img src\\=x\\>");
  EXPECT_EQ(markdown_text("[x](javascript:1) *b* _i_ `c` @team #1 &amp;"),
            "\\[x\\]\\(javascript\\:1\\) \\*b\\* \\_i\\_ \\`c\\` \\@team \\#1 \\&amp\\;");
  EXPECT_EQ(markdown_text("line\nnext\x1b[2J"), "line\\\\nnext\\\\x1b\\[2J");
  EXPECT_EQ(markdown_text("bad\xFF"), "bad\\\\xff");
  EXPECT_EQ(markdown_text("Suite.Case/0"), "Suite\\.Case\\/0");
}

TEST(ReportMarkdown, SaysTheCountsTheFailedAndFlakyTestsAndTheSlowestTen) {
  std::vector<LoadedResult> results;
  for (int i = 0; i < 12; ++i) {
    results.push_back(
        {"r.json",
         run_result("t" + std::to_string(i), "passed", "2026-01-01T00:00:00.000Z", 100.0 + i),
         std::nullopt});
  }
  auto bad = run_result("unit_tests", "failed", "2026-01-01T00:00:00.000Z", 5);
  bad["cases"] = {
      {{"name", "S.<b>Bad</b>|x"},
       {"status", "failed"},
       {"duration_ms", 2.0},
       {"failures", {{{"file", "a.cc"}, {"line", 7}, {"message", "Expected 1\nmore"}}}}}};
  results.push_back({"r.json", bad, std::nullopt});
  nlohmann::json document = {
      {"schema", "isotest-gtest/1"},
      {"binary", "/b/unit_tests"},
      {"duration_ms", 1.0},
      {"cases",
       {{{"name", "S.Flaky"},
         {"status", "flaky"},
         {"duration_ms", 1.0},
         {"failed_attempts", 1},
         {"attempts",
          {run_result("S.Flaky", "failed", "2026-01-01T00:00:00.000Z", 1),
           run_result("S.Flaky", "passed", "2026-01-01T00:00:00.000Z", 1)}}}}}};
  for (auto& result : runner_results("out.json", document)) results.push_back(std::move(result));

  const std::string markdown = report_markdown(page_of(results));
  EXPECT_TRUE(markdown.starts_with("### isotest: 13 passed, 1 failed, 0 skipped (flaky: 1)\n"))
      << markdown;
  EXPECT_TRUE(contains(markdown, "| failed | 1 |\n")) << markdown;
  EXPECT_TRUE(contains(markdown, "| passed | 12 |\n")) << markdown;
  EXPECT_TRUE(contains(markdown, "#### Failed (1)")) << markdown;
  EXPECT_TRUE(contains(markdown,
                       "| unit\\_tests\\: S\\.\\<b\\>Bad\\<\\/b\\>\\|x | failed | a\\.cc\\:7\\: "
                       "Expected 1 |\n"))
      << markdown;
  EXPECT_TRUE(contains(markdown, "#### Flaky (1)")) << markdown;
  EXPECT_TRUE(contains(markdown, "| S\\.Flaky | flaky | 1 of 2 attempts failed |")) << markdown;
  // The slowest ten: t11 first, t2 last, t1 and t0 left out.
  const auto slowest = markdown.find("#### Slowest 10");
  ASSERT_NE(slowest, std::string::npos) << markdown;
  EXPECT_LT(markdown.find("| t11 |", slowest), markdown.find("| t2 |", slowest));
  EXPECT_EQ(markdown.find("| t1 |", slowest), std::string::npos) << markdown;
  EXPECT_FALSE(contains(markdown, "<b>"));
}

}  // namespace
}  // namespace isotest
