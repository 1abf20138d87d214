# IsoTestWrapProject.cmake: every test of a project one does not own under isotest, without
# editing the project. Pass this file to the project's configure step:
#
#   cmake -S . -B build -DCMAKE_PROJECT_INCLUDE="$(isotest cmake-include)"
#
# (or -DCMAKE_PROJECT_TOP_LEVEL_INCLUDES=..., CMake 3.24+). `isotest cmake-include` prints where
# this file is: beside the installed package, <prefix>/lib/cmake/IsoTest/, or, for the program
# of a build tree, in the source tree's cmake/. Once included, in the top-level directory, it
# does what isotest_wrap_tests() does there: each test keeps its name, command and properties,
# runs in a sandbox of its own and writes its result into ISOTEST_RESULTS_DIR. The cache
# variable ISOTEST_WRAP_OPTIONS holds isolation and limit keywords for every test, as a list
# (-DISOTEST_WRAP_OPTIONS="MEMORY;512M;TIMEOUT;60"). See docs/cmake.md.

# CMAKE_PROJECT_INCLUDE is read after every project() call, subprojects' too; the top-level
# one comes first, and wrapping there covers the whole tree.
include_guard(GLOBAL)

set(ISOTEST_WRAP_OPTIONS "" CACHE STRING
    "Isolation and limit keywords of isotest_wrap_tests() for every test of the project")

if(EXISTS "${CMAKE_CURRENT_LIST_DIR}/IsoTestConfig.cmake")
  # Installed: the package beside this file, and with it the isotest program beside the package.
  find_package(IsoTest REQUIRED CONFIG PATHS "${CMAKE_CURRENT_LIST_DIR}" NO_DEFAULT_PATH)
else()
  # The source tree: the functions beside this file, the program of a build tree.
  if(NOT ISOTEST_EXECUTABLE)
    message(FATAL_ERROR
      "IsoTestWrapProject.cmake of a source tree (${CMAKE_CURRENT_LIST_DIR}) needs the isotest "
      "program: pass -DISOTEST_EXECUTABLE=/path/to/build/harness/isotest as well, or use the "
      "file of an installed isotest (`isotest cmake-include` of <prefix>/bin/isotest)")
  endif()
  include("${CMAKE_CURRENT_LIST_DIR}/IsoTest.cmake")
endif()

isotest_wrap_tests(${ISOTEST_WRAP_OPTIONS})
