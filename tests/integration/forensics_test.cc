// Forensics (issue 14): a test that hangs leaves every thread's stack in its result and in the
// log, taken before it was signalled; one that crashes, the crash site, from its core; one that
// does neither costs nothing and leaves nothing.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "host_view.h"
#include "result_file.h"
#include "spawned_process.h"

namespace isotest::integration {
namespace {

// run-as-nobody.sh points ISOTEST_DEADLOCK at a copy user nobody can run.
std::string deadlock_program() {
  const char* value = std::getenv("ISOTEST_DEADLOCK");
  return value != nullptr && *value != '\0' ? value : ISOTEST_DEFAULT_DEADLOCK;
}

std::string crash_program() {
  const char* value = std::getenv("ISOTEST_CRASH");
  return value != nullptr && *value != '\0' ? value : ISOTEST_DEFAULT_CRASH;
}

std::string host_core_pattern() {
  std::ifstream in("/proc/sys/kernel/core_pattern");
  std::string line;
  std::getline(in, line);
  return line;
}

// The files a run left in `dir` besides its result.
std::vector<std::string> left_in(const TempDir& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().filename() != "result.json") names.push_back(entry.path().filename());
  }
  return names;
}

struct ThreadSeen {
  std::string wchan;
  std::set<std::string> functions;
};

// Each thread's wait channel and the functions on its stack.
std::vector<ThreadSeen> threads_of(const nlohmann::json& stacks) {
  std::vector<ThreadSeen> threads;
  for (const auto& process : stacks["processes"]) {
    for (const auto& thread : process["threads"]) {
      ThreadSeen seen;
      if (thread["wchan"].is_string()) seen.wchan = thread["wchan"];
      for (const auto& frame : thread["frames"]) {
        if (frame["function"].is_string()) seen.functions.insert(frame["function"]);
      }
      threads.push_back(seen);
    }
  }
  return threads;
}

// The thread stuck in FUNCTION, if one is: some frame's name starts with it ("f()" for C++).
const ThreadSeen* thread_in(const std::vector<ThreadSeen>& threads, const std::string& function) {
  for (const auto& thread : threads) {
    for (const auto& name : thread.functions) {
      if (name.starts_with(function)) return &thread;
    }
  }
  return nullptr;
}

TEST(ForensicsTest, TimeoutRecordsEveryThreadsStackBeforeSignalling) {
  TempDir dir;
  const auto json = dir / "result.json";
  SpawnedProcess sandbox(isotest_run({"--timeout", "2s", "--json", json}, {deadlock_program()}));
  ASSERT_TRUE(sandbox.wait_for_line("deadlocked")) << sandbox.stderr_text();
  auto exit = sandbox.wait();
  EXPECT_EQ(exit.exit_code, 124) << describe(exit) << sandbox.stderr_text();
  auto result = load_result(json);
  ASSERT_TRUE(result.contains("diagnostics")) << result.dump(2);
  const auto& diagnostics = result["diagnostics"];
  EXPECT_EQ(diagnostics["trigger"], "timeout");
  const auto& stacks = diagnostics["stacks"];
  EXPECT_EQ(stacks["method"], "ptrace+libdwfl");
  EXPECT_EQ(stacks["complete"], true) << stacks.dump(2);
  const auto threads = threads_of(stacks);
  for (const char* function : {"lock_a_then_b", "lock_b_then_a"}) {
    const ThreadSeen* thread = thread_in(threads, function);
    ASSERT_NE(thread, nullptr) << function << " on no stack:\n" << stacks.dump(2);
    // Taken before the stop: the kernel still says where the thread sleeps, a futex wait.
    EXPECT_NE(thread->wchan.find("futex"), std::string::npos)
        << function << " waits in `" << thread->wchan << "`";
  }
  ASSERT_NE(thread_in(threads, "main"), nullptr) << stacks.dump(2);
  // The CTest log shows it too.
  const std::string err = sandbox.stderr_text();
  EXPECT_NE(err.find("isotest: stacks at the timeout (ptrace+libdwfl, "), std::string::npos) << err;
  EXPECT_NE(err.find(" lock_a_then_b() (deadlock_threads.cc:"), std::string::npos) << err;
  EXPECT_TRUE(results_match_schema({json}));
}

TEST(ForensicsTest, StacksNeverTakesNone) {
  TempDir dir;
  const auto json = dir / "result.json";
  auto run = run_to_end(
      isotest_run({"--timeout", "1s", "--stacks", "never", "--json", json}, {deadlock_program()}));
  EXPECT_EQ(run.exit.exit_code, 124) << describe(run);
  auto result = load_result(json);
  EXPECT_FALSE(result.contains("diagnostics")) << result["diagnostics"].dump(2);
  EXPECT_EQ(run.err.find("stacks at the timeout"), std::string::npos) << run.err;
}

TEST(ForensicsTest, RunThatEndsByItselfHasNoDiagnostics) {
  TempDir dir;
  const auto json = dir / "result.json";
  auto run = run_to_end(isotest_run_probe({"--timeout", "30s", "--json", json}, {"exit", "3"}));
  EXPECT_EQ(run.exit.exit_code, 3) << describe(run);
  auto result = load_result(json);
  EXPECT_FALSE(result.contains("diagnostics")) << result["diagnostics"].dump(2);
}

// A core is written where core_pattern names a plain file; a pattern that pipes to a host
// program (systemd-coredump, apport) gives none, and the result says why. Which one applies is
// the host's: both are asserted, whichever it is.
TEST(ForensicsTest, CrashWithoutPluginIsReadFromTheCore) {
  TempDir dir;
  // A working directory the test may write to, as root and as nobody: a relative core_pattern
  // puts the core there.
  ::chmod(dir.path().c_str(), 0777);
  const auto json = dir / "result.json";
  auto run = run_to_end(isotest_run({"--chdir", dir.path(), "--json", json}, {crash_program()}));
  EXPECT_EQ(run.exit.exit_code, 128 + 11) << describe(run);  // still the signal's status
  auto result = load_result(json);
  EXPECT_EQ(result["signal_name"], "SIGSEGV");
  ASSERT_TRUE(result.contains("diagnostics")) << result.dump(2);
  EXPECT_EQ(result["diagnostics"]["trigger"], "crash");
  const auto& crash = result["diagnostics"]["crash"];
  EXPECT_EQ(crash["signal"], 11);
  EXPECT_EQ(crash["signal_name"], "SIGSEGV");
  const std::string pattern = host_core_pattern();
  if (pattern.starts_with('|') || pattern.empty()) {
    EXPECT_EQ(crash["source"], "none") << crash.dump(2);
    EXPECT_NE(crash["unavailable_reason"].get<std::string>().find("core_pattern"),
              std::string::npos)
        << crash.dump(2);
    return;
  }
  ASSERT_EQ(crash["source"], "core") << crash.dump(2) << run.err;
  EXPECT_EQ(crash["code_name"], "SEGV_MAPERR");
  EXPECT_EQ(crash["address"], "0x0");
  EXPECT_TRUE(crash["tid"].is_number_integer()) << crash.dump(2);
  ASSERT_FALSE(crash["frames"].empty()) << crash.dump(2);
  const auto& top = crash["frames"][0];
  EXPECT_EQ(top["function"], "(anonymous namespace)::dereference_a_null_pointer()")
      << crash.dump(2);
  EXPECT_EQ(top["module"], crash_program()) << top.dump();
  EXPECT_TRUE(top["file"].get<std::string>().ends_with("crash.cc")) << top.dump();
  EXPECT_NE(run.err.find("isotest: crashed in (anonymous namespace)::dereference_a_null_pointer() "
                         "at crash.cc:"),
            std::string::npos)
      << run.err;
  // Read, then removed: no core is left in the working directory.
  EXPECT_EQ(left_in(dir), std::vector<std::string>{}) << "left behind";
  EXPECT_TRUE(results_match_schema({json}));
}

TEST(ForensicsTest, CrashCoreNeverLetsNoCoreBeWrittenAndSaysSo) {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0777);
  const auto json = dir / "result.json";
  auto run = run_to_end(isotest_run(
      {"--chdir", dir.path(), "--crash-core", "never", "--json", json}, {crash_program()}));
  EXPECT_EQ(run.exit.exit_code, 128 + 11) << describe(run);
  auto result = load_result(json);
  const auto& crash = result["diagnostics"]["crash"];
  EXPECT_EQ(crash["source"], "none") << result.dump(2);
  EXPECT_EQ(crash["unavailable_reason"], "--crash-core never");
  EXPECT_EQ(crash["frames"], nlohmann::json::array());
  EXPECT_EQ(left_in(dir), std::vector<std::string>{}) << "a core was written";
  EXPECT_NE(run.err.find("isotest: crashed: SIGSEGV; no stack: --crash-core never"),
            std::string::npos)
      << run.err;
}

// The kernel would truncate a file that has the core's name: isotest lets no core be written
// rather than lose the user's file.
TEST(ForensicsTest, CoreNeverOverwritesAnExistingFile) {
  const std::string pattern = host_core_pattern();
  TempDir dir;
  ::chmod(dir.path().c_str(), 0777);
  const bool literal = !pattern.empty() && pattern.find_first_of("%|/") == std::string::npos;
  const std::string existing = dir / (literal ? pattern : "core");
  { std::ofstream(existing) << "the user's own file\n"; }
  const auto json = dir / "result.json";
  auto run = run_to_end(isotest_run({"--chdir", dir.path(), "--json", json}, {crash_program()}));
  EXPECT_EQ(run.exit.exit_code, 128 + 11) << describe(run);
  std::ifstream in(existing);
  std::string content;
  std::getline(in, content);
  EXPECT_EQ(content, "the user's own file");
  if (!literal) return;  // the core's name is not fixed: no file can be in its way
  const auto result = load_result(json);
  const auto& crash = result["diagnostics"]["crash"];
  EXPECT_EQ(crash["source"], "none") << crash.dump(2);
  EXPECT_NE(crash["unavailable_reason"].get<std::string>().find("exists already"),
            std::string::npos)
      << crash.dump(2);
}

TEST(ForensicsTest, BadStackOptionsAreRefused) {
  struct Case {
    std::vector<std::string> options;
    std::string message;
  };
  const Case cases[] = {
      {{"--stacks", "sometimes"}, "isotest: --stacks takes auto or never; got `sometimes`\n"},
      {{"--stacks-timeout", "soon"},
       "isotest: --stacks-timeout takes a duration such as 500ms, 30s or 2m; got `soon`\n"},
      {{"--crash-core", "always"}, "isotest: --crash-core takes auto or never; got `always`\n"},
      {{"--stacks-timeout", "0"},
       "isotest: --stacks-timeout must be greater than zero; use --stacks never to collect no "
       "stacks\n"},
  };
  for (const auto& c : cases) {
    auto run = run_to_end(isotest_run(c.options, {"true"}));
    EXPECT_EQ(run.exit.exit_code, 125) << describe(run);
    EXPECT_NE(run.err.find(c.message), std::string::npos) << run.err;
  }
}

}  // namespace
}  // namespace isotest::integration
