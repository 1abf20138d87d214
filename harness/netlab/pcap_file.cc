#include "pcap_file.h"

#include <cstring>

namespace isotest {

namespace {

// pcap-savefile(5): every field in the writer's byte order, which the magic number tells readers.
template <typename T>
void append(std::string& bytes, T value) {
  char raw[sizeof value];
  std::memcpy(raw, &value, sizeof value);
  bytes.append(raw, sizeof raw);
}

constexpr std::size_t kRecordHeaderBytes = 16;

}  // namespace

PcapFile::PcapFile(std::uint64_t limit_bytes) : limit_bytes_(limit_bytes) {
  append<std::uint32_t>(bytes_, 0xa1b2c3d4);  // microsecond timestamps
  append<std::uint16_t>(bytes_, 2);           // version 2.4
  append<std::uint16_t>(bytes_, 4);
  append<std::int32_t>(bytes_, 0);   // thiszone: UTC
  append<std::uint32_t>(bytes_, 0);  // sigfigs
  append<std::uint32_t>(bytes_, kSnapLength);
  append<std::uint32_t>(bytes_, kLinkTypeEthernet);
}

bool PcapFile::add(std::int64_t seconds, std::int64_t microseconds, std::span<const char> captured,
                   std::uint32_t original_length) {
  if (truncated_) return false;
  if (bytes_.size() + kRecordHeaderBytes + captured.size() > limit_bytes_) {
    truncated_ = true;
    return false;
  }
  append<std::uint32_t>(bytes_, static_cast<std::uint32_t>(seconds));
  append<std::uint32_t>(bytes_, static_cast<std::uint32_t>(microseconds));
  append<std::uint32_t>(bytes_, static_cast<std::uint32_t>(captured.size()));
  append<std::uint32_t>(bytes_, original_length);
  bytes_.append(captured.data(), captured.size());
  ++packets_;
  return true;
}

}  // namespace isotest
