// The receive ring of a packet socket (PACKET_RX_RING, TPACKET_V3; packet_mmap in the kernel's
// networking docs): the kernel writes packets into blocks of memory shared with isotest, which
// reads a whole block at a time. Unlike the socket's receive queue it is not capped by
// net.core.rmem_max (an unprivileged process cannot raise that), and costs no system call per
// packet, so a bulk transfer loses far fewer packets while the launcher does other work.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

namespace isotest {

// One packet as the ring holds it.
struct RingPacket {
  std::int64_t seconds = 0;
  std::int64_t nanoseconds = 0;
  std::span<const char> captured;
  std::uint32_t original_length = 0;
  bool outgoing = false;  // PACKET_OUTGOING: on lo, the copy of a packet leaving
};

// Sandbox side, allocation-free: gives `socket` (an AF_PACKET socket no packet has reached yet)
// its ring. Before any traffic, because setting a ring detaches the socket for a moment and
// empties its receive queue (packet_set_ring). False when the kernel refused (an old kernel, no
// memory): the socket then works through its receive queue.
bool set_up_packet_ring(int socket);

// Launcher side: the ring of a socket set_up_packet_ring() prepared, mapped.
class PacketRing {
 public:
  // valid() is false when `socket` has no ring: the caller reads the queue instead.
  explicit PacketRing(int socket);
  PacketRing(const PacketRing&) = delete;
  PacketRing& operator=(const PacketRing&) = delete;
  ~PacketRing();

  [[nodiscard]] bool valid() const { return memory_ != nullptr; }

  // Hands every packet of the blocks the kernel has closed to `take`, in order, and gives the
  // blocks back; stops early, leaving the rest, when `take` returns false.
  void read_closed_blocks(const std::function<bool(const RingPacket&)>& take);

  // The kernel closes a block when it is full or `kBlockTimeoutMs` after its first packet. At
  // the end of a capture: waits (at most a few timeouts) for the block being filled, if it holds
  // packets, to be closed, so that read_closed_blocks() sees the last packets too.
  void wait_for_open_block();

  static constexpr std::uint32_t kBlockBytes = 1U << 20;  // above lo's 64 KiB GSO frames
  static constexpr std::uint32_t kBlocks = 32;
  static constexpr std::uint32_t kBlockTimeoutMs = 32;

 private:
  int socket_;
  char* memory_ = nullptr;
  std::uint32_t next_block_ = 0;
};

}  // namespace isotest
