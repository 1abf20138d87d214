#include "packet_capture.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "fd_passing.h"

namespace isotest {

namespace {

// As much as the kernel's rmem_max lets an unprivileged socket have (SO_RCVBUF is capped there;
// SO_RCVBUFFORCE needs CAP_NET_ADMIN in the initial user namespace): the launcher reads between
// other work, and a burst larger than the buffer is dropped and counted (`dropped`).
constexpr int kReceiveBufferBytes = 8 * 1024 * 1024;

// On lo each packet passes a packet socket twice, leaving (PACKET_OUTGOING) and arriving; the
// file holds it once. A socket filter drops the leaving copy in the kernel, before it takes room
// in the ring or the queue: half the memory and half the reading of a bulk transfer. The readers
// still skip a leaving copy, for a kernel that refused the filter.
void drop_outgoing_copies(int socket) {
  std::array<sock_filter, 4> code{{
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, static_cast<std::uint32_t>(SKF_AD_OFF + SKF_AD_PKTTYPE)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, 0),            // drop
      BPF_STMT(BPF_RET | BPF_K, 0xffffffffU),  // keep, whole
  }};
  const sock_fprog program{.len = code.size(), .filter = code.data()};
  static_cast<void>(::setsockopt(socket, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program));
}

}  // namespace

bool open_capture_socket(int channel, ChildError& error) {
  // ETH_P_ALL on no particular interface: every packet of every interface of this namespace.
  const int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));
  if (fd < 0) {
    set_child_error(error, SetupStage::open_packet_socket, nullptr, errno);
    return false;
  }
  const int on = 1;
  const int buffer = kReceiveBufferBytes;
  // Timestamps are taken when the packet is queued, not when the launcher reads it.
  static_cast<void>(::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMP_OLD, &on, sizeof on));
  static_cast<void>(::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer));
  // Both before any packet reaches the socket: the test has not started yet.
  drop_outgoing_copies(fd);
  static_cast<void>(set_up_packet_ring(fd));
  const int send_error = send_fd(channel, fd);
  ::close(fd);  // the launcher's now; ours would keep receiving into the same queue for nothing
  if (send_error != 0) {
    set_child_error(error, SetupStage::hand_over_packet_socket, nullptr, send_error);
    return false;
  }
  return true;
}

void PacketCapture::receive(int channel) {
  auto fd = receive_fd(channel);
  if (!fd) return;
  socket_ = std::move(*fd);
  ring_.emplace(socket_.get());
  if (!ring_->valid()) ring_.reset();  // the sandbox could not set one up: the receive queue
}

void PacketCapture::read_available() {
  if (!ring_) {
    read_queue();
    return;
  }
  bool full = false;
  ring_->read_closed_blocks([this, &full](const RingPacket& packet) {
    if (packet.outgoing) return true;  // on lo, each packet passes twice: keep the arrival
    full = !file_.add(packet.seconds, packet.nanoseconds / 1000, packet.captured,
                      packet.original_length);
    return !full;
  });
  if (full) finish();  // the cap: stop capturing, and stop paying for it
}

void PacketCapture::read_queue() {
  // 64 KiB frames on lo (its MTU), larger with GSO: room for the largest a packet socket sees.
  static std::vector<char> buffer(PcapFile::kSnapLength);
  while (socket_.valid()) {
    sockaddr_ll from{};
    iovec payload{.iov_base = buffer.data(), .iov_len = buffer.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timeval))] = {};
    msghdr message{};
    message.msg_name = &from;
    message.msg_namelen = sizeof from;
    message.msg_iov = &payload;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    const ssize_t length = ::recvmsg(socket_.get(), &message, MSG_TRUNC | MSG_DONTWAIT);
    if (length < 0) {
      if (errno != EINTR) return;  // EAGAIN: all read
      continue;
    }
    // On lo each packet passes the socket twice, leaving and arriving; keep one copy.
    if (from.sll_pkttype == PACKET_OUTGOING) continue;
    timeval stamp{};
    const cmsghdr* header = CMSG_FIRSTHDR(&message);
    if (header != nullptr && header->cmsg_level == SOL_SOCKET &&
        header->cmsg_type == SO_TIMESTAMP_OLD) {
      std::memcpy(&stamp, CMSG_DATA(header), sizeof stamp);
    } else {
      ::gettimeofday(&stamp, nullptr);
    }
    const auto original = static_cast<std::size_t>(length);
    const std::size_t kept = std::min(original, buffer.size());
    if (!file_.add(stamp.tv_sec, stamp.tv_usec, std::span(buffer.data(), kept),
                   static_cast<std::uint32_t>(original))) {
      finish();  // the cap: stop capturing, and stop paying for it
      return;
    }
  }
}

void PacketCapture::finish() {
  if (!socket_.valid()) return;
  if (!file_.truncated()) {
    read_available();
    if (ring_ && socket_.valid()) {
      ring_->wait_for_open_block();
      read_available();
    }
  }
  if (!socket_.valid()) return;  // the reads above reached the cap and finished
  // tpacket_stats_v3 for a TPACKET_V3 socket; the kernel copies the smaller tpacket_stats
  // otherwise, the same first two fields.
  tpacket_stats_v3 stats{};
  socklen_t size = sizeof stats;
  if (::getsockopt(socket_.get(), SOL_PACKET, PACKET_STATISTICS, &stats, &size) == 0) {
    dropped_ += stats.tp_drops;
  }
  ring_.reset();
  socket_.reset();
}

}  // namespace isotest
