// The network lab (issue 15): packet capture, network conditions and services, observed from
// outside -- the capture parsed from its file, a transfer timed by the probe, a service's
// answer -- not taken from isotest's own report.
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "host_view.h"
#include "result_file.h"
#include "spawned_process.h"

namespace isotest::integration {
namespace {

struct Packet {
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::uint8_t tcp_flags = 0;
  std::size_t payload_bytes = 0;
};

constexpr std::uint8_t kFin = 0x01;
constexpr std::uint8_t kSyn = 0x02;

std::uint16_t big_endian_16(const std::string& bytes, std::size_t at) {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(bytes[at]) << 8) |
                                    static_cast<unsigned char>(bytes[at + 1]));
}

// The TCP/IPv4 packets of a classic pcap file (pcap-savefile(5)) of Ethernet frames; any other
// content fails the test.
std::vector<Packet> read_pcap(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream content;
  content << file.rdbuf();
  const std::string bytes = content.str();
  std::vector<Packet> packets;
  EXPECT_GE(bytes.size(), 24U);
  if (bytes.size() < 24) return packets;
  std::uint32_t magic = 0;
  std::uint32_t link_type = 0;
  std::memcpy(&magic, bytes.data(), 4);
  std::memcpy(&link_type, bytes.data() + 20, 4);
  EXPECT_EQ(magic, 0xa1b2c3d4U);
  EXPECT_EQ(link_type, 1U);  // DLT_EN10MB
  std::size_t at = 24;
  while (at + 16 <= bytes.size()) {
    std::uint32_t captured = 0;
    std::memcpy(&captured, bytes.data() + at + 8, 4);
    const std::string frame = bytes.substr(at + 16, captured);
    at += 16 + captured;
    EXPECT_EQ(frame.size(), captured) << "a record runs past the end of the file";
    if (frame.size() < 14 + 20 || big_endian_16(frame, 12) != 0x0800) continue;  // IPv4 only
    const std::size_t ip = 14;
    const std::size_t ip_header = (static_cast<unsigned char>(frame[ip]) & 0x0f) * 4U;
    if (frame[ip + 9] != 6) continue;  // TCP
    const std::size_t tcp = ip + ip_header;
    const std::size_t tcp_header = (static_cast<unsigned char>(frame[tcp + 12]) >> 4) * 4U;
    Packet packet;
    packet.source_port = big_endian_16(frame, tcp);
    packet.destination_port = big_endian_16(frame, tcp + 2);
    packet.tcp_flags = static_cast<std::uint8_t>(frame[tcp + 13]);
    packet.payload_bytes = big_endian_16(frame, ip + 2) - ip_header - tcp_header;
    packets.push_back(packet);
  }
  EXPECT_EQ(at, bytes.size()) << "trailing bytes after the last record";
  return packets;
}

// The number the probe printed after `key=` on its `prefix` line.
double printed_value(const std::string& out, const std::string& prefix, const std::string& key) {
  const auto line = out.find(prefix);
  if (line == std::string::npos) return -1;
  const auto value = out.find(key + "=", line);
  return value == std::string::npos ? -1 : std::atof(out.c_str() + value + key.size() + 1);
}

TEST(NetLabTest, CaptureHoldsTheHandshakeTheDataAndTheCloseOfAConnection) {
  TempDir dir;
  const auto pcap = dir / "run.pcap";
  const auto json = dir / "result.json";
  auto run = run_to_end(
      isotest_run_probe({"--capture", pcap, "--json", json}, {"tcp-bulk", "7000", "5000"}));
  ASSERT_EQ(run.exit.exit_code, 0) << describe(run);
  const auto packets = read_pcap(pcap);
  std::size_t syns = 0;
  std::size_t fins = 0;
  std::size_t payload = 0;
  for (const auto& packet : packets) {
    EXPECT_TRUE(packet.source_port == 7000 || packet.destination_port == 7000);
    if ((packet.tcp_flags & kSyn) != 0) ++syns;
    if ((packet.tcp_flags & kFin) != 0) ++fins;
    payload += packet.payload_bytes;
  }
  EXPECT_EQ(syns, 2U) << "SYN and SYN-ACK";
  EXPECT_EQ(fins, 2U) << "a FIN each way";
  EXPECT_EQ(payload, 5000U) << "each byte once: lo's outgoing copies are left out";
  const auto result = load_result(json);
  EXPECT_EQ(result["capture"]["path"], pcap);
  EXPECT_EQ(result["capture"]["format"], "pcap");
  EXPECT_EQ(result["capture"]["packets"], packets.size());
  EXPECT_EQ(result["capture"]["truncated"], false);
  EXPECT_EQ(result["capture"]["bytes"], std::filesystem::file_size(pcap));
  EXPECT_TRUE(results_match_schema({json}));
}

TEST(NetLabTest, CaptureStopsAtItsLimitAndSaysSo) {
  TempDir dir;
  const auto pcap = dir / "run.pcap";
  const auto json = dir / "result.json";
  auto run =
      run_to_end(isotest_run_probe({"--capture", pcap, "--capture-limit", "2K", "--json", json},
                                   {"tcp-bulk", "7000", "200000"}));
  ASSERT_EQ(run.exit.exit_code, 0) << describe(run);
  EXPECT_LE(std::filesystem::file_size(pcap), 2048U);
  const auto packets = read_pcap(pcap);
  const auto result = load_result(json);
  EXPECT_EQ(result["capture"]["truncated"], true);
  EXPECT_EQ(result["capture"]["limit_bytes"], 2048);
  EXPECT_EQ(result["capture"]["packets"], packets.size());
  EXPECT_GT(packets.size(), 0U);
}

TEST(NetLabTest, CaptureIntoADirectoryIsRefusedBeforeTheRun) {
  TempDir dir;
  const auto marker = dir / "ran";
  auto run =
      run_to_end(isotest_run({"--capture", dir.path()}, {"/bin/sh", "-c", "echo > " + marker}));
  EXPECT_EQ(run.exit.exit_code, 125) << describe(run);
  EXPECT_FALSE(std::filesystem::exists(marker));
  EXPECT_TRUE(std::filesystem::is_directory(dir.path()));
}

// `--capture on-failure`: the capture lands in the artifacts folder of a run that failed, as
// capture.pcap, and is listed with the kept files; a passing run writes none and removes the one
// a failed run left there.
TEST(NetLabTest, CaptureOnFailureKeepsAFailedRunsPacketsWithItsArtifacts) {
  TempDir dir;
  const auto kept = dir / "kept";
  const auto json = dir / "result.json";
  // The probe is $0, an argument of its own, so that isotest keeps it visible when the build
  // tree lies below /tmp (a path inside the script's text is not looked for).
  auto failed = run_to_end(
      isotest_run({"--capture", "on-failure", "--artifacts", kept, "--json", json},
                  {"/bin/sh", "-c", "\"$0\" tcp-bulk 7000 5000 && exit 3", tools().probe}));
  ASSERT_EQ(failed.exit.exit_code, 3) << describe(failed);
  const std::string pcap = kept + "/capture.pcap";
  const auto packets = read_pcap(pcap);
  std::size_t payload = 0;
  for (const auto& packet : packets) payload += packet.payload_bytes;
  EXPECT_EQ(payload, 5000U);
  auto result = load_result(json);
  EXPECT_EQ(result["capture"]["path"], pcap);
  EXPECT_EQ(result["capture"]["kept"], true);
  EXPECT_EQ(result["capture"]["packets"], packets.size());
  const auto& paths = result["artifacts"]["paths"];
  EXPECT_NE(std::find(paths.begin(), paths.end(), "capture.pcap"), paths.end()) << paths;
  EXPECT_TRUE(results_match_schema({json}));

  auto passed =
      run_to_end(isotest_run({"--capture", "on-failure", "--artifacts", kept, "--json", json},
                             {tools().probe, "tcp-bulk", "7000", "5000"}));
  ASSERT_EQ(passed.exit.exit_code, 0) << describe(passed);
  EXPECT_FALSE(std::filesystem::exists(pcap)) << "the last run passed: no capture is kept";
  result = load_result(json);
  EXPECT_EQ(result["capture"]["kept"], false);
  EXPECT_GT(result["capture"]["packets"].get<int>(), 0);
  EXPECT_TRUE(results_match_schema({json}));
}

TEST(NetLabTest, CaptureOnFailureWithoutArtifactsOrWithKeepNeverIsRefused) {
  for (const std::vector<std::string>& options :
       {std::vector<std::string>{"--capture", "on-failure"},
        {"--capture", "on-failure", "--artifacts", "kept", "--keep", "never"}}) {
    auto run = run_to_end(isotest_run_probe(options, {"exit", "0"}));
    EXPECT_EQ(run.exit.exit_code, 125) << describe(run);
    EXPECT_NE(run.err.find("--capture on-failure"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("--artifacts"), std::string::npos) << run.err;
  }
}

// A capture.pcap that isotest did not write (a FIFO here, or a user's own file) is neither
// written through nor replaced: the run is refused before it starts.
TEST(NetLabTest, CaptureOnFailureNeverReplacesAFileItDidNotWrite) {
  TempDir dir;
  const auto kept = dir / "kept";
  std::filesystem::create_directory(kept);
  const std::string pcap = kept + "/capture.pcap";
  ASSERT_EQ(::mkfifo(pcap.c_str(), 0644), 0);
  const auto marker = dir / "ran";
  auto run = run_to_end(isotest_run({"--capture", "on-failure", "--artifacts", kept},
                                    {"/bin/sh", "-c", "echo > " + marker + "; exit 1"}));
  EXPECT_EQ(run.exit.exit_code, 125) << describe(run);
  EXPECT_NE(run.err.find("capture.pcap"), std::string::npos) << run.err;
  EXPECT_FALSE(std::filesystem::exists(marker)) << "refused before the test ran";
  EXPECT_TRUE(std::filesystem::is_fifo(pcap));
}

// The capture's receive ring (packet_ring.h) holds a burst while isotest cannot read: 8 MB over
// lo sent while isotest is stopped overflows a socket's receive queue, which net.core.rmem_max
// caps at a few MiB for an unprivileged socket (4 MiB here, and lo shows each packet twice
// without the filter), but not the ring. More than 8 MB may cross: lo drops and TCP resends
// under load, and the file holds both.
TEST(NetLabTest, CaptureKeepsEveryPacketOfABurstSentWhileIsotestCannotRead) {
  TempDir dir;
  const auto go = dir / "go";
  const auto done = dir / "done";
  const auto pcap = dir / "burst.pcap";
  const auto json = dir / "result.json";
  constexpr std::size_t kBytes = 8'000'000;
  // The probe is $0, an argument of its own, so that isotest keeps it visible when the build
  // tree lies below /tmp.
  const std::string script = "echo ready; while [ ! -e " + go + " ]; do sleep 0.01; done; \"$0\"" +
                             " tcp-bulk 7000 " + std::to_string(kBytes) + " && touch " + done;
  SpawnedProcess run(isotest_run(
      {"--keep-visible", dir.path(), "--capture", pcap, "--capture-limit", "1G", "--json", json},
      {"/bin/sh", "-c", script, tools().probe}));
  ASSERT_TRUE(run.wait_for_line("ready")) << run.stderr_text();
  run.send_signal(SIGSTOP);
  std::ofstream(go).put('\n');
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!std::filesystem::exists(done) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  const bool transferred = std::filesystem::exists(done);
  run.send_signal(SIGCONT);
  ASSERT_TRUE(transferred) << "the transfer did not end while isotest was stopped";
  const auto exit = run.wait();
  ASSERT_EQ(exit.exit_code, 0) << describe(exit) << run.stderr_text();
  std::size_t payload = 0;
  for (const auto& packet : read_pcap(pcap)) payload += packet.payload_bytes;
  const auto result = load_result(json);
  EXPECT_EQ(result["capture"]["dropped"], 0);
  EXPECT_GE(payload, kBytes);
}

// tbf lets `burst` bytes through at once, then RATE: 1.5 MB at 4 Mbit/s (500 kB/s) takes at
// least (1500000 - 65550) / 500000 s, 2.87 s; unshaped, lo moves it in milliseconds.
TEST(NetLabTest, NetRateSlowsABulkTransferToTheRate) {
  auto run =
      run_to_end(isotest_run_probe({"--net-rate", "4mbit"}, {"tcp-bulk", "7000", "1500000"}));
  ASSERT_EQ(run.exit.exit_code, 0) << describe(run);
  const double ms = printed_value(run.out, "bulk 1500000", "ms");
  EXPECT_GE(ms, (1500000.0 - 65550) / 500000 * 1000) << run.out;
}

TEST(NetLabTest, BadNetworkValuesAreRefusedWith125) {
  for (const std::vector<std::string>& options : {std::vector<std::string>{"--net-loss", "150%"},
                                                  {"--service", "=x"},
                                                  {"--net-rate", "fast"},
                                                  {"--net-delay", "10/x"},
                                                  {"--net-reorder", "5"},
                                                  {"--service-ready", "db=tcp:7000"},
                                                  {"--capture-limit", "10"}}) {
    auto run = run_to_end(isotest_run_probe(options, {"exit", "0"}));
    EXPECT_EQ(run.exit.exit_code, 125) << options[0] << " " << options[1] << "\n" << describe(run);
    EXPECT_NE(run.err.find(options[0]), std::string::npos) << run.err;
  }
}

std::string serve(const std::string& port, const std::string& name) {
  return name + "=exec " + tools().probe + " tcp-serve " + port + " " + name;
}

TEST(NetLabTest, ServiceIsReadyBeforeTheTestAndStoppedAfterIt) {
  TempDir dir;
  const auto json = dir / "result.json";
  auto run = run_to_end(isotest_run_probe(
      {"--service", serve("7000", "db"), "--service-ready", "db=tcp:7000", "--json", json},
      {"tcp-request", "7000", "hello"}));
  ASSERT_EQ(run.exit.exit_code, 0) << describe(run);
  EXPECT_NE(run.out.find("reply db hello"), std::string::npos) << run.out;
  const auto result = load_result(json);
  ASSERT_EQ(result["services"].size(), 1U) << result.dump();
  const auto& service = result["services"][0];
  EXPECT_EQ(service["name"], "db");
  EXPECT_EQ(service["ready"], true);
  EXPECT_EQ(service["status"], "running");
  EXPECT_EQ(service["signal_name"], "SIGTERM");
  EXPECT_NE(service["output_tail"].get<std::string>().find("serving db"), std::string::npos);
  EXPECT_TRUE(results_match_schema({json}));
}

TEST(NetLabTest, TwoRunsAtOnceEachHaveTheirOwnServiceOnTheSamePort) {
  std::vector<std::unique_ptr<SpawnedProcess>> runs;
  for (const char* name : {"first", "second"}) {
    // Each test waits for its stdin to close, which comes once both are running: the two
    // services hold port 6379 at the same time.
    runs.push_back(std::make_unique<SpawnedProcess>(isotest_run(
        {"--service", serve("6379", name), "--service-ready", std::string(name) + "=tcp:6379"},
        {"/bin/sh", "-c",
         "echo waiting; read line; exec " + tools().probe + " tcp-request 6379 " + name})));
  }
  for (auto& run : runs) ASSERT_TRUE(run->wait_for_line("waiting")) << run->stderr_text();
  for (auto& run : runs) run->close_stdin();
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const std::string name = i == 0 ? "first" : "second";
    auto exit = runs[i]->wait();
    EXPECT_EQ(exit.exit_code, 0) << runs[i]->stderr_text();
    EXPECT_NE(runs[i]->stdout_text().find("reply " + name + " " + name), std::string::npos)
        << runs[i]->stdout_text();
  }
}

TEST(NetLabTest, ServiceThatExitsEarlyFailsTheRunAndStopsTheTest) {
  TempDir dir;
  const auto json = dir / "result.json";
  auto run = run_to_end(
      isotest_run_probe({"--service", "flaky=sleep 0.3; exit 3", "--json", json}, {"sleep"}),
      SpawnOptions{.deadline = 20s});
  EXPECT_EQ(run.exit.exit_code, 1) << describe(run);
  EXPECT_LT(run.exit.elapsed, 15s);
  EXPECT_NE(run.err.find("stopped: service flaky exited before the test ended (exit code 3)"),
            std::string::npos)
      << run.err;
  const auto result = load_result(json);
  EXPECT_EQ(result["status"], "failed");
  EXPECT_EQ(result["killed_by_harness"]["reason"], "service");
  EXPECT_EQ(result["services"][0]["status"], "exited");
  EXPECT_EQ(result["services"][0]["exit_code"], 3);
  EXPECT_TRUE(results_match_schema({json}));
}

TEST(NetLabTest, ServiceNeverReadyEndsTheRunWith125) {
  auto run = run_to_end(isotest_run_probe({"--service", "slow=sleep 60", "--service-ready",
                                           "slow=tcp:7999", "--service-timeout", "300ms"},
                                          {"exit", "0"}));
  EXPECT_EQ(run.exit.exit_code, 125) << describe(run);
  EXPECT_NE(run.err.find("slow was not ready in time"), std::string::npos) << run.err;
  EXPECT_LT(run.exit.elapsed, 10s);
}

// A process whose command line holds `token` exists on the host.
bool process_with(const std::string& token) {
  DIR* proc = ::opendir("/proc");
  bool found = false;
  while (dirent* entry = ::readdir(proc)) {
    std::ifstream file(std::string("/proc/") + entry->d_name + "/cmdline", std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    if (text.str().find(token) != std::string::npos) found = true;
  }
  ::closedir(proc);
  return found;
}

TEST(NetLabTest, NothingOfAServiceIsLeftAfterATimeout) {
  const std::string token = unique_name("svc");
  auto run = run_to_end(isotest_run_probe(
      {"--timeout", "500ms", "--kill-after", "200ms", "--service", serve("7000", token)},
      {"sleep"}));
  EXPECT_EQ(run.exit.exit_code, 124) << describe(run);
  EXPECT_FALSE(process_with(token));
}

// netem is a module most distributions ship, but not every kernel has it: the CI machine's
// lacks it, the VM's Debian kernel has it (tests/vm). ISOTEST_EXPECT_NETEM says which this is:
// `present` (delay measured) or `absent` (refused with 125, naming the module).
std::string expected_netem() {
  const char* expected = std::getenv("ISOTEST_EXPECT_NETEM");
  return expected == nullptr ? "" : expected;
}

// True when this kernel lacks netem, after checking the run was refused before the test ran,
// naming the module; false (nothing checked) when the kernel has it.
bool refused_for_lack_of_netem(const Finished& run, const std::string& test_output) {
  const std::string expected = expected_netem();
  EXPECT_TRUE(expected == "present" || expected == "absent")
      << "set ISOTEST_EXPECT_NETEM to present or absent";
  if (expected != "absent") return false;
  EXPECT_EQ(run.exit.exit_code, 125) << describe(run);
  EXPECT_NE(run.err.find("module sch_netem"), std::string::npos) << run.err;
  EXPECT_EQ(run.out.find(test_output), std::string::npos) << "the test must not run";
  return true;
}

TEST(NetemTest, DelayDoublesTheRoundTripOrIsRefusedNamingTheModule) {
  auto run = run_to_end(isotest_run_probe({"--net-delay", "50"}, {"tcp-rtt", "7000", "5"}));
  if (refused_for_lack_of_netem(run, "rtt")) return;
  ASSERT_EQ(run.exit.exit_code, 0) << describe(run);
  // Each packet waits 50 ms on lo, and a round trip crosses lo twice.
  EXPECT_GE(printed_value(run.out, "rtt", "min_ms"), 100.0) << run.out;
}

TEST(NetemTest, TotalLossDropsEveryDatagramOrIsRefusedNamingTheModule) {
  auto run = run_to_end(isotest_run_probe({"--net-loss", "100%"}, {"udp-echo", "7000", "20"}));
  if (refused_for_lack_of_netem(run, "udp sent")) return;
  ASSERT_EQ(run.exit.exit_code, 0) << describe(run);
  EXPECT_EQ(printed_value(run.out, "udp", "sent"), 20) << run.out;
  EXPECT_EQ(printed_value(run.out, "udp", "received"), 0) << run.out;
}

// 30% loss on each crossing of lo: an echo comes back with probability 0.7 * 0.7 = 0.49, so 49
// of 100 on average (standard deviation 5); 20 to 80 is six deviations either way, and rules
// out both no loss and total loss.
TEST(NetemTest, PartialLossDropsAShareOfDatagramsOrIsRefusedNamingTheModule) {
  auto run = run_to_end(isotest_run_probe({"--net-loss", "30"}, {"udp-echo", "7000", "100"}));
  if (refused_for_lack_of_netem(run, "udp sent")) return;
  ASSERT_EQ(run.exit.exit_code, 0) << describe(run);
  EXPECT_EQ(printed_value(run.out, "udp", "sent"), 100) << run.out;
  const double received = printed_value(run.out, "udp", "received");
  EXPECT_GE(received, 20) << run.out;
  EXPECT_LE(received, 80) << run.out;
}

}  // namespace
}  // namespace isotest::integration
