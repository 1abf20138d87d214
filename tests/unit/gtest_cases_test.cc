#include "gtest_cases.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace isotest {
namespace {

TEST(CaseAssembler, EventsInPiecesBecomeCasesAndTheRunningOneTakesTheEnding) {
  CaseAssembler assembler;
  const std::string events =
      R"({"event":"start","cases":["A.Passes","A.Crashes","A.Later"],"disabled":["A.DISABLED_X"]})"
      "\n"
      R"({"event":"case_start","name":"A.Passes"})"
      "\n"
      R"({"event":"failure","message":"m","file":"a.cc","line":3})"
      "\n"
      R"({"event":"case_end","name":"A.Passes","result":"failed","duration_ms":5,"properties":{"k":"v"}})"
      "\n"
      R"({"event":"case_start","name":"A.Crashes"})"
      "\n"
      R"({"event":"case_end","name":"A.Cr)";  // cut off by the crash
  // Split at every byte boundary would be slow to read; three pieces cross lines and objects.
  assembler.feed(events.substr(0, 40), 0);
  assembler.feed(events.substr(40, 200), 10);
  assembler.feed(events.substr(240), 10);
  ASSERT_TRUE(assembler.started());
  const auto cases = assembler.finish(RunStatus::timeout, 110);
  ASSERT_EQ(cases.size(), 4u);
  EXPECT_EQ(cases[0].name, "A.Passes");
  EXPECT_EQ(cases[0].status, RunStatus::failed);
  ASSERT_EQ(cases[0].failures.size(), 1u);
  EXPECT_EQ(cases[0].failures[0].line, 3);
  EXPECT_EQ(cases[0].properties.at("k"), "v");
  EXPECT_EQ(cases[1].status, RunStatus::timeout);
  EXPECT_DOUBLE_EQ(cases[1].duration_ms, 100);
  EXPECT_EQ(cases[2].status, RunStatus::notrun);
  EXPECT_EQ(cases[3].name, "A.DISABLED_X");
  EXPECT_EQ(cases[3].status, RunStatus::disabled);
}

// The plugin's crash event (gtest-plugin/crash_handler.cc), after a line the crash cut short.
TEST(CaseAssembler, CrashEventIsKeptForTheRunningCase) {
  CaseAssembler assembler;
  assembler.feed(
      R"({"event":"start","cases":["A.Crashes"],"disabled":[]})"
      "\n"
      R"({"event":"case_start","name":"A.Crashes"})"
      "\n"
      R"({"event":"fail)"
      "\n"
      R"({"event":"crash","signal":6,"code":-6,"address":"0x4d2","tid":2,"case":"A.Crashes",)"
      R"("pcs":["0x7f0000001234","0x55000000abcd"],)"
      R"("modules":[{"path":"/lib/libc.so.6","base":"0x7f0000000000"}]})"
      "\n",
      5);
  const auto& crash = assembler.crash();
  ASSERT_TRUE(crash.has_value());
  EXPECT_EQ(crash->report.signal, 6);
  EXPECT_EQ(crash->report.code, -6);
  // A sent signal's si_addr is the sender's pid, not an address.
  EXPECT_FALSE(crash->report.address.has_value());
  EXPECT_EQ(crash->report.tid, 2);
  EXPECT_EQ(crash->report.source, "plugin");
  EXPECT_EQ(crash->case_name, "A.Crashes");
  ASSERT_EQ(crash->report.frames.size(), 2u);
  EXPECT_EQ(crash->report.frames[0].pc, 0x7f0000001234u);
  EXPECT_EQ(crash->report.frames[1].pc, 0x55000000abcdu);
  EXPECT_EQ(crash->report.frames[0].function, "");  // named later, by forensics/
  ASSERT_EQ(crash->report.modules.size(), 1u);
  EXPECT_EQ(crash->report.modules[0].path, "/lib/libc.so.6");
  EXPECT_EQ(crash->report.modules[0].base, 0x7f0000000000u);
  RunResult result;
  result.cases = assembler.finish(RunStatus::crashed, 10);
  EXPECT_EQ((*result.cases)[0].status, RunStatus::crashed);
  assembler.add_crash(result);
  ASSERT_TRUE((*result.cases)[0].crash.has_value());
  EXPECT_EQ((*result.cases)[0].crash->signal, 6);
  ASSERT_TRUE(result.diagnostics.has_value());
  EXPECT_EQ(result.diagnostics->trigger, "crash");
  ASSERT_TRUE(result.diagnostics->crash.has_value());
  EXPECT_EQ(result.diagnostics->crash->source, "plugin");
}

TEST(CaseAssembler, NothingHeardIsNotStarted) {
  CaseAssembler assembler;
  assembler.feed("garbage\n{\"event\":\"failure\"}\n", 0);
  EXPECT_FALSE(assembler.started());
  EXPECT_TRUE(assembler.finish(RunStatus::crashed, 0).empty());
}

TEST(GtestJson, FailuresLocationsSkipsAndProperties) {
  const auto cases = cases_from_gtest_json(R"({"testsuites":[{"name":"S","testsuite":[
    {"name":"F","status":"RUN","result":"COMPLETED","time":"0.25s","classname":"S",
     "failures":[{"failure":"dir/a.cc:12\nExpected x\nmore","type":""},
                 {"failure":"unknown file\nthrown","type":""}]},
    {"name":"K","status":"RUN","result":"SKIPPED","time":"0s","classname":"S","owner":"me"},
    {"name":"DISABLED_D","status":"NOTRUN","result":"SUPPRESSED","time":"0s","classname":"S"}]}]})");
  ASSERT_TRUE(cases);
  ASSERT_EQ(cases->size(), 3u);
  const auto& failed = (*cases)[0];
  EXPECT_EQ(failed.name, "S.F");
  EXPECT_EQ(failed.status, RunStatus::failed);
  EXPECT_DOUBLE_EQ(failed.duration_ms, 250);
  EXPECT_EQ(failed.failures[0].file, "dir/a.cc");
  EXPECT_EQ(failed.failures[0].line, 12);
  EXPECT_EQ(failed.failures[0].message, "Expected x\nmore");
  EXPECT_EQ(failed.failures[1].file, "");
  EXPECT_EQ(failed.failures[1].line, -1);
  EXPECT_EQ((*cases)[1].status, RunStatus::skipped);
  EXPECT_EQ((*cases)[1].properties.at("owner"), "me");
  EXPECT_EQ((*cases)[2].status, RunStatus::disabled);
  EXPECT_FALSE(cases_from_gtest_json("not json"));
}

TEST(DetectGtestBinary, AGoogleTestBinaryLinkingIsotestIsNotMistakenForThePlugin) {
  // This binary is GoogleTest and links isotest's own code, which must not carry the words
  // the detection looks for.
  EXPECT_EQ(detect_gtest_binary("/proc/self/exe"), GtestKind::plain);
  EXPECT_EQ(detect_gtest_binary("/bin/sh"), GtestKind::none);
  EXPECT_EQ(detect_gtest_binary("/nonexistent"), GtestKind::none);
}

class DetectGtestBinaryFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "gtest-cases.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    directory_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }
  std::filesystem::path directory_;
};

// The verdict is kept per version of the file (the runner asks once per case): a binary
// rebuilt at the same path is looked into again.
TEST_F(DetectGtestBinaryFiles, ABinaryReplacedAtTheSamePathIsLookedIntoAgain) {
  const auto path = directory_ / "binary";
  std::filesystem::copy_file("/proc/self/exe", path);
  EXPECT_EQ(detect_gtest_binary(path.string()), GtestKind::plain);
  EXPECT_EQ(detect_gtest_binary(path.string()), GtestKind::plain);
  // Rewritten in place (the same inode), then replaced by a new file.
  std::filesystem::copy_file("/bin/sh", path, std::filesystem::copy_options::overwrite_existing);
  EXPECT_EQ(detect_gtest_binary(path.string()), GtestKind::none);
  std::filesystem::remove(path);
  std::filesystem::copy_file("/proc/self/exe", path);
  EXPECT_EQ(detect_gtest_binary(path.string()), GtestKind::plain);
}

// Never blocks on a FIFO (opening one for reading waits for a writer).
TEST_F(DetectGtestBinaryFiles, AFifoIsNoBinaryAndDoesNotBlock) {
  const auto path = directory_ / "fifo";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  EXPECT_EQ(detect_gtest_binary(path.string()), GtestKind::none);
}

}  // namespace
}  // namespace isotest
