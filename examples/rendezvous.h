// Makes the two halves of a clash example overlap for sure.
//
// Under `ctest -j` two tests that fight over a resource collide only when
// their lifetimes overlap, which depends on scheduling: a demo that fails
// "sometimes" proves nothing. So the halves meet at each step that matters
// (both started; both tried to take the resource), through marker files in a
// directory on the host (the build tree, which a sandbox still sees). Both
// halves then hold the resource at the same time whether or not they are
// isolated, however loaded the machine is; only isotest decides whether they
// see the same resource.
//
// A marker is removed by the half that waits for it, once it has seen it:
// removing one's own marker at exit would race with a partner that has not
// looked yet, and a marker left behind would let the next run skip a meeting.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace examples {

// How long a half waits for its partner; CTest may start it a little later
// when all -j slots are busy.
constexpr auto kPartnerWait = std::chrono::seconds(3);
// A partner waits at most kPartnerWait after writing its marker, so an older
// marker is left over from an earlier run (one whose partner ran alone).
constexpr auto kMarkerFreshness = kPartnerWait + std::chrono::seconds(1);

class Rendezvous {
 public:
  // `pair` names the clash (e.g. "port_server"), `self` and `partner` the halves.
  Rendezvous(std::filesystem::path directory, std::string pair, std::string self,
             std::string partner)
      : directory_(std::move(directory)),
        pair_(std::move(pair)),
        self_(std::move(self)),
        partner_(std::move(partner)) {
    std::filesystem::create_directories(directory_);
  }
  Rendezvous(const Rendezvous&) = delete;
  Rendezvous& operator=(const Rendezvous&) = delete;
  ~Rendezvous() {
    if (!alone_) return;  // the partner removes what it has seen
    std::error_code ignored;
    for (const auto& marker : own_markers_) std::filesystem::remove(marker, ignored);
  }

  // Announces that this half reached `stage` and waits until the partner has
  // too. After kPartnerWait without the partner the half runs alone, says so
  // once, and stops waiting at later stages.
  void meet(const std::string& stage) {
    auto own = marker(self_, stage);
    std::ofstream(own) << getpid() << "\n";
    own_markers_.push_back(own);
    if (alone_) return;
    auto deadline = std::chrono::steady_clock::now() + kPartnerWait;
    while (std::chrono::steady_clock::now() < deadline) {
      auto partners = marker(partner_, stage);
      if (is_fresh(partners)) {
        std::error_code ignored;
        std::filesystem::remove(partners, ignored);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    alone_ = true;
    std::printf("note: %s %s did not get to \"%s\" within %llds; running alone, so the clash"
                " is not exercised\n",
                pair_.c_str(), partner_.c_str(), stage.c_str(),
                static_cast<long long>(kPartnerWait.count()));
  }

 private:
  std::filesystem::path marker(const std::string& half, const std::string& stage) const {
    return directory_ / (pair_ + "." + half + "." + stage);
  }

  static bool is_fresh(const std::filesystem::path& path) {
    struct stat info{};
    if (stat(path.c_str(), &info) != 0) return false;
    auto written = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds(info.st_mtim.tv_sec) +
            std::chrono::nanoseconds(info.st_mtim.tv_nsec)));
    return std::chrono::system_clock::now() - written < kMarkerFreshness;
  }

  std::filesystem::path directory_;
  std::string pair_;
  std::string self_;
  std::string partner_;
  std::vector<std::filesystem::path> own_markers_;
  bool alone_ = false;
};

// The halves of every clash example take the same arguments:
//   PROGRAM a|b RENDEZVOUS_DIR
struct HalfArguments {
  std::string self;
  std::string partner;
  std::filesystem::path rendezvous_directory;
};

inline bool parse_half_arguments(int argc, char** argv, HalfArguments& arguments) {
  if (argc != 3 || (std::string(argv[1]) != "a" && std::string(argv[1]) != "b")) {
    std::fprintf(stderr, "usage: %s a|b RENDEZVOUS_DIR\n", argv[0]);
    return false;
  }
  arguments.self = argv[1];
  arguments.partner = arguments.self == "a" ? "b" : "a";
  arguments.rendezvous_directory = argv[2];
  return true;
}

}  // namespace examples
