#include "packet_ring.h"

#include <linux/if_packet.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>

namespace isotest {

namespace {

constexpr std::size_t kRingBytes = std::size_t{PacketRing::kBlockBytes} * PacketRing::kBlocks;
// TPACKET_V3 packs packets of any size into a block; the frame size only has to be a legal
// one (a multiple of TPACKET_ALIGNMENT, at least the header).
constexpr std::uint32_t kFrameBytes = 2048;

tpacket_block_desc& block_at(char* memory, std::uint32_t index) {
  return *reinterpret_cast<tpacket_block_desc*>(memory +
                                                std::size_t{index} * PacketRing::kBlockBytes);
}

// The block's status word is shared with the kernel: read it with acquire ordering before the
// packets it guards, and give the block back with release ordering after reading them.
std::uint32_t status_of(tpacket_block_desc& block) {
  return std::atomic_ref<std::uint32_t>(block.hdr.bh1.block_status).load(std::memory_order_acquire);
}

}  // namespace

bool set_up_packet_ring(int socket) {
  const int version = TPACKET_V3;
  if (::setsockopt(socket, SOL_PACKET, PACKET_VERSION, &version, sizeof version) != 0) {
    return false;
  }
  tpacket_req3 request{};
  request.tp_block_size = PacketRing::kBlockBytes;
  request.tp_block_nr = PacketRing::kBlocks;
  request.tp_frame_size = kFrameBytes;
  request.tp_frame_nr = static_cast<unsigned>(kRingBytes / kFrameBytes);
  request.tp_retire_blk_tov = PacketRing::kBlockTimeoutMs;
  return ::setsockopt(socket, SOL_PACKET, PACKET_RX_RING, &request, sizeof request) == 0;
}

PacketRing::PacketRing(int socket) : socket_(socket) {
  void* memory =
      ::mmap(nullptr, kRingBytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, socket, 0);
  if (memory == MAP_FAILED && errno == EAGAIN) {
    // MAP_LOCKED may exceed RLIMIT_MEMLOCK unprivileged; the ring works unlocked too.
    memory = ::mmap(nullptr, kRingBytes, PROT_READ | PROT_WRITE, MAP_SHARED, socket, 0);
  }
  if (memory != MAP_FAILED) memory_ = static_cast<char*>(memory);
}

PacketRing::~PacketRing() {
  if (memory_ != nullptr) ::munmap(memory_, kRingBytes);
}

void PacketRing::read_closed_blocks(const std::function<bool(const RingPacket&)>& take) {
  if (memory_ == nullptr) return;
  for (;;) {
    tpacket_block_desc& block = block_at(memory_, next_block_);
    if ((status_of(block) & TP_STATUS_USER) == 0) return;
    const char* at = reinterpret_cast<const char*>(&block) + block.hdr.bh1.offset_to_first_pkt;
    for (std::uint32_t i = 0; i < block.hdr.bh1.num_pkts; ++i) {
      const auto& header = *reinterpret_cast<const tpacket3_hdr*>(at);
      // The link-level address follows the header (packet_mmap: TPACKET_ALIGN(sizeof header)).
      const auto& from =
          *reinterpret_cast<const sockaddr_ll*>(at + TPACKET_ALIGN(sizeof(tpacket3_hdr)));
      const RingPacket packet{.seconds = header.tp_sec,
                              .nanoseconds = header.tp_nsec,
                              .captured = std::span(at + header.tp_mac, header.tp_snaplen),
                              .original_length = header.tp_len,
                              .outgoing = from.sll_pkttype == PACKET_OUTGOING};
      if (!take(packet)) return;
      at += header.tp_next_offset;
    }
    std::atomic_ref<std::uint32_t>(block.hdr.bh1.block_status)
        .store(TP_STATUS_KERNEL, std::memory_order_release);
    next_block_ = (next_block_ + 1) % kBlocks;
  }
}

void PacketRing::wait_for_open_block() {
  if (memory_ == nullptr) return;
  tpacket_block_desc& block = block_at(memory_, next_block_);
  // Nothing writes to the sandbox's network any more: a count read from the kernel's block is
  // final. An empty block is never closed, so there is nothing to wait for then.
  if ((status_of(block) & TP_STATUS_USER) != 0 || block.hdr.bh1.num_pkts == 0) return;
  pollfd ready{.fd = socket_, .events = POLLIN, .revents = 0};
  for (int tries = 0; tries < 4 && (status_of(block) & TP_STATUS_USER) == 0; ++tries) {
    static_cast<void>(::poll(&ready, 1, static_cast<int>(kBlockTimeoutMs)));
  }
}

}  // namespace isotest
