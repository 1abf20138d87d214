// Cgroup limits and accounting, judged from the host: what the kernel did to the test (killed it,
// refused its forks, throttled it), what the sandbox's cgroup held while it ran, and that no
// cgroup outlives isotest. The same tests run on cgroup v1 (the CI machine) and on v2 (a VM, as
// root and as a user with a delegated subtree); ISOTEST_EXPECT_CGROUP says which of these the
// CTest registration set up, or `none` where limits must be refused. Results are checked against
// the schema once per kind (OOM, limits applied, refused, degraded): in the emulated VM each check
// takes some 20 s.
#include <linux/magic.h>
#include <signal.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "host_view.h"
#include "result_file.h"
#include "spawned_process.h"

namespace isotest::integration {
namespace {

namespace fs = std::filesystem;

enum class CgroupSupport { v1, v2, none };

CgroupSupport guess_support() {
  if (::getuid() == 0 && path_exists("/sys/fs/cgroup/memory")) return CgroupSupport::v1;
  struct statfs mounted {};
  if (::statfs("/sys/fs/cgroup", &mounted) == 0 && mounted.f_type == CGROUP2_SUPER_MAGIC) {
    return CgroupSupport::v2;
  }
  return CgroupSupport::none;
}

// Set by the CTest registration (limits.v1.root, limits.v2.user, ...); guessed from the host
// when the tests are run by hand.
CgroupSupport expected_support() {
  static const CgroupSupport kExpected = [] {
    const char* text = std::getenv("ISOTEST_EXPECT_CGROUP");
    const std::string value = text != nullptr ? text : "";
    if (value.empty()) return guess_support();
    if (value == "v1") return CgroupSupport::v1;
    if (value == "v2") return CgroupSupport::v2;
    if (value == "none") return CgroupSupport::none;
    throw std::invalid_argument("ISOTEST_EXPECT_CGROUP must be v1, v2 or none, not " + value);
  }();
  return kExpected;
}

std::string version_name(CgroupSupport support) {
  return support == CgroupSupport::v1 ? "v1" : support == CgroupSupport::v2 ? "v2" : "none";
}

// The controllers isotest uses when all three limits are asked for.
std::vector<std::string> expected_controllers() {
  if (expected_support() == CgroupSupport::v1) {
    return {"memory", "pids", "cpu", "cpuacct", "freezer"};
  }
  return {"memory", "pids", "cpu"};
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

std::string parent_of(const std::string& path) {
  return path.substr(0, path.rfind('/'));
}
std::string basename_of(const std::string& path) {
  return path.substr(path.rfind('/') + 1);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Where PID sits in the hierarchies isotest uses, as directories: for v1 one per controller
// ("memory" -> /sys/fs/cgroup/memory/...), for v2 one under "". Computed from /proc/PID/cgroup and
// our own mount table, the way a user would find them, not the way isotest does.
std::map<std::string, std::string> cgroup_directories_of(pid_t pid) {
  std::map<std::string, std::string> path_of;  // controller -> path as /proc/PID/cgroup shows it
  for (const auto& line : lines_of(read_file("/proc/" + std::to_string(pid) + "/cgroup"))) {
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string path = line.substr(second + 1);
    const std::string controllers = line.substr(first + 1, second - first - 1);
    if (controllers.empty()) path_of[""] = path;
    for (const auto& controller : split(controllers, ',')) path_of[controller] = path;
  }
  const bool v1 = expected_support() == CgroupSupport::v1;
  const auto wanted = expected_controllers();
  std::map<std::string, std::string> directories;
  for (const auto& line : lines_of(read_file("/proc/self/mountinfo"))) {
    const auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    const auto fields = split(line.substr(0, dash), ' ');
    const auto tail = split(line.substr(dash + 3), ' ');
    if (fields.size() < 5 || tail.size() < 3) continue;
    const std::string& root = fields[3];
    const std::string& mount_point = fields[4];
    auto directory = [&](std::string path) {
      if (root != "/" && path.starts_with(root)) path.erase(0, root.size());
      return path == "/" ? mount_point : mount_point + path;
    };
    if (!v1 && tail[0] == "cgroup2" && path_of.contains("") && !directories.contains("")) {
      directories[""] = directory(path_of[""]);
    }
    if (!v1 || tail[0] != "cgroup") continue;
    for (const auto& option : split(tail[2], ',')) {
      if (std::find(wanted.begin(), wanted.end(), option) == wanted.end()) continue;
      if (path_of.contains(option) && !directories.contains(option)) {
        directories[option] = directory(path_of[option]);
      }
    }
  }
  return directories;
}

// Where an isotest started by this test process creates its cgroups: beside ours, one per
// hierarchy. (On v2 the first isotest moves us into an `isotest-launchers` leaf, to be allowed to
// enable controllers for its siblings; the sandboxes still go beside that leaf.)
std::vector<std::string> launcher_cgroup_parents() {
  std::set<std::string> parents;
  for (const auto& [controller, directory] : cgroup_directories_of(::getpid())) {
    const bool in_leaf = controller.empty() && basename_of(directory) == "isotest-launchers";
    parents.insert(in_leaf ? parent_of(directory) : directory);
  }
  return {parents.begin(), parents.end()};
}

// The directories of the sandbox cgroup named in a result, one per hierarchy.
std::vector<std::string> sandbox_cgroup_directories(const nlohmann::json& result) {
  const auto& path = result["isolation"]["cgroup"]["path"];
  if (!path.is_string()) return {};
  std::vector<std::string> directories;
  for (const auto& parent : launcher_cgroup_parents()) {
    directories.push_back(parent + "/" + basename_of(path.get<std::string>()));
  }
  return directories;
}

// The cgroup directories that the isotest with this PID created, however it ended.
std::vector<std::string> cgroups_of_launcher(pid_t launcher) {
  const std::string prefix = "isotest-" + std::to_string(launcher) + "-";
  std::vector<std::string> found;
  for (const auto& parent : launcher_cgroup_parents()) {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(parent, error)) {
      if (entry.is_directory() && entry.path().filename().string().starts_with(prefix)) {
        found.push_back(entry.path().string());
      }
    }
  }
  return found;
}

// Kills what is in a cgroup isotest failed to remove, and removes it, so that a failing test
// does not leave the host with one more stale cgroup.
void remove_cgroup(const std::string& directory) {
  auto write_if_there = [&](const std::string& file, const std::string& text) {
    if (path_exists(directory + "/" + file)) std::ofstream(directory + "/" + file) << text;
  };
  write_if_there("cgroup.kill", "1");         // v2 (5.14+)
  write_if_there("freezer.state", "THAWED");  // v1: frozen tasks cannot die
  wait_until(
      [&] {
        for (const auto& pid : lines_of(read_file(directory + "/cgroup.procs"))) {
          ::kill(static_cast<pid_t>(std::stol(pid)), SIGKILL);
        }
        return ::rmdir(directory.c_str()) == 0 || errno == ENOENT;
      },
      5s);
}

// No polling: by the time isotest has returned, its cgroup must be gone.
void expect_removed(const std::vector<std::string>& directories, const std::string& after) {
  for (const auto& directory : directories) {
    if (!path_exists(directory)) continue;
    ADD_FAILURE() << directory << " is still there after " << after;
    remove_cgroup(directory);
  }
}

// Live processes in a PID namespace, by a scan of all of /proc.
std::vector<pid_t> processes_in(const std::string& pid_namespace) {
  std::vector<pid_t> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto pid = static_cast<pid_t>(std::stol(name));
    if (process_running(pid, pid_namespace)) found.push_back(pid);
  }
  return found;
}

// How long a trivial `isotest run` takes: some 10 ms on the CI machine, a second or two in the
// emulated VM. Time limits in these tests are multiples of it.
Milliseconds plain_run_time() {
  static const Milliseconds kSlowest = [] {
    Milliseconds slowest{0};
    for (int run = 0; run < 3; ++run) {
      slowest = std::max(slowest, run_to_end(isotest_run_probe({}, {"exit", "0"})).exit.elapsed);
    }
    return slowest;
  }();
  return kSlowest;
}

constexpr std::uint64_t kMiB = 1 << 20;
const std::vector<std::string> kAllLimits = {"--memory", "64M", "--pids", "32", "--cpus", "0.5"};

std::vector<std::string> with(std::vector<std::string> options,
                              const std::vector<std::string>& more) {
  options.insert(options.end(), more.begin(), more.end());
  return options;
}

double number_in(const std::map<std::string, std::string>& values, const std::string& name) {
  auto found = values.find(name);
  return found == values.end() ? -1 : std::stod(found->second);
}

// Tests that need a cgroup with limits: root on v1, root or a delegated user on v2. The CTest
// tests run either these (LimitsTest.*) or the refusals (LimitsRefusedTest.*), by what
// ISOTEST_EXPECT_CGROUP says the caller gets; a case of the other set fails rather than skip.
class LimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(expected_support(), CgroupSupport::none)
        << "ISOTEST_EXPECT_CGROUP=none: this caller gets no cgroup limits; run "
           "--gtest_filter=LimitsRefusedTest.* instead";
  }
};

// Tests for a caller who cannot have limits: user nobody on v1.
class LimitsRefusedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(expected_support(), CgroupSupport::none)
        << "limits are available here (ISOTEST_EXPECT_CGROUP=" << version_name(expected_support())
        << "); run --gtest_filter=LimitsTest.* instead";
  }
};

TEST_F(LimitsTest, AllocationOverTheMemoryLimitEndsInOom) {
  TempDir dir;
  const auto json = dir / "result.json";
  auto run =
      run_to_end(isotest_run_probe({"--memory", "64M", "--json", json}, {"touch-memory", "256"}));
  EXPECT_EQ(run.exit.exit_code, 137) << describe(run);
  EXPECT_FALSE(contains(run.out, "touched")) << "256 MB fit under --memory 64M";
  // In the CTest log too, not only in the result file.
  EXPECT_TRUE(std::regex_search(
      run.err,
      std::regex(": stopped: out of memory \\(limit 64 MiB, peak [0-9]+\\.[0-9] MiB\\)\n")))
      << run.err;
  auto result = load_result(json);
  EXPECT_EQ(result["status"], "oom");
  EXPECT_EQ(result["signal"], SIGKILL);
  EXPECT_TRUE(result["killed_by_harness"].is_null()) << "the kernel killed it, not isotest";
  EXPECT_GE(result["usage"]["oom_kills"], 1);
  // The kernel lets a task that is being killed overcharge a little, so that it can exit.
  EXPECT_LE(result["usage"]["peak_memory_bytes"], 66 * kMiB) << "usage went far over the limit";
  EXPECT_TRUE(results_match_schema({json}));
  expect_removed(sandbox_cgroup_directories(result), "an OOM kill");
}

TEST_F(LimitsTest, ForkBombIsStoppedByThePidsLimit) {
  TempDir dir;
  const auto json = dir / "result.json";
  const Milliseconds prompt = 5s + 10 * plain_run_time();
  const auto timeout = std::chrono::duration_cast<std::chrono::seconds>(3 * prompt);
  SpawnedProcess bomb(isotest_run_probe({"--pids", "32", "--timeout",
                                         std::to_string(timeout.count()) + "s", "--json", json},
                                        {"fork-bomb"}),
                      {.deadline = timeout + 60s});
  auto ready = bomb.wait_for_line("ready");
  ASSERT_TRUE(ready) << bomb.stderr_text();
  auto sandboxed = parse_sandboxed_pid(*ready);
  ASSERT_TRUE(sandboxed) << *ready;
  auto exit = bomb.wait();
  EXPECT_EQ(exit.exit_code, 0) << describe(exit) << "\n"
                               << bomb.stdout_text() << bomb.stderr_text();
  EXPECT_LT(exit.elapsed, prompt) << "isotest did not return promptly (a trivial run takes "
                                  << plain_run_time().count() << " ms)";
  EXPECT_TRUE(processes_in(sandboxed->pid_namespace).empty())
      << "the bomb's processes outlived isotest";
  auto refused = bomb.wait_for_line("fork refused after ", 0ms);
  ASSERT_TRUE(refused) << bomb.stdout_text();
  EXPECT_TRUE(contains(*refused, "EAGAIN")) << *refused;
  EXPECT_LT(std::stoi(refused->substr(std::string("fork refused after ").size())), 32) << *refused;
  EXPECT_TRUE(contains(bomb.stderr_text(),
                       ": reached the task limit: a fork or a new thread failed (--pids 32)\n"))
      << bomb.stderr_text();
  auto result = load_result(json);
  EXPECT_EQ(result["usage"]["pids_limit_hit"], true);
  if (!result["usage"]["pids_peak"].is_null()) {
    EXPECT_LE(result["usage"]["pids_peak"], 32);
  }
  expect_removed(sandbox_cgroup_directories(result), "a fork bomb");
}

// The kernel's own account of a cgroup's CPU bandwidth, in its own clocks.
struct Bandwidth {
  double periods = -1;    // periods in which the cgroup ran
  double throttled = -1;  // of those, the ones in which it used up its quota (for messages)
  double usage_ms = -1;
};

Bandwidth bandwidth_of(const std::map<std::string, std::string>& dirs) {
  Bandwidth bandwidth;
  const bool v1 = expected_support() == CgroupSupport::v1;
  const auto stat = parse_name_value_lines(read_file(dirs.at(v1 ? "cpu" : "") + "/cpu.stat"));
  bandwidth.periods = number_in(stat, "nr_periods");
  bandwidth.throttled = number_in(stat, "nr_throttled");
  if (v1) {
    const auto usage_ns = lines_of(read_file(dirs.at("cpuacct") + "/cpuacct.usage"));
    if (!usage_ns.empty()) bandwidth.usage_ms = std::stod(usage_ns.front()) / 1e6;
  } else {
    bandwidth.usage_ms = number_in(stat, "usage_usec") / 1e3;
  }
  return bandwidth;
}

// In the emulated VM (run-in-vm.sh sets ISOTEST_IN_VM) a busy loop's CPU time runs up to 1.5
// times as fast as its wall time (TCG, hpet clocksource, host under load), so CPU time against
// wall time says nothing there; the kernel's bandwidth counters still do.
bool cpu_and_wall_clocks_agree() {
  return std::getenv("ISOTEST_IN_VM") == nullptr;
}

TEST_F(LimitsTest, HalfACpuHalvesTheCpuTimeOfABusyLoop) {
  TempDir dir;
  const auto json = dir / "result.json";
  // An unlimited loop beside the limited one shows how much CPU this host gives right now: a
  // loaded CI machine may not give either of them half a CPU.
  std::unique_ptr<SpawnedProcess> unlimited;
  if (cpu_and_wall_clocks_agree()) {
    unlimited = std::make_unique<SpawnedProcess>(isotest_run_probe({}, {"busy", "2"}));
  }
  SpawnedProcess limited(isotest_run_probe({"--cpus", "0.5", "--json", json}, {"busy", "2"}));
  auto done = limited.wait_for_line("done ");
  ASSERT_TRUE(done) << limited.stderr_text();
  auto sandboxed = parse_sandboxed_pid(*done);
  ASSERT_TRUE(sandboxed) << *done;
  auto host_pid = find_host_pid(*sandboxed);
  ASSERT_TRUE(host_pid) << *done;
  const Bandwidth kernel = bandwidth_of(cgroup_directories_of(*host_pid));
  limited.close_stdin();
  auto exit = limited.wait();
  ASSERT_EQ(exit.exit_code, 0) << describe(exit) << limited.stderr_text();

  // What the kernel counted: a quota in force (the bandwidth timer only counts periods then), and
  // never more than 50 ms per 100 ms period, give or take the period the loop started in and one
  // period's overrun, which is paid back later. On a loaded host the loop may not even reach it.
  EXPECT_GE(kernel.periods, 1) << "no CPU quota in force";
  EXPECT_LE(kernel.usage_ms, 50 * (kernel.periods + 2))
      << kernel.periods << " periods, " << kernel.throttled << " throttled";
  // isotest reports the kernel's figure, read once the test has exited.
  auto result = load_result(json);
  const double cpu_ms =
      result["usage"]["cpu_user_ms"].get<double>() + result["usage"]["cpu_system_ms"].get<double>();
  EXPECT_GE(cpu_ms, kernel.usage_ms - 2) << result["usage"];
  EXPECT_LE(cpu_ms, 1.05 * kernel.usage_ms + 50) << result["usage"];
  expect_removed(sandbox_cgroup_directories(result), "a --cpus run");
  if (!unlimited) {
    std::cout << "note: CPU time against wall time not checked: ISOTEST_IN_VM is set, and an "
                 "emulated VM's clocks disagree\n";
    return;
  }

  // What the loops saw themselves: their wall time, and how much of it they were on a CPU.
  unlimited->close_stdin();
  auto unlimited_exit = unlimited->wait();
  ASSERT_EQ(unlimited_exit.exit_code, 0) << describe(unlimited_exit) << unlimited->stderr_text();
  const auto seen = parse_name_value_lines(limited.stdout_text());
  const double wall_ms = number_in(seen, "wall_ms");
  const double own_cpu_ms = number_in(seen, "cpu_ms");
  const double unlimited_cpu_ms =
      number_in(parse_name_value_lines(unlimited->stdout_text()), "cpu_ms");
  ASSERT_GE(wall_ms, 2000) << limited.stdout_text();
  ASSERT_GE(unlimited_cpu_ms, 0) << unlimited->stdout_text();
  EXPECT_LE(own_cpu_ms, 0.7 * wall_ms) << "the loop was not throttled";
  const double duration_ms = result["duration_ms"];
  EXPECT_LE(cpu_ms, 0.7 * duration_ms) << "the loop ran " << wall_ms << " ms";
  // Not throttled below the limit either. Against the loop's own wall time, not duration_ms,
  // which includes starting the sandbox.
  const double available_ms = std::min(0.5 * wall_ms, unlimited_cpu_ms);
  EXPECT_GE(cpu_ms, 0.6 * available_ms)
      << "the loop measured " << own_cpu_ms << " ms in " << wall_ms << " ms; an unlimited loop "
      << "beside it got " << unlimited_cpu_ms << " ms; the kernel counted " << kernel.periods
      << " periods, " << kernel.throttled << " throttled";
}

TEST_F(LimitsTest, PeakMemoryOf100MbIsReportedWithinTenPercent) {
  TempDir dir;
  const auto json = dir / "result.json";
  auto run = run_to_end(isotest_run_probe({"--json", json}, {"touch-memory", "100"}));
  ASSERT_EQ(run.exit.exit_code, 0) << describe(run);
  auto result = load_result(json);
  const auto peak = result["usage"]["peak_memory_bytes"].get<std::uint64_t>();
  EXPECT_GE(peak, 90 * kMiB) << result["usage"];
  EXPECT_LE(peak, 110 * kMiB) << result["usage"];
  EXPECT_EQ(result["usage"]["peak_memory_is_approximate"], false);
  expect_removed(sandbox_cgroup_directories(result), "a run without limits");
}

// What the kernel enforces in the test's cgroup while it runs: the first line of each limit file,
// by limit (v1's cpu as "QUOTA PERIOD", like v2's cpu.max).
std::map<std::string, std::string> observed_limits(const std::map<std::string, std::string>& dirs) {
  auto read = [](const std::string& path) {
    auto lines = lines_of(read_file(path));
    return lines.empty() ? std::string("(unreadable)") : lines.front();
  };
  if (expected_support() == CgroupSupport::v1) {
    return {{"memory", read(dirs.at("memory") + "/memory.limit_in_bytes")},
            {"pids", read(dirs.at("pids") + "/pids.max")},
            {"cpu", read(dirs.at("cpu") + "/cpu.cfs_quota_us") + " " +
                        read(dirs.at("cpu") + "/cpu.cfs_period_us")}};
  }
  const std::string& dir = dirs.at("");
  return {{"memory", read(dir + "/memory.max")},
          {"pids", read(dir + "/pids.max")},
          {"cpu", read(dir + "/cpu.max")},
          {"oom.group", read(dir + "/memory.oom.group")}};
}

TEST_F(LimitsTest, IsolationReportsTheCgroupItsControllersAndLimits) {
  TempDir dir;
  const auto json = dir / "result.json";
  SpawnedProcess sandbox(
      isotest_run_probe(with(kAllLimits, {"--json", json}), {"touch-memory", "1"}));
  auto line = sandbox.wait_for_line("touched");
  ASSERT_TRUE(line) << sandbox.stderr_text();
  auto reported = parse_sandboxed_pid(*line);
  ASSERT_TRUE(reported) << *line;
  auto host_pid = find_host_pid(*reported);
  ASSERT_TRUE(host_pid) << *line;
  // Where the test really is, and what the kernel enforces there.
  const auto test_dirs = cgroup_directories_of(*host_pid);
  const auto parents = launcher_cgroup_parents();
  std::set<std::string> names;
  for (const auto& [controller, directory] : test_dirs) {
    names.insert(basename_of(directory));
    EXPECT_TRUE(std::find(parents.begin(), parents.end(), parent_of(directory)) != parents.end())
        << directory << " is not directly below the cgroup isotest was started in";
  }
  ASSERT_EQ(names.size(), 1u) << "the test is in differently named cgroups";
  EXPECT_TRUE(names.begin()->starts_with("isotest-" + std::to_string(sandbox.pid()) + "-"))
      << *names.begin();
  const auto limits = observed_limits(test_dirs);
  EXPECT_EQ(limits.at("memory"), std::to_string(64 * kMiB));
  EXPECT_EQ(limits.at("pids"), "32");
  EXPECT_EQ(limits.at("cpu"), "50000 100000");
  if (expected_support() == CgroupSupport::v2) {
    EXPECT_EQ(limits.at("oom.group"), "1");
  }
  sandbox.close_stdin();
  auto exit = sandbox.wait();
  ASSERT_EQ(exit.exit_code, 0) << describe(exit) << sandbox.stderr_text();

  const auto cgroup = load_result(json)["isolation"]["cgroup"];
  EXPECT_EQ(cgroup["version"], version_name(expected_support()));
  const std::string path = cgroup["path"].is_string() ? cgroup["path"].get<std::string>() : "";
  EXPECT_EQ(basename_of(path), *names.begin()) << cgroup;
  auto controllers = cgroup["controllers"].get<std::vector<std::string>>();
  for (const auto& controller : expected_controllers()) {
    EXPECT_TRUE(std::find(controllers.begin(), controllers.end(), controller) != controllers.end())
        << controller << " missing from " << cgroup["controllers"];
  }
  EXPECT_EQ(cgroup["limits"]["memory_max_bytes"], 64 * kMiB);
  EXPECT_EQ(cgroup["limits"]["pids_max"], 32);
  EXPECT_EQ(cgroup["limits"]["cpus"], 0.5);
  EXPECT_EQ(cgroup["missing_limits"], nlohmann::json::array());
  EXPECT_TRUE(cgroup["unavailable_reason"].is_null()) << cgroup;
  EXPECT_TRUE(results_match_schema({json}));
  std::vector<std::string> created;
  created.reserve(test_dirs.size());
  for (const auto& [controller, directory] : test_dirs) created.push_back(directory);
  expect_removed(created, "a normal exit");
}

// Runs the probe with every limit and checks that its cgroup is gone once isotest returns.
void expect_no_cgroup_left(const std::vector<std::string>& options,
                           const std::vector<std::string>& probe_args, int exit_code,
                           const std::string& status) {
  TempDir dir;
  const auto json = dir / "result.json";
  auto run =
      run_to_end(isotest_run_probe(with(with(kAllLimits, options), {"--json", json}), probe_args));
  EXPECT_EQ(run.exit.exit_code, exit_code) << describe(run);
  auto result = load_result(json);
  EXPECT_EQ(result["status"], status);
  auto directories = sandbox_cgroup_directories(result);
  ASSERT_FALSE(directories.empty()) << result["isolation"]["cgroup"];
  expect_removed(directories, "a run that ended in " + status);
}

TEST_F(LimitsTest, NoCgroupIsLeftAfterANormalExit) {
  expect_no_cgroup_left({}, {"exit", "0"}, 0, "passed");
}

TEST_F(LimitsTest, NoCgroupIsLeftAfterATimeout) {
  expect_no_cgroup_left({"--timeout", "1s", "--kill-after", "1s"}, {"sleep"}, 124, "timeout");
}

TEST_F(LimitsTest, NoCgroupIsLeftAfterACrash) {
  expect_no_cgroup_left({}, {"kill-self", std::to_string(SIGSEGV)}, 128 + SIGSEGV, "crashed");
}

// A SIGTERM while the sandbox waits for its release (isotest holds there for the test, see
// ISOTEST_TEST_PAUSE_AT): the test never starts, and the sandbox and its cgroup are gone by the
// time isotest returns.
TEST_F(LimitsTest, NoCgroupIsLeftAfterASignalBeforeTheTestStarted) {
  TempDir dir;
  const auto json = dir / "result.json";
  SpawnedProcess held(isotest_run_probe(with(kAllLimits, {"--json", json}), {"hostname"}),
                      {.extra_environment = {"ISOTEST_TEST_PAUSE_AT=release"}});
  ASSERT_TRUE(wait_until([&] { return process_state(held.pid()) == 'T'; })) << held.stderr_text();
  const auto created = cgroups_of_launcher(held.pid());
  EXPECT_FALSE(created.empty()) << "no cgroup while the sandbox waits for its release";
  held.send_signal(SIGTERM);
  held.send_signal(SIGCONT);
  const auto exit = held.wait();
  EXPECT_EQ(exit.exit_code, 128 + SIGTERM) << describe(exit) << held.stderr_text();
  EXPECT_EQ(held.stdout_text(), "") << "the test ran";
  auto result = load_result(json);
  EXPECT_EQ(result["killed_by_harness"]["test_started"], false);
  expect_removed(created, "a SIGTERM before the release");
}

TEST_F(LimitsTest, StaleCgroupOfAKilledIsotestIsRemovedByTheNextRun) {
  SpawnedProcess sandbox(isotest_run_probe(kAllLimits, {"touch-memory", "1"}));
  ASSERT_TRUE(sandbox.wait_for_line("touched")) << sandbox.stderr_text();
  const auto created = cgroups_of_launcher(sandbox.pid());
  EXPECT_EQ(created.size(), launcher_cgroup_parents().size())
      << "expected one cgroup per hierarchy, found " << ::testing::PrintToString(created);
  sandbox.send_signal(SIGKILL);
  auto exit = sandbox.wait();
  EXPECT_EQ(exit.signal, SIGKILL) << describe(exit);
  // isotest had no chance to remove them; they are stale now that it is gone (and reaped). The
  // next run, even one without limits, must clean them up.
  auto next = run_to_end(isotest_run_probe({}, {"exit", "0"}));
  EXPECT_EQ(next.exit.exit_code, 0) << describe(next);
  expect_removed(created, "the next isotest run");
}

// Without a PID namespace nothing takes a daemon down with init: the cgroup must (on v1 through
// the freezer, which isotest skips when the cgroup is already empty).
TEST_F(LimitsTest, WithASharedPidNamespaceTheCgroupKillsALeakedDaemon) {
  const auto pid_file = "/tmp/" + unique_name("isotest-it-daemon") + ".pid";
  SpawnedProcess sandbox(isotest_run_probe({"--share", "pid"}, {"daemonize", pid_file}));
  auto line = sandbox.wait_for_line("daemon ");
  ASSERT_TRUE(line) << sandbox.stderr_text();
  auto reported = parse_sandboxed_pid(*line);
  ASSERT_TRUE(reported) << *line;
  EXPECT_EQ(reported->pid_namespace, host_namespace("pid")) << "--share pid was not honoured";
  auto host_pid = find_host_pid(*reported);
  ASSERT_TRUE(host_pid) << *line;
  ASSERT_TRUE(process_running(*host_pid, reported->pid_namespace));
  sandbox.close_stdin();
  auto exit = sandbox.wait();
  EXPECT_EQ(exit.exit_code, 0) << describe(exit) << sandbox.stderr_text();
  // No polling: when `isotest run` has returned, the daemon must already be gone.
  const bool survived = process_running(*host_pid, reported->pid_namespace);
  EXPECT_FALSE(survived) << "daemon (PID " << *host_pid << ") outlived isotest run";
  if (survived) ::kill(*host_pid, SIGKILL);
  ::unlink(pid_file.c_str());
}

TEST_F(LimitsRefusedTest, EachLimitIsRefusedWithExit125AndARemedy) {
  TempDir dir;
  std::vector<std::string> files;
  for (const auto& [option, value] : std::vector<std::pair<std::string, std::string>>{
           {"--memory", "64M"}, {"--pids", "32"}, {"--cpus", "0.5"}}) {
    const auto json = dir / (option.substr(2) + ".json");
    auto run =
        run_to_end(isotest_run_probe({option, value, "--json", json}, {"touch-memory", "1"}));
    EXPECT_EQ(run.exit.exit_code, 125) << option << ": " << describe(run);
    EXPECT_FALSE(contains(run.out, "touched")) << option << ": the test ran without its limit";
    EXPECT_TRUE(contains(run.err, "cannot apply " + option)) << run.err;
    EXPECT_TRUE(contains(run.err, "--allow-degraded")) << "no remedy given:\n" << run.err;
    // A refusal before the run is a sandbox_error result, like every other setup failure.
    auto result = load_result(json);
    EXPECT_EQ(result["status"], "sandbox_error") << option;
    EXPECT_EQ(result["launcher_exit_code"], 125) << option;
    EXPECT_EQ(result["error"]["stage"], "cgroup") << option;
    EXPECT_TRUE(contains(result["error"]["message"].get<std::string>(), option)) << result["error"];
    EXPECT_TRUE(result["error"]["hint"].is_string()) << result["error"];
    EXPECT_EQ(result["isolation"]["cgroup"]["missing_limits"], nlohmann::json({option.substr(2)}));
    // The reason reads once: "cannot create a cgroup in DIR: EACCES (Permission denied)".
    if (result["error"]["errno_name"].is_string()) {
      const auto errno_name = result["error"]["errno_name"].get<std::string>();
      std::string repeated = errno_name;
      repeated += ": ";
      repeated += errno_name;
      EXPECT_FALSE(contains(run.err, repeated)) << run.err;
    }
    files.push_back(json);
  }
  EXPECT_TRUE(results_match_schema(files));
}

TEST_F(LimitsRefusedTest, AllowDegradedRunsAndListsTheMissingLimits) {
  TempDir dir;
  const auto json = dir / "result.json";
  auto run = run_to_end(isotest_run_probe(with(kAllLimits, {"--allow-degraded", "--json", json}),
                                          {"touch-memory", "1"}));
  EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
  EXPECT_TRUE(contains(run.out, "touched 1 MB")) << describe(run);
  // Said on stderr too, for people who do not read the result file.
  EXPECT_TRUE(contains(run.err, "warning: ran without --memory, --pids, --cpus (--allow-degraded)"))
      << describe(run);
  auto result = load_result(json);
  const auto& cgroup = result["isolation"]["cgroup"];
  EXPECT_EQ(cgroup["missing_limits"], nlohmann::json({"memory", "pids", "cpus"})) << cgroup;
  EXPECT_TRUE(cgroup["limits"]["memory_max_bytes"].is_null()) << cgroup;
  EXPECT_TRUE(cgroup["limits"]["pids_max"].is_null()) << cgroup;
  EXPECT_TRUE(cgroup["limits"]["cpus"].is_null()) << cgroup;
  EXPECT_TRUE(cgroup["unavailable_reason"].is_string()) << cgroup;
  EXPECT_EQ(result["usage"]["peak_memory_is_approximate"], true) << result["usage"];
  EXPECT_TRUE(results_match_schema({json}));
}

}  // namespace
}  // namespace isotest::integration
