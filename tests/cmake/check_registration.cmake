# isotest's own test registration, in a fresh build tree of this source tree (configured, not
# built): `ctest -L unit` selects the unit tests, and without clang-format and clang-tidy the
# lint tests are still there and fail, naming the missing tool and how to install it.
include("${CMAKE_CURRENT_LIST_DIR}/support.cmake")

sample_begin(registration)
set(build "${SAMPLE_ROOT}/build")
# An empty value counts as "searched, not found": find_program does not look again.
set(configure "${CMAKE_COMMAND}" -S "${ISOTEST_SOURCE_DIR}" -B "${build}"
              "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" -DISOTEST_CLANG_FORMAT= -DISOTEST_CLANG_TIDY=)
if(GENERATOR)
  list(APPEND configure -G "${GENERATOR}")
endif()
sample_run(configured COMMAND ${configure})

sample_run(unit COMMAND "${CMAKE_CTEST_COMMAND}" --test-dir "${build}" -N -L "^unit$")
expect_match("${unit}" "Test +#[0-9]+: unit\n" "ctest -L unit selects the unit test")
expect_match("${unit}" "Total Tests: [1-9]" "ctest -L unit selects tests")

sample_ctest(lint "${build}" -R "^lint[.]")
expect_verdicts(lint lint.format Failed lint.tidy Failed)
expect_match("${lint_output}" "lint.format: clang-format not found: install it with scripts/install-deps.sh"
             "lint.format names the missing tool and the fix")
expect_match("${lint_output}" "lint.tidy: clang-tidy not found: install it with scripts/install-deps.sh"
             "lint.tidy names the missing tool and the fix")
sample_end()
