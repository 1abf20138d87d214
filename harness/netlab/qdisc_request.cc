#include "qdisc_request.h"

#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace isotest {

namespace {

// A netlink message under construction: header, then attributes, each 4-byte aligned.
class NetlinkWriter {
 public:
  void append(const void* data, std::size_t size) {
    const auto* bytes = static_cast<const char*>(data);
    message_.insert(message_.end(), bytes, bytes + size);
    message_.resize(NLMSG_ALIGN(message_.size()), '\0');
  }
  // Starts an attribute; returns where its header is, for end_attribute.
  std::size_t begin_attribute(std::uint16_t type) {
    const std::size_t at = message_.size();
    nlattr header{.nla_len = 0, .nla_type = type};
    append(&header, sizeof header);
    return at;
  }
  void end_attribute(std::size_t at) {
    const auto length = static_cast<std::uint16_t>(message_.size() - at);
    std::memcpy(message_.data() + at, &length, sizeof length);
  }
  void attribute(std::uint16_t type, const void* data, std::size_t size) {
    const std::size_t at = begin_attribute(type);
    append(data, size);
    // nla_len counts the payload unpadded.
    const auto length = static_cast<std::uint16_t>(NLA_HDRLEN + size);
    std::memcpy(message_.data() + at, &length, sizeof length);
  }
  std::vector<char> finish() {
    const auto length = static_cast<std::uint32_t>(message_.size());
    std::memcpy(message_.data(), &length, sizeof length);  // nlmsg_len
    return std::move(message_);
  }

 private:
  std::vector<char> message_;
};

// A percentage as netem's probabilities: a fraction of 2^32 - 1.
std::uint32_t probability(double percent) {
  return static_cast<std::uint32_t>(
      std::lround(percent / 100.0 * std::numeric_limits<std::uint32_t>::max()));
}

std::int64_t nanoseconds(double ms) {
  return static_cast<std::int64_t>(std::llround(ms * 1e6));
}

// The kernel's packet scheduler clock ticks are 64 ns (PSCHED_SHIFT 6).
std::uint32_t ticks(std::int64_t ns) {
  return static_cast<std::uint32_t>(std::min<std::int64_t>(ns >> 6, UINT32_MAX));
}

constexpr std::uint32_t kNetemQueuePackets = 10'000;  // tc's default of 1000 drops bulk traffic
// The largest frame lo sends: its MTU (65536) and the Ethernet header (psched_mtu()). tbf drops
// a packet larger than its burst, so the burst is at least this.
constexpr std::uint64_t kLoopbackFrameBytes = 65536 + 14;

void netem_options(NetlinkWriter& writer, const NetworkConditions& conditions) {
  tc_netem_qopt options{};
  options.limit = kNetemQueuePackets;
  const std::int64_t delay = nanoseconds(conditions.delay_ms.value_or(0));
  const std::int64_t jitter = nanoseconds(conditions.jitter_ms.value_or(0));
  options.latency = ticks(delay);
  options.jitter = ticks(jitter);
  options.loss = probability(conditions.loss_percent.value_or(0));
  options.duplicate = probability(conditions.duplicate_percent.value_or(0));
  // As tc does: reordering sends some packets at once while the others wait the delay; gap 1
  // makes every packet a candidate.
  if (conditions.reorder_percent) options.gap = 1;
  const std::size_t at = writer.begin_attribute(TCA_OPTIONS);
  writer.append(&options, sizeof options);  // netem's options lead, its attributes follow
  writer.attribute(TCA_NETEM_LATENCY64, &delay, sizeof delay);
  writer.attribute(TCA_NETEM_JITTER64, &jitter, sizeof jitter);
  if (conditions.reorder_percent) {
    const tc_netem_reorder reorder{.probability = probability(*conditions.reorder_percent),
                                   .correlation = 0};
    writer.attribute(TCA_NETEM_REORDER, &reorder, sizeof reorder);
  }
  if (conditions.corrupt_percent) {
    const tc_netem_corrupt corrupt{.probability = probability(*conditions.corrupt_percent),
                                   .correlation = 0};
    writer.attribute(TCA_NETEM_CORRUPT, &corrupt, sizeof corrupt);
  }
  if (conditions.rate_bytes_per_second) {
    const std::uint64_t rate = *conditions.rate_bytes_per_second;
    tc_netem_rate netem_rate{};
    netem_rate.rate = static_cast<std::uint32_t>(std::min<std::uint64_t>(rate, UINT32_MAX));
    writer.attribute(TCA_NETEM_RATE, &netem_rate, sizeof netem_rate);
    if (rate >= UINT32_MAX) writer.attribute(TCA_NETEM_RATE64, &rate, sizeof rate);
  }
  writer.end_attribute(at);
}

void tbf_options(NetlinkWriter& writer, std::uint64_t rate) {
  // The burst: a fiftieth of a second at the rate, and never less than one frame.
  const auto burst = static_cast<std::uint32_t>(std::max(kLoopbackFrameBytes, rate / 50));
  tc_tbf_qopt options{};
  options.rate.rate = static_cast<std::uint32_t>(std::min<std::uint64_t>(rate, UINT32_MAX));
  options.rate.linklayer = TC_LINKLAYER_ETHERNET;  // no rate table needed (sch_tbf.c)
  // Half a second of traffic may wait in the queue before tbf drops.
  options.limit = static_cast<std::uint32_t>(
      std::min<std::uint64_t>(static_cast<std::uint64_t>(burst) * 2 + rate / 2, UINT32_MAX));
  const std::size_t at = writer.begin_attribute(TCA_OPTIONS);
  writer.attribute(TCA_TBF_PARMS, &options, sizeof options);
  writer.attribute(TCA_TBF_BURST, &burst, sizeof burst);
  if (rate >= UINT32_MAX) writer.attribute(TCA_TBF_RATE64, &rate, sizeof rate);
  writer.end_attribute(at);
}

}  // namespace

QdiscRequest build_qdisc_request(const NetworkConditions& conditions, int interface_index) {
  QdiscRequest request;
  request.kind = conditions.needs_netem() ? "netem" : "tbf";
  NetlinkWriter writer;
  nlmsghdr header{};
  header.nlmsg_type = RTM_NEWQDISC;
  header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
  header.nlmsg_seq = 1;
  writer.append(&header, sizeof header);
  tcmsg message{};
  message.tcm_family = AF_UNSPEC;
  message.tcm_ifindex = interface_index;
  message.tcm_handle = 0x10000;  // 1:0
  message.tcm_parent = TC_H_ROOT;
  writer.append(&message, sizeof message);
  writer.attribute(TCA_KIND, request.kind.c_str(), request.kind.size() + 1);
  if (request.kind == "netem") {
    netem_options(writer, conditions);
  } else {
    tbf_options(writer, *conditions.rate_bytes_per_second);
  }
  request.message = writer.finish();
  return request;
}

std::string qdisc_module(const std::string& kind) {
  return "sch_" + kind;
}

std::string qdisc_remedy(const std::string& kind) {
  return "load it as root (modprobe " + qdisc_module(kind) +
         ") or install the kernel's extra modules (Ubuntu: linux-modules-extra-$(uname -r), "
         "Fedora: kernel-modules-extra; Debian's linux-image has them)";
}

}  // namespace isotest
