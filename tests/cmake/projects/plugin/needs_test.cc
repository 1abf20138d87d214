// Cases whose sandboxes differ only by what ISOTEST_NEEDS declares, each observing its own
// network from the inside, and a case that skips.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <gtest/gtest.h>
#include <isotest/gtest.h>

namespace {

// Connecting to a listener on 127.0.0.1 works only while the loopback interface is up
// (binding works either way: the address stays configured on a downed lo).
int connect_loopback() {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listener, 1) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return errno;
  }
  const int client = socket(AF_INET, SOCK_STREAM, 0);
  const int result = connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address);
  const int error = result == 0 ? 0 : errno;
  close(client);
  close(listener);
  return error;
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

TEST(Skips, Always) {
  GTEST_SKIP() << "nothing to do here";
}

}  // namespace

ISOTEST_NEEDS(Needs, Offline, isotest::needs::network("none"));
ISOTEST_NEEDS(Needs, Timed, isotest::needs::timeout(std::chrono::seconds(3)));
