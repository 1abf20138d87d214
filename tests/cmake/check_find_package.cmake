# find_package(IsoTest 0.1 REQUIRED) from the install prefix that cmake.install made, in a
# project without a compiler (projects/package, LANGUAGES NONE), configured twice: version
# check, imported target, include().
include("${CMAKE_CURRENT_LIST_DIR}/support.cmake")

sample_begin(find_package)
set(build "${SAMPLE_ROOT}/build")
# With GTest_DIR given, as for a GoogleTest outside the default paths, and then again from the
# cache: the package must not load GoogleTest's in a project without a compiler (GoogleTest's
# Threads dependency is fatal there).
sample_configure(package "${build}" "-DGTest_DIR=${GTEST_CONFIG_DIR}")
sample_run(again COMMAND "${CMAKE_COMMAND}" "${build}")
file(READ "${build}/isotest-location.txt" location)
if(NOT location STREQUAL "${ISOTEST_PREFIX}/bin/isotest")
  sample_fail("IsoTest::isotest is ${location}, expected ${ISOTEST_PREFIX}/bin/isotest")
endif()
sample_ctest(run "${build}")
expect_verdicts(run package.sandboxed Passed package.path_with_space Passed)
expect_result("${build}/isotest-results" package.sandboxed status passed)
expect_property("${build}" package.path_with_space TIMEOUT 37.0)
sample_end()
