# Someone else's project, unedited (projects/foreign), under isotest from outside: the file
# `isotest cmake-include` prints, passed as CMAKE_PROJECT_INCLUDE and as
# CMAKE_PROJECT_TOP_LEVEL_INCLUDES. Each way configures, configures again (the second
# configure is where IsoTest's package used to fail, when it looked for GoogleTest before any
# language was enabled), builds and runs the tests, which must run in sandboxes and write
# their results.
include("${CMAKE_CURRENT_LIST_DIR}/support.cmake")

# The file beside the installed package, found from the installed program; the source tree's,
# found from the program of a build tree.
function(expect_cmake_include isotest expected)
  sample_run(printed COMMAND "${isotest}" cmake-include)
  if(NOT printed STREQUAL "${expected}\n")
    sample_fail("`${isotest} cmake-include` printed `${printed}`, expected ${expected}")
  endif()
endfunction()

sample_begin(project_include)
set(installed_file "${ISOTEST_PREFIX}/lib/cmake/IsoTest/IsoTestWrapProject.cmake")
expect_cmake_include("${ISOTEST_PREFIX}/bin/isotest" "${installed_file}")
expect_cmake_include("${ISOTEST}" "${ISOTEST_SOURCE_DIR}/cmake/IsoTestWrapProject.cmake")

set(foreign_tests
  foreign.target Passed
  foreign.script Passed
  foreign.gtest.Probe.InSandbox Passed
  component.target Passed
)

# Configures BUILD twice with ARGN, builds it, runs its tests and checks that each of them ran
# under isotest with network MODE.
function(check_wrapped build network)
  # Not the prefix: the project must get IsoTest through the included file alone.
  set(configure "${CMAKE_COMMAND}" -S "${sample_projects}/foreign" -B "${build}"
                "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" ${ARGN})
  if(GENERATOR)
    list(APPEND configure -G "${GENERATOR}")
  endif()
  sample_run(first COMMAND ${configure})
  sample_run(again COMMAND "${CMAKE_COMMAND}" "${build}")
  sample_build("${build}")
  sample_ctest(run "${build}")
  expect_verdicts(run ${foreign_tests})
  foreach(test IN ITEMS foreign.target foreign.script foreign.gtest.Probe.InSandbox
                        component.target)
    expect_result("${build}/isotest-results" ${test} isolation network ${network})
  endforeach()
endfunction()

# CMAKE_PROJECT_INCLUDE, with options for every test from the cache (a list: given in an
# initial cache file, as a shell would pass -DISOTEST_WRAP_OPTIONS="NETWORK;none").
file(WRITE "${SAMPLE_ROOT}/options.cmake"
     [[set(ISOTEST_WRAP_OPTIONS "NETWORK;none" CACHE STRING "")]] "\n")
check_wrapped("${SAMPLE_ROOT}/project-include" none
              "-DCMAKE_PROJECT_INCLUDE=${installed_file}" -DCHECK_NETWORK_NONE=ON
              -C "${SAMPLE_ROOT}/options.cmake")

# CMAKE_PROJECT_TOP_LEVEL_INCLUDES: read before project() enables any language.
check_wrapped("${SAMPLE_ROOT}/top-level-includes" loopback
              "-DCMAKE_PROJECT_TOP_LEVEL_INCLUDES=${installed_file}")

# The source tree's file, with the program of a build tree: the tests run that program.
set(build "${SAMPLE_ROOT}/source-tree")
sample_run(configured COMMAND "${CMAKE_COMMAND}" -S "${sample_projects}/foreign" -B "${build}"
                              "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
                              "-DCMAKE_PROJECT_INCLUDE=${ISOTEST_SOURCE_DIR}/cmake/IsoTestWrapProject.cmake"
                              "-DISOTEST_EXECUTABLE=${ISOTEST}")
sample_run(show COMMAND "${CMAKE_CTEST_COMMAND}" --test-dir "${build}" -N -V -R "^foreign.script$")
expect_match("${show}" "Test command: ${ISOTEST} \"run\"" "the build tree's isotest runs the tests")

# Without the program, the source tree's file says what it needs.
sample_run(refused EXPECT_FAILURE
           COMMAND "${CMAKE_COMMAND}" -S "${sample_projects}/foreign" -B "${SAMPLE_ROOT}/no-program"
                   "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
                   "-DCMAKE_PROJECT_INCLUDE=${ISOTEST_SOURCE_DIR}/cmake/IsoTestWrapProject.cmake")
expect_message("${refused}" "needs the isotest program: pass -DISOTEST_EXECUTABLE="
               "the source tree's file without ISOTEST_EXECUTABLE")

sample_end()
