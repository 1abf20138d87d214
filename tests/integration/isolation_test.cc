// Isolation, observed: namespaces, processes, hostname, IPC, /tmp, network, time and ids, each
// looked at from inside with the probe and from outside with the host's own view.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <random>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "host_view.h"
#include "spawned_process.h"

namespace isotest::integration {
namespace {

constexpr const char* kNamespaces[] = {"user", "mnt", "pid", "net", "ipc", "uts", "cgroup"};

std::map<std::string, std::string> namespaces_inside(const std::vector<std::string>& options) {
  auto run = run_to_end(isotest_run_probe(options, {"namespaces"}));
  EXPECT_EQ(run.exit.exit_code, 0) << describe(run);
  return parse_name_value_lines(run.out);
}

std::string host_nodename() {
  utsname names{};
  ::uname(&names);
  return names.nodename;
}

TEST(RunTest, NamespacesDifferFromTheHosts) {
  auto inside = namespaces_inside({});
  for (const char* name : kNamespaces) {
    ASSERT_TRUE(inside.contains(name)) << name;
    EXPECT_NE(inside[name], host_namespace(name)) << name << " namespace is the host's";
  }
}

TEST(RunTest, SharedNetworkNamespaceIsTheHostsAndTheOthersStayPrivate) {
  auto inside = namespaces_inside({"--share", "net"});
  for (const char* name : kNamespaces) {
    ASSERT_TRUE(inside.contains(name)) << name;
    if (std::string(name) == "net") {
      EXPECT_EQ(inside[name], host_namespace(name));
    } else {
      EXPECT_NE(inside[name], host_namespace(name)) << name << " namespace is the host's";
    }
  }
  // The host's interfaces and routes, seen from inside, are the host's.
  auto host = run_to_end({tools().probe, "interfaces"});
  auto shared = run_to_end(isotest_run_probe({"--share", "net"}, {"interfaces"}));
  ASSERT_EQ(shared.exit.exit_code, 0) << describe(shared);
  EXPECT_EQ(shared.out, host.out);
}

TEST(RunTest, HostProcessesAreInvisibleInside) {
  auto run = run_to_end(isotest_run_probe({}, {"pids"}));
  ASSERT_EQ(run.exit.exit_code, 0) << describe(run);
  std::istringstream words(run.out);
  std::string label;
  words >> label;
  ASSERT_EQ(label, "pids") << run.out;
  std::set<long> pids;
  for (long pid; words >> pid;) pids.insert(pid);
  EXPECT_TRUE(pids.contains(1)) << "isotest's init is not PID 1: " << run.out;
  EXPECT_LE(pids.size(), 3u) << "more than init and the test are visible: " << run.out;
  EXPECT_FALSE(pids.contains(::getpid())) << run.out;
}

TEST(RunTest, HostProcessesCannotBeSignalled) {
  SpawnedProcess bystander({tools().probe, "sleep"});
  ASSERT_TRUE(bystander.wait_for_line("ready"));
  const auto host_pid_namespace = host_namespace("pid");
  // SIGKILL for the bystander; signal 0 (existence only) for ourselves, so that a sandbox that
  // does see us fails this test rather than killing the test run.
  const std::pair<pid_t, const char*> targets[] = {{bystander.pid(), "9"}, {::getpid(), "0"}};
  for (const auto& options : {std::vector<std::string>{}, std::vector<std::string>{"--root"}}) {
    for (const auto& [target, sig] : targets) {
      auto run = run_to_end(isotest_run_probe(options, {"kill", std::to_string(target), sig}));
      EXPECT_EQ(run.exit.exit_code, 1) << describe(run);
      EXPECT_NE(run.out.find("ESRCH"), std::string::npos) << describe(run);
    }
  }
  EXPECT_TRUE(process_running(bystander.pid(), host_pid_namespace));
}

TEST(RunTest, HostnameSetInsideDoesNotChangeTheHosts) {
  const auto host_before = host_nodename();
  auto named = run_to_end(isotest_run_probe({"--hostname", "foo"}, {"hostname"}));
  EXPECT_EQ(named.exit.exit_code, 0) << describe(named);
  EXPECT_EQ(named.out, "foo\n");
  auto renamed = run_to_end(isotest_run_probe({"--root"}, {"set-hostname", "bar"}));
  EXPECT_EQ(renamed.exit.exit_code, 0) << describe(renamed);
  EXPECT_EQ(renamed.out, "bar\n");
  auto fresh = run_to_end(isotest_run_probe({}, {"hostname"}));
  EXPECT_EQ(fresh.out, "isotest\n") << "the default hostname, not the last sandbox's";
  EXPECT_EQ(host_nodename(), host_before);
}

TEST(RunTest, SysVSharedMemoryMadeInsideIsInvisibleOutside) {
  std::mt19937 random(std::random_device{}());
  key_t key = 0;
  do {
    key = static_cast<key_t>(0x1500'0000 + random() % 0x00ff'ffff);
  } while (shm_key_exists(key));
  SpawnedProcess sandbox(isotest_run_probe({}, {"shm", std::to_string(key)}));
  ASSERT_TRUE(sandbox.wait_for_line("shm ")) << sandbox.stderr_text();
  EXPECT_FALSE(shm_key_exists(key)) << "the sandbox's segment is visible on the host";
  for (const auto& line : lines_of(read_file("/proc/sysvipc/shm"))) {
    std::istringstream fields(line);
    std::string first;
    fields >> first;
    EXPECT_NE(first, std::to_string(key)) << line;
  }
  sandbox.close_stdin();
  EXPECT_EQ(sandbox.wait().exit_code, 0) << sandbox.stderr_text();
  EXPECT_FALSE(shm_key_exists(key));
}

TEST(RunTest, FileWrittenToTmpInsideIsNotOnTheHost) {
  const auto name = unique_name("isotest-it-tmpfile");
  const auto host_path = "/tmp/" + name;
  SpawnedProcess sandbox(
      isotest_run({}, {"/bin/sh", "-c",
                       R"sh(echo inside > "/tmp/$1" && echo "written $(cat "/tmp/$1")" &&
                          exec cat > /dev/null)sh",
                       "sh", name}));
  auto written = sandbox.wait_for_line("written");
  ASSERT_TRUE(written) << sandbox.stderr_text();
  EXPECT_EQ(*written, "written inside");
  EXPECT_FALSE(path_exists(host_path));
  sandbox.close_stdin();
  EXPECT_EQ(sandbox.wait().exit_code, 0) << sandbox.stderr_text();
  EXPECT_FALSE(path_exists(host_path));
  ::unlink(host_path.c_str());
}

TEST(RunTest, SandboxHasOnlyLoopbackUpAndNoRoutes) {
  auto run = run_to_end(isotest_run_probe({}, {"interfaces"}));
  ASSERT_EQ(run.exit.exit_code, 0) << describe(run);
  EXPECT_EQ(run.out, "interface lo up\n") << "expected only lo, up, and an empty /proc/net/route";
}

TEST(RunTest, NetworkNoneLeavesLoopbackDown) {
  auto run = run_to_end(isotest_run_probe({"--network", "none"}, {"interfaces"}));
  ASSERT_EQ(run.exit.exit_code, 0) << describe(run);
  EXPECT_EQ(run.out, "interface lo down\n");
}

// Holds 127.0.0.1:PORT on the host while two sandboxes hold it too: three owners at once.
TEST(RunTest, TwoSandboxesBindTheSameLoopbackPortAtOnce) {
  const int host_socket = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(host_socket, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(host_socket, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(host_socket, 1), 0);
  ASSERT_EQ(::getsockname(host_socket, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const auto port = std::to_string(ntohs(address.sin_port));

  SpawnedProcess first(isotest_run_probe({}, {"hold-port", port}));
  SpawnedProcess second(isotest_run_probe({}, {"hold-port", port}));
  // Neither lets go before we close its stdin, so both lines mean both held the port together.
  EXPECT_TRUE(first.wait_for_line("bound")) << first.stderr_text();
  EXPECT_TRUE(second.wait_for_line("bound")) << second.stderr_text();
  first.close_stdin();
  second.close_stdin();
  EXPECT_EQ(first.wait().exit_code, 0) << first.stderr_text();
  EXPECT_EQ(second.wait().exit_code, 0) << second.stderr_text();
  ::close(host_socket);
}

struct Clocks {
  double uptime = 0;
  double monotonic = 0;
  double boottime = 0;
};

Clocks host_clocks() {
  auto run = run_to_end({tools().probe, "clocks"});
  auto values = parse_name_value_lines(run.out);
  return {std::stod(values.at("uptime")), std::stod(values.at("monotonic")),
          std::stod(values.at("boottime"))};
}

TEST(RunTest, TimeOffsetMovesUptimeAndClocksAhead) {
  constexpr double kOffset = 86400;
  const auto before = host_clocks();
  auto run = run_to_end(isotest_run_probe({"--time-offset", "86400"}, {"clocks"}));
  const auto after = host_clocks();
  ASSERT_EQ(run.exit.exit_code, 0) << describe(run);
  auto values = parse_name_value_lines(run.out);
  const Clocks inside{std::stod(values.at("uptime")), std::stod(values.at("monotonic")),
                      std::stod(values.at("boottime"))};
  // /proc/uptime has a resolution of 10 ms.
  EXPECT_GE(inside.uptime, before.uptime + kOffset - 0.02);
  EXPECT_LE(inside.uptime, after.uptime + kOffset + 0.02);
  EXPECT_GE(inside.monotonic, before.monotonic + kOffset);
  EXPECT_LE(inside.monotonic, after.monotonic + kOffset);
  EXPECT_GE(inside.boottime, before.boottime + kOffset);
  EXPECT_LE(inside.boottime, after.boottime + kOffset);

  auto namespaces = namespaces_inside({"--time-offset", "86400"});
  EXPECT_NE(namespaces["time"], host_namespace("time"));
}

TEST(RunTest, RootFlagMapsTheCallerToUidZero) {
  auto root = run_to_end(isotest_run_probe({"--root"}, {"ids"}));
  EXPECT_EQ(root.exit.exit_code, 0) << describe(root);
  EXPECT_EQ(root.out, "uid=0 euid=0 gid=0 egid=0\n");

  auto self = run_to_end(isotest_run_probe({}, {"ids"}));
  EXPECT_EQ(self.exit.exit_code, 0) << describe(self);
  const auto uid = std::to_string(::geteuid());
  const auto gid = std::to_string(::getegid());
  EXPECT_EQ(self.out, "uid=" + uid + " euid=" + uid + " gid=" + gid + " egid=" + gid + "\n");
}

}  // namespace
}  // namespace isotest::integration
