// Forensics (issue 14): a test that hangs leaves every thread's stack in its result and in the
// log, taken before it was signalled; one that crashes, the crash site, from its core; one that
// does neither costs nothing and leaves nothing.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
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

bool host_writes_core_files() {
  const std::string pattern = host_core_pattern();
  return !pattern.empty() && !pattern.starts_with('|');
}

std::string file_start(const std::string& path, std::size_t bytes) {
  std::ifstream in(path, std::ios::binary);
  std::string text(bytes, '\0');
  in.read(text.data(), static_cast<std::streamsize>(bytes));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

// With --artifacts the core a crash left and the stack dump are kept with the run's files
// (issue 14: "Core files and stack dumps land there too") and listed in `artifacts.paths`; the
// working directory keeps no core.
TEST(ForensicsTest, CrashKeepsItsCoreAndStackDumpAsArtifacts) {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0777);
  const std::string work = dir / "work";
  std::filesystem::create_directory(work);
  ::chmod(work.c_str(), 0777);
  const std::string kept = dir / "kept";
  const auto json = dir / "result.json";
  auto run = run_to_end(
      isotest_run({"--chdir", work, "--artifacts", kept, "--json", json}, {crash_program()}));
  EXPECT_EQ(run.exit.exit_code, 128 + 11) << describe(run);
  const auto result = load_result(json);
  EXPECT_TRUE(results_match_schema({json}));
  const auto& artifacts = result["artifacts"];
  ASSERT_EQ(artifacts["kept"], true) << result.dump(2);
  std::vector<std::string> paths = artifacts["paths"];
  const std::string dump = kept + "/forensics/stacks.txt";
  EXPECT_NE(std::find(paths.begin(), paths.end(), "forensics/stacks.txt"), paths.end())
      << artifacts.dump(2);
  std::ifstream in(dump);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(text.starts_with(
      host_writes_core_files() ? "crashed in (anonymous namespace)::dereference_a_null_pointer()"
                               : "crashed: SIGSEGV; no stack"))
      << text;
  EXPECT_EQ(std::filesystem::directory_iterator(work), std::filesystem::directory_iterator())
      << "the working directory kept something";
  if (!host_writes_core_files()) return;  // no core to keep: asserted by the text above
  EXPECT_EQ(result["diagnostics"]["crash"]["source"], "core") << result.dump(2);
  const auto core = std::find_if(paths.begin(), paths.end(), [](const std::string& path) {
    return path.starts_with("forensics/core");
  });
  ASSERT_NE(core, paths.end()) << artifacts.dump(2);
  EXPECT_EQ(file_start(kept + "/" + *core, 4),
            "\x7f"
            "ELF")
      << "not the core";
}

// Two runs that crash in one working directory at once (ctest -j) give their cores the same
// name (core_pattern `core`), and the later crash replaces the earlier core. A run must never
// report another run's crash site: here the core in the working directory is another run's (a
// copy of one kept with --artifacts), and the test itself cannot dump core (ulimit -c 0); the
// run reads no core and says why. Without ISOTEST_RUN_ID it would name the other run's frames.
TEST(ForensicsTest, AnotherRunsCoreInTheWorkingDirectoryIsNeverRead) {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0777);
  const std::string kept = dir / "kept";
  auto other = run_to_end(
      isotest_run({"--chdir", dir.path(), "--artifacts", kept, "--json", dir / "other.json"},
                  {crash_program(), "abort"}));
  ASSERT_EQ(other.exit.exit_code, 128 + 6) << describe(other);
  if (!host_writes_core_files()) {  // no core anywhere: the other run says why
    EXPECT_EQ(load_result(dir / "other.json")["diagnostics"]["crash"]["source"], "none");
    return;
  }
  const std::string others_core = kept + "/forensics/core";
  ASSERT_EQ(file_start(others_core, 4),
            "\x7f"
            "ELF")
      << "the other run kept no core\n"
      << other.err;
  const auto json = dir / "result.json";
  auto run =
      run_to_end(isotest_run({"--chdir", dir.path(), "--json", json},
                             {"/bin/sh", "-c", "cp \"$0\" core && ulimit -c 0 && exec \"$1\"",
                              others_core, crash_program()}));
  EXPECT_EQ(run.exit.exit_code, 128 + 11) << describe(run);
  const auto result = load_result(json);
  const auto& crash = result["diagnostics"]["crash"];
  EXPECT_EQ(crash["source"], "none") << crash.dump(2);
  EXPECT_EQ(crash["signal_name"], "SIGSEGV") << crash.dump(2);
  EXPECT_EQ(crash["frames"], nlohmann::json::array()) << crash.dump(2);
  EXPECT_NE(crash["unavailable_reason"].get<std::string>().find("is another run's"),
            std::string::npos)
      << crash.dump(2);
  EXPECT_TRUE(std::filesystem::exists(dir / "core")) << "another run's core was removed";
}

// The same race for real: two runs in one working directory crash at the same moment, one in
// dereference_a_null_pointer (SIGSEGV), one in give_up_with_abort (SIGABRT). Each reports its
// own crash site or none, never the other's.
TEST(ForensicsTest, RunsCrashingAtOnceInOneDirectoryNeverTakeEachOthersCore) {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0777);
  const std::string wait_then_crash = "while [ ! -e go ]; do sleep 0.01; done; exec \"$0\" \"$@\"";
  struct Side {
    std::string json;
    std::vector<std::string> arguments;
    int signal;
    std::string function;
  };
  const Side sides[] = {
      {dir / "segv.json", {}, 11, "(anonymous namespace)::dereference_a_null_pointer()"},
      {dir / "abort.json", {"abort"}, 6, "(anonymous namespace)::give_up_with_abort()"}};
  for (int round = 0; round < 3; ++round) {
    std::filesystem::remove(dir / "go");
    std::vector<std::unique_ptr<SpawnedProcess>> runs;
    for (const auto& side : sides) {
      std::vector<std::string> command{"/bin/sh", "-c", wait_then_crash, crash_program()};
      command.insert(command.end(), side.arguments.begin(), side.arguments.end());
      runs.push_back(std::make_unique<SpawnedProcess>(
          isotest_run({"--chdir", dir.path(), "--json", side.json}, command)));
    }
    std::ofstream(dir / "go").put('\n');
    for (std::size_t i = 0; i < runs.size(); ++i) {
      runs[i]->close_stdin();
      EXPECT_EQ(runs[i]->wait().exit_code, 128 + sides[i].signal) << runs[i]->stderr_text();
      const auto crash = load_result(sides[i].json)["diagnostics"]["crash"];
      EXPECT_EQ(crash["signal"], sides[i].signal) << crash.dump(2);
      if (crash["source"] == "none") continue;  // its core was replaced by the other's
      ASSERT_FALSE(crash["frames"].empty()) << crash.dump(2);
      bool own = false;
      for (const auto& frame : crash["frames"]) own = own || frame["function"] == sides[i].function;
      EXPECT_TRUE(own) << "round " << round << ": not its own crash site\n" << crash.dump(2);
    }
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "core")) << "a run left its core";
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
