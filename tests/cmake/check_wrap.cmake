# isotest_wrap_tests() for one directory tree, then ISOTEST_WRAP_ALL_TESTS for the whole
# project (projects/wrap): which tests ran in a sandbox, with which settings.
include("${CMAKE_CURRENT_LIST_DIR}/support.cmake")

sample_begin(wrap)
set(build "${SAMPLE_ROOT}/build")
set(results "${build}/isotest-results")
sample_configure(wrap "${build}")
sample_build("${build}")
sample_ctest(run "${build}")

# The probes check themselves whether they run in a sandbox (hostname isotest, lo down).
expect_verdicts(run
  top.target Passed
  wrapped.gtest.Probe.InSandbox Passed
  wrapped.target Passed
  wrapped.path Passed
  wrapped.genex Passed
  wrapped.words Passed
  wrapped.isolated Passed
  wrapped.missing "Not Run"
  wrapped.deeper Passed
  sibling.target Passed
)
foreach(test IN ITEMS wrapped.gtest.Probe.InSandbox wrapped.target wrapped.path wrapped.genex
                      wrapped.words wrapped.deeper)
  expect_result("${results}" ${test} isolation network none)
  expect_property("${build}" ${test} TIMEOUT 27.0)
endforeach()
expect_result("${results}" wrapped.words command 3 "x;y")
expect_result("${results}" wrapped.words command 4 "")
# add_isolated_test() is not wrapped a second time: its own settings, its own command.
expect_result("${results}" wrapped.isolated isolation hostname own)
expect_result("${results}" wrapped.isolated isolation network loopback)
expect_result("${results}" wrapped.isolated command 1 hostname)
foreach(test IN ITEMS top.target sibling.target wrapped.missing)
  expect_no_result("${results}" ${test})
endforeach()

# The whole project, with default isolation where isotest_wrap_tests() does not say more.
file(REMOVE_RECURSE "${results}")
sample_configure(wrap "${build}" -DISOTEST_WRAP_ALL_TESTS=ON)
sample_ctest(run_all "${build}")
expect_verdicts(run_all
  top.target Passed
  wrapped.gtest.Probe.InSandbox Passed
  wrapped.target Passed
  wrapped.path Passed
  wrapped.genex Passed
  wrapped.words Passed
  wrapped.isolated Passed
  wrapped.missing "Not Run"
  wrapped.deeper Passed
  sibling.target Passed
)
expect_result("${results}" top.target isolation network loopback)
expect_result("${results}" sibling.target isolation network loopback)
expect_result("${results}" wrapped.deeper isolation network none)
expect_no_result("${results}" wrapped.missing)

sample_end()
