// A test that must stay hermetic: it checks that it has no way out, by
// looking at its interfaces and routes (never by sending traffic anywhere).
// On a host it sees the machine's network; under `isotest run --network none`
// it has a network namespace of its own with no interface up.
#include <ifaddrs.h>
#include <net/if.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace {

std::set<std::string> interfaces_up(bool& loopback_up) {
  std::set<std::string> names;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return names;
  for (auto* entry = list; entry != nullptr; entry = entry->ifa_next) {
    if ((entry->ifa_flags & IFF_UP) == 0) continue;
    if ((entry->ifa_flags & IFF_LOOPBACK) != 0) {
      loopback_up = true;
      continue;
    }
    names.insert(entry->ifa_name);
  }
  freeifaddrs(list);
  return names;
}

// Routes that lead off this machine: IPv4 routes through any interface but
// lo (/proc/net/route is per network namespace).
int routes_off_host() {
  std::ifstream table("/proc/net/route");
  std::string line;
  std::getline(table, line);  // header
  int count = 0;
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string interface;
    fields >> interface;
    if (!interface.empty() && interface != "lo") ++count;
  }
  return count;
}

}  // namespace

int main() {
  bool loopback_up = false;
  auto up = interfaces_up(loopback_up);
  auto routes = routes_off_host();
  if (!up.empty() || routes > 0) {
    std::string names;
    for (const auto& name : up) names += (names.empty() ? "" : ", ") + name;
    std::printf("FAIL this test must not reach the network, but it sees interfaces up: %s;"
                " IPv4 routes off the host: %d\n",
                names.empty() ? "(none)" : names.c_str(), routes);
    return 1;
  }
  std::printf("ok no interface up %s, no route off the host\n",
              loopback_up ? "except lo" : "(not even lo)");
  return 0;
}
