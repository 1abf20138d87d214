# isotest_discover_tests() on binaries whose listing fails (projects/discovery_failure): the
# build, or ctest for PRE_TEST, stops with the binary's path, the reason and its output.
include("${CMAKE_CURRENT_LIST_DIR}/support.cmake")

sample_begin(discovery_failure)
set(build "${SAMPLE_ROOT}/build")
sample_configure(discovery_failure "${build}")

sample_run(output EXPECT_FAILURE COMMAND "${CMAKE_COMMAND}" --build "${build}" --target exits_3)
expect_message("${output}" "cannot list the tests of [^ ]*/exits_3: it exited with status 3"
               "exits_3")
expect_message("${output}" "cannot open the fixture data" "exits_3's output")

sample_run(output EXPECT_FAILURE COMMAND "${CMAKE_COMMAND}" --build "${build}" --target hangs)
string(CONCAT expected "cannot list the tests of [^ ]*/hangs: "
                       "it did not finish within DISCOVERY_TIMEOUT \\(1 s\\)")
expect_message("${output}" "${expected}" "hangs")

sample_run(output EXPECT_FAILURE COMMAND "${CMAKE_COMMAND}" --build "${build}" --target not_gtest)
expect_message("${output}" "[^ ]*/not_gtest --gtest_list_tests printed no GoogleTest listing"
               "not_gtest")
expect_message("${output}" "hello, world" "not_gtest's output")

# PRE_TEST: the build succeeds, ctest refuses to start.
sample_build("${build}" --target exits_3_pre_test)
sample_run(output EXPECT_FAILURE COMMAND "${CMAKE_CTEST_COMMAND}" --test-dir "${build}")
expect_message("${output}"
               "cannot list the tests of [^ ]*/exits_3_pre_test: it exited with status 3"
               "exits_3_pre_test")

sample_end()
