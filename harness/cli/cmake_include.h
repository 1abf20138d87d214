// `isotest cmake-include`: where the CMake file lies that wraps an unedited project's tests
// (cmake/IsoTestWrapProject.cmake, passed as -DCMAKE_PROJECT_INCLUDE; docs/cmake.md).
#pragma once

#include <filesystem>
#include <optional>

namespace isotest {

// The file that belongs to the isotest program EXECUTABLE: beside the installed package
// (<prefix>/bin/isotest gives <prefix>/lib/cmake/IsoTest/IsoTestWrapProject.cmake), or, for the
// program of a build tree, the source tree's. Nothing when neither exists.
std::optional<std::filesystem::path> cmake_include_file(const std::filesystem::path& executable);

// Prints the path of this program's file and returns 0, or says why there is none and
// returns 125.
int print_cmake_include();

}  // namespace isotest
