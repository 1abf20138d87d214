// An integration test against a key-value server on the fixed port 127.0.0.1:6379, as tests
// written against a local Redis are: it stores a key, and reads it back after its partner has
// stored the same key. Its server is a service (SERVICES in CMakeLists.txt): under isotest
// each test gets a kv_server of its own in its sandbox, on the same port; without isolation the
// second server cannot bind 6379 and both tests talk to the first, each reading what the other
// wrote.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "rendezvous.h"
#include "socket.h"

namespace {

constexpr std::uint16_t kPort = 6379;

class Connection {
 public:
  Connection() : socket_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(kPort);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(socket_.fd(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    if (!connected_) error_ = std::strerror(errno);
  }
  bool connected() const { return connected_; }
  const std::string& error() const { return error_; }

  // Sends one command line and returns the server's one-line answer ("" when it hung up).
  std::string request(const std::string& line) {
    const std::string message = line + "\n";
    if (write(socket_.fd(), message.data(), message.size()) !=
        static_cast<ssize_t>(message.size())) {
      return "";
    }
    std::string reply;
    char byte = 0;
    while (read(socket_.fd(), &byte, 1) == 1 && byte != '\n') reply += byte;
    return reply;
  }

 private:
  examples::Socket socket_;
  bool connected_ = false;
  std::string error_;
};

}  // namespace

int main(int argc, char** argv) {
  examples::HalfArguments arguments;
  if (!examples::parse_half_arguments(argc, argv, arguments)) return 2;
  examples::Rendezvous rendezvous(arguments.rendezvous_directory, "kv_client", arguments.self,
                                  arguments.partner);
  rendezvous.meet("started");

  Connection server;
  if (!server.connected()) {
    std::printf("FAIL client %s: connect to 127.0.0.1:%u: %s (no server of its own)\n",
                arguments.self.c_str(), kPort, server.error().c_str());
    return 1;
  }
  const std::string stored = "client " + arguments.self;
  const std::string set_reply = server.request("SET owner " + stored);
  rendezvous.meet("stored");  // both have stored `owner` before either reads it back
  const std::string get_reply = server.request("GET owner");

  if (set_reply != "OK" || get_reply != "VALUE " + stored) {
    // Both are another test's doing: its writes, or its server stopped when that test ended.
    const char* why = get_reply.empty() ? "the server hung up: it belonged to another test"
                                        : "another test's writes reached this server";
    std::printf(
        "FAIL client %s: SET answered \"%s\", GET owner answered \"%s\", expected "
        "\"VALUE %s\" (%s)\n",
        arguments.self.c_str(), set_reply.c_str(), get_reply.c_str(), stored.c_str(), why);
    return 1;
  }
  std::printf("ok client %s: 127.0.0.1:%u kept its own `owner`\n", arguments.self.c_str(), kPort);
  return 0;
}
