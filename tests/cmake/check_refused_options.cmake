# Keyword values that isotest refuses (PIDS 1, MEMORY 12Q, TIMEOUT abc) are judged by isotest
# itself, `isotest run --check` (projects/refused_options): with an installed isotest,
# configuring fails with isotest's own message and the name of the test; with isotest added by
# add_subdirectory(), whose program only exists once built, the build fails so.
include("${CMAKE_CURRENT_LIST_DIR}/support.cmake")

set(pids_message [[isotest: --pids takes a whole number from 2 \(isotest's init and the test\) to 4194304 \(the kernel's limit\); got 1]])
set(memory_message [[isotest: --memory takes a size of at least 1M, such as 256M or 1G; got `12Q`]])
set(timeout_message [[isotest: --timeout takes a duration such as 500ms, 30s or 2m; got `abc`]])

sample_begin(refused_options)

# An installed isotest: configure stops at the first refused test.
foreach(case IN ITEMS
    "add_isolated_test|pids|add_isolated_test\\(refused_pids\\)"
    "add_isolated_test|memory|add_isolated_test\\(refused_memory\\)"
    "add_isolated_test|timeout|add_isolated_test\\(refused_timeout\\)"
    "isotest_discover_tests|pids|isotest_discover_tests\\(probe\\)"
    "isotest_wrap_tests|memory|isotest_wrap_tests")
  string(REPLACE "|" ";" case "${case}")
  list(GET case 0 function)
  list(GET case 1 refused)
  list(GET case 2 caller)
  set(build "${SAMPLE_ROOT}/installed-${function}-${refused}")
  sample_run(output EXPECT_FAILURE
             COMMAND "${CMAKE_COMMAND}" -S "${sample_projects}/refused_options" -B "${build}"
                     "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" "-DCMAKE_PREFIX_PATH=${ISOTEST_PREFIX}"
                     "-DFUNCTION=${function}" "-DREFUSED=${refused}")
  expect_message("${output}"
                 "${caller}: isotest does not take these options: ${${refused}_message}"
                 "${function} with a refused ${refused} when configuring")
endforeach()

set(build "${SAMPLE_ROOT}/installed-no-value")
sample_run(output EXPECT_FAILURE
           COMMAND "${CMAKE_COMMAND}" -S "${sample_projects}/refused_options" -B "${build}"
                   "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" "-DCMAKE_PREFIX_PATH=${ISOTEST_PREFIX}"
                   -DFUNCTION=add_isolated_test -DREFUSED=no_value)
expect_message("${output}"
               [[add_isolated_test\(refused_no_value\): MEMORY is given without a value \(an unset variable\?\)]]
               "a keyword without its value")

# The same options isotest takes configure, with no build step to check them later.
set(build "${SAMPLE_ROOT}/installed-accepted")
sample_run(output
           COMMAND "${CMAKE_COMMAND}" -S "${sample_projects}/refused_options" -B "${build}"
                   "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" "-DCMAKE_PREFIX_PATH=${ISOTEST_PREFIX}")
if(EXISTS "${build}/isotest_check_options")
  sample_fail("an installed isotest checked the options at build time too")
endif()

# isotest added by add_subdirectory(): configuring passes, the check is a build step. Compiling
# isotest again would take minutes and test nothing this check is about, so the isotest under
# test goes where the `isotest` target's file belongs, and the step is built on its own
# (`TARGET/fast`, the Makefile generator's rule without dependencies), with -k so that every
# refused test is reported.
set(build "${SAMPLE_ROOT}/subdirectory")
sample_run(output
           COMMAND "${CMAKE_COMMAND}" -S "${sample_projects}/refused_options" -B "${build}"
                   -G "Unix Makefiles" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
                   "-DISOTEST_SOURCE_DIR=${ISOTEST_SOURCE_DIR}"
                   -DFUNCTION=add_isolated_test "-DREFUSED=pids;memory;timeout")
file(COPY_FILE "${ISOTEST}" "${build}/isotest/harness/isotest")
sample_run(output EXPECT_FAILURE
           COMMAND "${CMAKE_COMMAND}" --build "${build}" --target isotest_check_options/fast
                   -- -k)
foreach(refused IN ITEMS pids memory timeout)
  expect_message("${output}"
                 "add_isolated_test\\(refused_${refused}\\): isotest does not take these options: ${${refused}_message}"
                 "the build step for a refused ${refused}")
endforeach()
expect_match("${output}" "Checking the isotest options of add_isolated_test\\(accepted\\)"
             "the build step checks the accepted test too")
if(output MATCHES "add_isolated_test\\(accepted\\): isotest does not")
  sample_fail("the build step refused options isotest takes:\n${output}")
endif()

sample_end()
