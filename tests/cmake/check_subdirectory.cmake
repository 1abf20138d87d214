# isotest added with add_subdirectory() to the sample project (projects/subdirectory), as
# FetchContent does: the functions find the `isotest` target, and ISOTEST_WRAP_ALL_TESTS
# works although the module is included before the project's tests exist.
include("${CMAKE_CURRENT_LIST_DIR}/support.cmake")

sample_begin(subdirectory)
set(build "${SAMPLE_ROOT}/build")
set(results "${build}/isotest-results")
sample_configure(subdirectory "${build}" "-DISOTEST_SOURCE_DIR=${ISOTEST_SOURCE_DIR}"
                 -DISOTEST_WRAP_ALL_TESTS=ON)
# Only the sample's own target is built. Compiling isotest again would take minutes and test
# nothing this check is about, so the isotest under test goes where the `isotest` target's
# file belongs, which is where the tests must look for it.
sample_build("${build}" --target probe)
set(isotest "${build}/isotest/harness/isotest")
file(COPY_FILE "${ISOTEST}" "${isotest}")
sample_ctest(run "${build}")
expect_verdicts(run
  sub.isolated Passed
  sub.discovered.Probe.InSandbox Passed
  sub.plain Passed
)
expect_result("${results}" sub.isolated isolation cgroup limits memory_max_bytes 67108864)
expect_result("${results}" sub.discovered.Probe.InSandbox status passed)
expect_result("${results}" sub.plain status passed)
expect_property("${build}" sub.plain WORKING_DIRECTORY "${build}")
sample_run(show COMMAND "${CMAKE_CTEST_COMMAND}" --test-dir "${build}" -N -V -R "^sub.plain$")
expect_match("${show}" "Test command: ${isotest} \"run\"" "the isotest target runs sub.plain")
sample_end()
