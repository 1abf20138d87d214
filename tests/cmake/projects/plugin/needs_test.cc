// Cases whose sandboxes differ only by what ISOTEST_NEEDS declares, each observing its own
// network from the inside, and a case that skips.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <isotest/gtest.h>

namespace {

// A listener on 127.0.0.1 at a port of the kernel's choosing, written to `address`; -1 on an
// error (errno).
int listen_on_loopback(sockaddr_in& address) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  address = sockaddr_in{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listener, 1) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int error = errno;
    close(listener);
    errno = error;
    return -1;
  }
  return listener;
}

// Connecting to a listener on 127.0.0.1 works only while the loopback interface is up
// (binding works either way: the address stays configured on a downed lo).
int connect_loopback() {
  sockaddr_in address{};
  const int listener = listen_on_loopback(address);
  if (listener < 0) {
    return errno;
  }
  const int client = socket(AF_INET, SOCK_STREAM, 0);
  const int result = connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address);
  const int error = result == 0 ? 0 : errno;
  close(client);
  close(listener);
  return error;
}

// The time `bytes` take from one loopback socket to another; nullopt on an error (errno).
std::optional<std::chrono::milliseconds> send_over_loopback(std::size_t bytes) {
  sockaddr_in address{};
  const int listener = listen_on_loopback(address);
  if (listener < 0) {
    return std::nullopt;
  }
  const auto started = std::chrono::steady_clock::now();
  std::thread sender([&] {
    const int client = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
      const std::vector<char> data(bytes, 'x');
      std::size_t sent = 0;
      while (sent < bytes) {
        const ssize_t n = send(client, data.data() + sent, bytes - sent, 0);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
      }
    }
    close(client);
  });
  const int server = accept(listener, nullptr, nullptr);
  std::size_t received = 0;
  std::array<char, 65536> buffer{};
  while (server >= 0) {
    const ssize_t n = recv(server, buffer.data(), buffer.size(), 0);
    if (n <= 0) break;
    received += static_cast<std::size_t>(n);
  }
  sender.join();
  close(server);
  close(listener);
  if (received != bytes) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               started);
}

TEST(Needs, Offline) {
  EXPECT_EQ(connect_loopback(), ENETUNREACH) << "loopback should be down";
}

TEST(Needs, Online) {
  EXPECT_EQ(connect_loopback(), 0) << std::strerror(connect_loopback());
}

TEST(Needs, Timed) {
  EXPECT_EQ(isotest::applied_limits().timeout, std::chrono::milliseconds(3000));
}

// 200 KB through a 1 Mbit/s link takes at least 1.6 s (less the bucket's first burst).
TEST(Needs, SlowLink) {
  const auto took = send_over_loopback(200 * 1000);
  ASSERT_TRUE(took.has_value()) << std::strerror(errno);
  EXPECT_GE(*took, std::chrono::milliseconds(1200));
}

TEST(Skips, Always) {
  GTEST_SKIP() << "nothing to do here";
}

}  // namespace

ISOTEST_NEEDS(Needs, Offline, isotest::needs::network("none"));
ISOTEST_NEEDS(Needs, Timed, isotest::needs::timeout(std::chrono::seconds(3)));
ISOTEST_NEEDS(Needs, SlowLink, isotest::needs::net_rate("1mbit"));
