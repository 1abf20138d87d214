# isotest_discover_tests() (projects/discovery): typed and value-parameterized suites, a
# disabled, a skipped, a crashing and a failing case; POST_BUILD and PRE_TEST discovery. The
# build tree is below /tmp, which the sandbox replaces: IsoTest.cmake must bind it back.
include("${CMAKE_CURRENT_LIST_DIR}/support.cmake")

sample_begin(discovery /tmp)
set(build "${SAMPLE_ROOT}/build")
set(results "${build}/isotest-results")
sample_configure(discovery "${build}")
sample_build("${build}")

set(pre_test_tests "${build}/cases_test_isotest_2_tests.cmake")
if(EXISTS "${pre_test_tests}")
  sample_fail("PRE_TEST discovery ran before ctest: ${pre_test_tests}")
endif()
sample_ctest(run "${build}")
if(NOT EXISTS "${pre_test_tests}")
  sample_fail("ctest did not run PRE_TEST discovery: no ${pre_test_tests}")
endif()

expect_verdicts(run
  Plain.Passes Passed
  Plain.Fails Failed
  Plain.Crashes Failed
  Plain.Skips Skipped
  Plain.Later Disabled
  Sandbox.HasOwnHostname Passed
  Typed.HasSize<int> Passed
  Typed.HasSize<char> Passed
  My/Registered.Works<long> Passed
  Small/Even.IsEven/2 Passed
  Small/Even.IsEven/4 Passed
  raw.Typed.HasSize<0>.again Passed
  raw.Typed.HasSize<1>.again Passed
  raw.Small/Even.IsEven/0.again Passed
  raw.Small/Even.IsEven/1.again Passed
)

# One sandbox, and one result file, per case.
expect_result("${results}" Plain.Passes status passed)
expect_result("${results}" Plain.Fails status failed)
expect_result("${results}" Plain.Crashes status crashed)
expect_result("${results}" Plain.Crashes signal_name SIGSEGV)
expect_result("${results}" Plain.Skips exit_code 0)
expect_no_result("${results}" Plain.Later)
expect_result("${results}" Small/Even.IsEven/4 command 1 --gtest_filter=Small/Even.IsEven/1)
expect_result("${results}" Typed.HasSize<char> command 1 --gtest_filter=Typed/1.HasSize)
expect_result("${results}" Sandbox.HasOwnHostname isolation cgroup limits memory_max_bytes
              268435456)
expect_result("${results}" Sandbox.HasOwnHostname isolation cgroup limits pids_max 64)
expect_result("${results}" Sandbox.HasOwnHostname timeout_ms 20000)
expect_result("${results}" raw.Small/Even.IsEven/0.again isolation network none)
expect_result("${results}" raw.Small/Even.IsEven/0.again command 3 --gtest_brief=1)

expect_property("${build}" Plain.Later DISABLED ON)
expect_property("${build}" Plain.Skips SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]")
expect_property("${build}" Plain.Passes LABELS "discovered;sandboxed")
expect_property("${build}" Plain.Passes TIMEOUT 27.0)
expect_property("${build}" Plain.Passes WORKING_DIRECTORY "${build}")

# XML_OUTPUT_DIR, written by GoogleTest from inside the sandbox.
if(NOT EXISTS "${build}/gtest-xml/Plain.Passes.xml")
  sample_fail("no XML output from inside the sandbox in ${build}/gtest-xml")
endif()

# TEST_LIST variables, as ctest saw them (recorded by the sample's own include file).
file(READ "${build}/test-lists.txt" test_lists)
expect_match("${test_lists}"
             "^Plain.Passes;Plain.Fails;.*;Small/Even.IsEven/4\nraw.Typed.HasSize<0>.again;"
             "TEST_LIST")

# The command a CI job runs after ctest.
sample_run(report EXPECT_FAILURE
           COMMAND "${ISOTEST}" report "${results}" --junit "${build}/junit.xml")
expect_match("${report}" "12 passed, 2 failed, 0 skipped" "isotest report")
file(READ "${build}/junit.xml" junit)
expect_match("${junit}" "<testcase [^>]*classname=\"Plain\" name=\"Crashes\"" "JUnit XML")

sample_end()
