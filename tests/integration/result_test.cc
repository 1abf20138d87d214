// The --json result as a consumer reads it: strict JSON, valid against docs/result.schema.json,
// complete whatever the test printed, and never half-written.
#include <ctime>
#include <filesystem>
#include <regex>
#include <set>

#include <gtest/gtest.h>

#include "host_view.h"
#include "result_file.h"
#include "spawned_process.h"

namespace isotest::integration {
namespace {

// Seconds since the epoch of an RFC 3339 UTC time such as 2026-01-02T03:04:05.678Z.
std::optional<std::time_t> parse_utc(const std::string& text) {
  static const std::regex kRfc3339(R"(^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?Z$)");
  std::smatch parts;
  if (!std::regex_match(text, parts, kRfc3339)) return std::nullopt;
  std::tm utc{};
  utc.tm_year = std::stoi(parts[1]) - 1900;
  utc.tm_mon = std::stoi(parts[2]) - 1;
  utc.tm_mday = std::stoi(parts[3]);
  utc.tm_hour = std::stoi(parts[4]);
  utc.tm_min = std::stoi(parts[5]);
  utc.tm_sec = std::stoi(parts[6]);
  return ::timegm(&utc);
}

std::set<std::string> directory_entries(const std::string& path) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

TEST(RunTest, PassingRunResultHasTheDocumentedFieldsAndMatchesTheSchema) {
  TempDir dir;
  const auto json = dir / "result.json";
  const std::time_t before = std::time(nullptr);
  auto run = run_to_end(isotest_run_probe({"--json", json}, {"exit", "0"}));
  const std::time_t after = std::time(nullptr);
  ASSERT_EQ(run.exit.exit_code, 0) << describe(run);
  auto result = load_result(json);

  EXPECT_EQ(result["schema"], "isotest/1");
  EXPECT_EQ(result["name"], "isotest_probe");
  EXPECT_EQ(result["command"], nlohmann::json({tools().probe, "exit", "0"}));
  EXPECT_EQ(result["status"], "passed");
  EXPECT_EQ(result["exit_code"], 0);
  EXPECT_TRUE(result["signal"].is_null());
  auto started = parse_utc(result.value("started_at", ""));
  ASSERT_TRUE(started) << result["started_at"];
  EXPECT_GE(*started, before - 1);
  EXPECT_LE(*started, after + 1);
  ASSERT_TRUE(result["duration_ms"].is_number()) << result["duration_ms"];
  EXPECT_GT(result["duration_ms"].get<double>(), 0);
  EXPECT_LE(result["duration_ms"].get<double>(), static_cast<double>(run.exit.elapsed.count()));

  const auto& isolation = result["isolation"];
  for (const char* ns : {"user", "mount", "pid", "net", "ipc", "uts", "cgroup"}) {
    EXPECT_NE(std::find(isolation["namespaces"].begin(), isolation["namespaces"].end(), ns),
              isolation["namespaces"].end())
        << ns;
  }
  EXPECT_EQ(isolation["network"], "loopback");
  EXPECT_EQ(isolation["hostname"], "isotest");
  EXPECT_TRUE(isolation["uid_map"].is_string());
  EXPECT_TRUE(isolation["gid_map"].is_string());
  EXPECT_TRUE(result["usage"].contains("max_rss_bytes"));
  EXPECT_TRUE(result["usage"].contains("cpu_user_ms"));
  EXPECT_EQ(result["output"]["stdout"]["bytes"], 0);
  EXPECT_EQ(result["output"]["stdout"]["truncated"], false);
  EXPECT_TRUE(results_match_schema({json}));

  auto named =
      run_to_end(isotest_run_probe({"--json", json, "--name", "Suite.Case"}, {"exit", "0"}));
  EXPECT_EQ(load_result(json)["name"], "Suite.Case");
}

TEST(RunTest, InvalidUtf8OutputStillGivesAValidJsonResult) {
  TempDir dir;
  const auto json = dir / "result.json";
  auto run = run_to_end(isotest_run_probe({"--json", json}, {"invalid-utf8"}));
  ASSERT_EQ(run.exit.exit_code, 0) << describe(run);
  constexpr char kPrinted[] = "begin \x80 \xc0\xaf \xe2\x82 \xff \0 end\n";  // as the probe prints
  const std::string printed(kPrinted, sizeof kPrinted - 1);
  EXPECT_EQ(run.out, printed) << "stdout did not stream through unchanged";
  EXPECT_EQ(run.err, printed) << "stderr did not stream through unchanged";

  auto result = load_result(json);  // a strict parse: throws on invalid UTF-8
  for (const char* stream : {"stdout", "stderr"}) {
    const auto& output = result["output"][stream];
    const auto text = output.value("text", "");
    EXPECT_TRUE(text.starts_with("begin ")) << stream << ": " << text;
    EXPECT_TRUE(text.ends_with(" end\n")) << stream << ": " << text;
    EXPECT_NE(text.find("\xef\xbf\xbd"), std::string::npos) << "no U+FFFD in " << stream;
    EXPECT_EQ(output["bytes"], printed.size()) << stream;
    EXPECT_EQ(output["truncated"], false) << stream;
  }
  EXPECT_TRUE(results_match_schema({json}));
}

TEST(RunTest, HundredMegabyteFloodGivesABoundedValidJsonResult) {
  constexpr std::uint64_t kStdoutBytes = 100 << 20;
  constexpr std::uint64_t kStderrBytes = 1 << 20;
  TempDir dir;
  const auto json = dir / "result.json";
  SpawnedProcess sandbox(isotest_run_probe(
      {"--json", json}, {"flood", std::to_string(kStdoutBytes), std::to_string(kStderrBytes)}));
  sandbox.close_stdin();
  auto exit = sandbox.wait();
  ASSERT_EQ(exit.exit_code, 0) << describe(exit) << sandbox.stderr_text().substr(0, 2000);
  EXPECT_EQ(sandbox.stdout_bytes(), kStdoutBytes) << "stdout did not stream through whole";
  EXPECT_EQ(sandbox.stderr_bytes(), kStderrBytes) << "stderr did not stream through whole";

  auto result = load_result(json);
  const std::uint64_t limit = result["output"]["limit_bytes"].get<std::uint64_t>();
  EXPECT_EQ(limit, 64u << 10) << "the default --output-limit";
  const auto& out = result["output"]["stdout"];
  EXPECT_EQ(out["bytes"], kStdoutBytes);
  EXPECT_EQ(out["truncated"], true);
  EXPECT_LE(out["text"].get<std::string>().size(), limit + 200);
  const auto& err = result["output"]["stderr"];
  EXPECT_EQ(err["bytes"], kStderrBytes);
  EXPECT_EQ(err["truncated"], true);
  EXPECT_LE(err["text"].get<std::string>().size(), limit + 200);
  EXPECT_TRUE(results_match_schema({json}));
  EXPECT_EQ(directory_entries(dir.path()), std::set<std::string>{"result.json"});
}

TEST(RunTest, ResultFileIsWrittenAtomically) {
  TempDir dir;
  write_file(dir / "replaced.json", "an older result that the next run replaces whole");
  const std::vector<std::pair<std::string, std::vector<std::string>>> runs = {
      {"replaced.json", {"exit", "0"}},
      {"failed.json", {"exit", "3"}},
      {"crashed.json", {"kill-self", "11"}},
      {"flooded.json", {"flood", "1000000", "1000000"}},
  };
  std::vector<std::string> files;
  for (const auto& [name, probe_args] : runs) {
    auto run = run_to_end(isotest_run_probe({"--json", dir / name}, probe_args));
    EXPECT_FALSE(run.exit.hit_deadline) << describe(run);
    EXPECT_NO_THROW(load_result(dir / name)) << name;
    files.push_back(dir / name);
  }
  auto timed_out = run_to_end(
      isotest_run_probe({"--json", dir / "timeout.json", "--timeout", "100ms"}, {"sleep"}));
  EXPECT_EQ(timed_out.exit.exit_code, 124) << describe(timed_out);
  files.push_back(dir / "timeout.json");

  EXPECT_EQ(directory_entries(dir.path()),
            (std::set<std::string>{"replaced.json", "failed.json", "crashed.json", "flooded.json",
                                   "timeout.json"}))
      << "a temporary file was left behind";
  EXPECT_TRUE(results_match_schema(files));
}

}  // namespace
}  // namespace isotest::integration
