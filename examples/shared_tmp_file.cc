// Two tests that use the same fixed scratch file, as tests with a hard-coded
// "/tmp/<something>" do. On one host the second writer overwrites the first
// one's data; with isotest each test gets a fresh tmpfs on /tmp.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>

#include "rendezvous.h"

namespace {

const std::filesystem::path kScratchFile = "/tmp/isotest-example-scratch.txt";
constexpr auto kWorkTime = std::chrono::milliseconds(1000);

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return "(cannot read: file is gone)";
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace

int main(int argc, char** argv) {
  examples::HalfArguments arguments;
  if (!examples::parse_half_arguments(argc, argv, arguments)) return 2;
  examples::Rendezvous rendezvous(arguments.rendezvous_directory, "shared_tmp_file", arguments.self,
                                  arguments.partner);
  rendezvous.meet("started");

  const std::string mine = "written by test " + arguments.self + " pid " + std::to_string(getpid());
  std::ofstream(kScratchFile) << mine;
  rendezvous.meet("written");               // both have written before either reads back
  std::this_thread::sleep_for(kWorkTime);  // the "work" between writing and reading back
  auto found = read_file(kScratchFile);
  rendezvous.meet("read");  // neither cleans up before both have read back

  if (found != mine) {
    std::printf("FAIL test %s: %s holds \"%s\", expected \"%s\"\n", arguments.self.c_str(),
                kScratchFile.c_str(), found.c_str(), mine.c_str());
    return 1;
  }
  std::error_code ignored;
  std::filesystem::remove(kScratchFile, ignored);
  std::printf("ok test %s read back its own %s\n", arguments.self.c_str(), kScratchFile.c_str());
  return 0;
}
