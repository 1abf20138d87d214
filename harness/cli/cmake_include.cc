#include "cmake_include.h"

#include <iostream>
#include <string>
#include <system_error>

namespace isotest {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFileName = "IsoTestWrapProject.cmake";

// Whether PATH lies in DIRECTORY or below it; both are absolute and normal.
bool is_below(const fs::path& path, const fs::path& directory) {
  const auto relative = path.lexically_relative(directory);
  return !relative.empty() && *relative.begin() != "..";
}

fs::path normal(const fs::path& path) {
  std::error_code error;
  auto resolved = fs::weakly_canonical(path, error);
  return error ? path.lexically_normal() : resolved;
}

}  // namespace

std::optional<fs::path> cmake_include_file(const fs::path& executable) {
  const fs::path program = normal(executable);
  // ISOTEST_CMAKE_DIR_FROM_BIN, ISOTEST_BUILD_DIR and ISOTEST_SOURCE_CMAKE_DIR come from
  // harness/CMakeLists.txt: the install layout, and where this build's program and files are.
  const fs::path installed = normal(program.parent_path() / ISOTEST_CMAKE_DIR_FROM_BIN / kFileName);
  std::error_code error;
  if (fs::is_regular_file(installed, error)) return installed;
  if (is_below(program, normal(ISOTEST_BUILD_DIR))) {
    const fs::path source = fs::path(ISOTEST_SOURCE_CMAKE_DIR) / kFileName;
    if (fs::is_regular_file(source, error)) return source;
  }
  return std::nullopt;
}

int print_cmake_include() {
  std::error_code error;
  const fs::path executable = fs::read_symlink("/proc/self/exe", error);
  if (error) {
    std::cerr << "isotest: cmake-include: cannot read /proc/self/exe: " << error.message() << "\n";
    return 125;
  }
  if (auto file = cmake_include_file(executable)) {
    std::cout << file->string() << "\n";
    return 0;
  }
  std::cerr << "isotest: cmake-include: no " << kFileName << " for " << executable.string()
            << ": looked in "
            << normal(executable.parent_path() / ISOTEST_CMAKE_DIR_FROM_BIN).string() << "\n"
            << "isotest: hint: use an isotest installed with `cmake --install`, or the one of a "
               "build tree, whose file is in the source tree's cmake/\n";
  return 125;
}

}  // namespace isotest
