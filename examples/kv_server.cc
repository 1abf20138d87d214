// A small key-value server, the kind of dependency a test suite starts for its integration
// tests (a Redis, a database): one TCP port, fixed by the command line, and a line protocol.
//
//   kv_server PORT
//
//   SET key value   ->  OK
//   GET key         ->  VALUE value   or   MISSING
//   DEL key         ->  OK
//   PING            ->  PONG
//   anything else   ->  ERROR unknown command
//
// Each connection is served by a thread of its own, so that several clients can hold
// connections at once, as with a real server. It prints
// `kv_server: listening on 127.0.0.1:PORT` once it accepts connections, and exits 1 when it
// cannot bind the port (another server has it: EADDRINUSE).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include "socket.h"

namespace {

using examples::Socket;

bool write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t written = write(fd, text.data() + done, text.size() - done);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    done += static_cast<std::size_t>(written);
  }
  return true;
}

// The keys and values, shared by the connections' threads.
class Store {
 public:
  std::string answer(const std::string& line) {
    std::istringstream words(line);
    std::string command;
    std::string key;
    words >> command >> key;
    const std::lock_guard<std::mutex> lock(mutex_);
    if (command == "PING") return "PONG";
    if (command == "SET" && !key.empty()) {
      std::string value;
      std::getline(words >> std::ws, value);
      values_[key] = value;
      return "OK";
    }
    if (command == "GET" && !key.empty()) {
      auto found = values_.find(key);
      return found == values_.end() ? "MISSING" : "VALUE " + found->second;
    }
    if (command == "DEL" && !key.empty()) {
      values_.erase(key);
      return "OK";
    }
    return "ERROR unknown command";
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::string> values_;
};

// Answers each line of one connection until the client closes it, then closes it.
void serve(int fd, Store& store) {
  const Socket connection(fd);
  std::string pending;
  char buffer[4096];
  while (true) {
    const ssize_t got = read(connection.fd(), buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return;
    pending.append(buffer, static_cast<std::size_t>(got));
    std::size_t end = 0;
    while ((end = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, end);
      pending.erase(0, end + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!write_all(connection.fd(), store.answer(line) + "\n")) return;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const long port = argc == 2 ? std::strtol(argv[1], nullptr, 10) : 0;
  if (port <= 0 || port > 65535) {
    std::fprintf(stderr, "usage: kv_server PORT\n");
    return 2;
  }
  Socket server(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int on = 1;
  setsockopt(server.fd(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(server.fd(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(server.fd(), 16) != 0) {
    std::fprintf(stderr, "kv_server: cannot listen on 127.0.0.1:%ld: %s\n", port,
                 std::strerror(errno));
    return 1;
  }
  std::printf("kv_server: listening on 127.0.0.1:%ld\n", port);
  std::fflush(stdout);
  Store store;
  while (true) {
    const int connection = accept4(server.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    if (connection >= 0) std::thread(serve, connection, std::ref(store)).detach();
  }
}
