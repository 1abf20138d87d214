// A test binary whose --gtest_list_tests goes wrong in the way its file name says:
// exits_3 (and exits_3_pre_test) fail, hangs never finishes, not_gtest prints no listing.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <string>

int main(int, char** argv) {
  const std::string name = std::filesystem::path(argv[0]).filename().string();
  if (name == "hangs") {
    sleep(60);
    return 0;
  }
  if (name == "not_gtest") {
    std::cout << "hello, world\n";
    return 0;
  }
  std::cerr << "cannot open the fixture data\n";
  return 3;
}
