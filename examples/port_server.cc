// Two tests that start a server on the same fixed port, as integration tests
// with a hard-coded "localhost:18080" do. Run side by side on one host, the
// second bind fails with EADDRINUSE; in their own network namespaces (isotest's
// default `--network loopback`) each has a port 18080 of its own.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "rendezvous.h"
#include "socket.h"

namespace {

constexpr std::uint16_t kPort = 18080;
constexpr auto kHoldTime = std::chrono::milliseconds(1000);

using examples::Socket;

sockaddr_in loopback_address() {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(kPort);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// Connects to the port, accepts on our own listening socket and passes a
// greeting through: proves that 127.0.0.1:18080 is this test's own server,
// not a neighbour's. No thread: the kernel completes the connection into the
// listen backlog, and a non-blocking accept finds it there or not at all.
std::string greeting_through_port(const Socket& server, const std::string& greeting) {
  Socket client(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  auto address = loopback_address();
  if (connect(client.fd(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    return std::string("(connect failed: ") + std::strerror(errno) + ")";
  }
  Socket connection(accept4(server.fd(), nullptr, nullptr, SOCK_CLOEXEC));
  if (connection.fd() < 0) return "(the connection went to another server)";
  if (write(connection.fd(), greeting.data(), greeting.size()) < 0) return "(write failed)";
  char buffer[128] = {};
  auto received = read(client.fd(), buffer, sizeof buffer - 1);
  return received > 0 ? std::string(buffer, static_cast<std::size_t>(received)) : "(no greeting)";
}

}  // namespace

int main(int argc, char** argv) {
  examples::HalfArguments arguments;
  if (!examples::parse_half_arguments(argc, argv, arguments)) return 2;
  examples::Rendezvous rendezvous(arguments.rendezvous_directory, "port_server", arguments.self,
                                  arguments.partner);
  rendezvous.meet("started");

  Socket server(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  // As every server does: a closed connection lingering in TIME_WAIT from an
  // earlier run must not block the port. On Linux this still refuses a second
  // listener on the same address, which is the clash this example shows.
  int reuse = 1;
  setsockopt(server.fd(), SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
  auto address = loopback_address();
  // With SO_REUSEADDR both binds may succeed; then the second listen fails.
  const char* step = "bind";
  int taken = bind(server.fd(), reinterpret_cast<sockaddr*>(&address), sizeof address);
  if (taken == 0) {
    step = "listen on";
    taken = listen(server.fd(), 4);
  }
  int take_error = errno;
  rendezvous.meet("tried");  // the winner keeps the port until the loser has tried too
  if (taken != 0) {
    std::printf("FAIL server %s: %s 127.0.0.1:%u: %s (another test holds the port)\n",
                arguments.self.c_str(), step, kPort, std::strerror(take_error));
    return 1;
  }

  std::this_thread::sleep_for(kHoldTime);
  const std::string expected = "server " + arguments.self + " pid " + std::to_string(getpid());
  auto greeting = greeting_through_port(server, expected);

  if (greeting != expected) {
    std::printf("FAIL server %s: 127.0.0.1:%u answered \"%s\", expected \"%s\"\n",
                arguments.self.c_str(), kPort, greeting.c_str(), expected.c_str());
    return 1;
  }
  std::printf("ok server %s held 127.0.0.1:%u for %lld ms and answered itself\n",
              arguments.self.c_str(), kPort, static_cast<long long>(kHoldTime.count()));
  return 0;
}
