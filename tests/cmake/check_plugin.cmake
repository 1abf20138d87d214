# The GoogleTest plugin through CMake (projects/plugin): ISOTEST_NEEDS reaches the case's own
# sandbox, observed from inside the case (loopback down, the timeout), and GTEST_SKIP is
# CTest's "Skipped" through isotest_discover_tests() and add_isolated_test().
include("${CMAKE_CURRENT_LIST_DIR}/support.cmake")

sample_begin(plugin)
set(build "${SAMPLE_ROOT}/build")
set(results "${build}/isotest-results")
sample_configure(plugin "${build}")
sample_build("${build}")
sample_ctest(run "${build}")

expect_verdicts(run
  Needs.Offline Passed
  Needs.Online Passed
  Needs.Timed Passed
  Needs.SlowLink Passed
  Skips.Always Skipped
  whole_binary_skips Skipped
)
expect_result("${results}" Needs.Offline isolation network none)
expect_result("${results}" Needs.Online isolation network loopback)
expect_result("${results}" Needs.Timed timeout_ms 3000)
# A network condition declared for one case: its sandbox alone gets the rate.
expect_result("${results}" Needs.SlowLink network_conditions rate 1mbit)
expect_result("${results}" Needs.SlowLink status passed)
expect_result("${results}" Needs.Online timeout_ms 20000)
expect_property("${build}" Needs.Timed TIMEOUT 10.0)
expect_property("${build}" Skips.Always SKIP_RETURN_CODE 77)
expect_result("${results}" Skips.Always status skipped)
expect_result("${results}" Skips.Always cases 0 skip_message "nothing to do here")
expect_result("${results}" whole_binary_skips gtest cases_source plugin)

sample_run(report COMMAND "${ISOTEST}" report "${results}" --junit "${build}/junit.xml")
expect_match("${report}" "4 passed, 0 failed, 2 skipped" "isotest report")
file(READ "${build}/junit.xml" junit)
expect_match("${junit}"
             "<testcase classname=\"Skips\" name=\"Always\"[^>]*>\n *<skipped message=\"nothing to do here\"/>"
             "JUnit XML")

sample_end()
