// A capture in the classic libpcap format (pcap-savefile(5)), built in memory up to a size cap
// and written whole at the end: tcpdump, tshark and Wireshark read it. Classic pcap rather than
// pcapng because one link type (the sandbox's only interface is lo, an Ethernet-framed device:
// DLT_EN10MB) is all a run needs, and every reader knows it.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace isotest {

class PcapFile {
 public:
  // `limit_bytes` caps the whole file, header included.
  explicit PcapFile(std::uint64_t limit_bytes);

  // Appends one packet (`captured` bytes of its `original_length`). False, with truncated()
  // set, when it would not fit: the capture stops there.
  bool add(std::int64_t seconds, std::int64_t microseconds, std::span<const char> captured,
           std::uint32_t original_length);

  [[nodiscard]] const std::string& bytes() const { return bytes_; }
  [[nodiscard]] std::uint64_t packets() const { return packets_; }
  [[nodiscard]] bool truncated() const { return truncated_; }

  static constexpr std::uint32_t kSnapLength = 262'144;  // tcpdump's default snaplen
  static constexpr std::uint32_t kLinkTypeEthernet = 1;  // DLT_EN10MB

 private:
  std::string bytes_;
  std::uint64_t limit_bytes_;
  std::uint64_t packets_ = 0;
  bool truncated_ = false;
};

}  // namespace isotest
