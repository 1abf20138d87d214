// Packet capture of the sandbox's network namespace (`--capture`). The sandbox opens an
// AF_PACKET socket in its own namespace before its test starts -- it holds CAP_NET_RAW there,
// in its own user namespace, so this works unprivileged -- and hands it to the launcher, which
// reads it in its supervision loop and keeps the packets as a pcap file.
#pragma once

#include <cstdint>
#include <optional>

#include "child_error.h"
#include "packet_ring.h"
#include "pcap_file.h"
#include "unique_fd.h"

namespace isotest {

// Sandbox side, allocation-free: opens the capture socket, gives it its filter and ring, and sends
// it over `channel`.
bool open_capture_socket(int channel, ChildError& error);

// Launcher side.
class PacketCapture {
 public:
  explicit PacketCapture(std::uint64_t limit_bytes) : file_(limit_bytes) {}

  // Blocks until the sandbox sent its socket, or closed `channel` (it failed: it reports why);
  // then maps the socket's receive ring (packet_ring.h).
  void receive(int channel);
  // -1 once the capture is over (never started, the cap reached, or finished).
  [[nodiscard]] int fd() const { return socket_.get(); }
  // Reads what is queued; never blocks.
  void read_available();
  // The last packets, then the kernel's drop count; the socket is closed.
  void finish();

  [[nodiscard]] const PcapFile& file() const { return file_; }
  [[nodiscard]] std::uint64_t dropped() const { return dropped_; }

 private:
  // What is in the socket's receive queue, a packet a system call.
  void read_queue();

  UniqueFd socket_;
  std::optional<PacketRing> ring_;  // absent when the kernel refused one
  PcapFile file_;
  std::uint64_t dropped_ = 0;
};

}  // namespace isotest
