# Source and build trees both below /tmp (projects/tmp_trees), which the sandbox replaces with
# an empty /tmp: every function keeps them visible (--keep-visible), so tests find their data
# through paths compiled in; READ_ONLY makes them read-only all the same; and `isotest gtest`
# runs a binary there from any directory.
include("${CMAKE_CURRENT_LIST_DIR}/support.cmake")

sample_begin(tmp_trees /tmp)
set(source "${SAMPLE_ROOT}/source")
file(COPY "${sample_projects}/tmp_trees" "${sample_projects}/common" DESTINATION "${source}")
set(sample_projects "${source}")
set(build "${SAMPLE_ROOT}/build")
set(results "${build}/isotest-results")
sample_configure(tmp_trees "${build}")
sample_build("${build}")
sample_ctest(run "${build}")

expect_verdicts(run
  read_only Passed
  source_data Passed
  discovered.Sample.ReadsSourceData Passed
  wrapped.source_data Passed
)
expect_result("${results}" read_only isolation read_only_root ON)

# The result says what was kept and why; one mount a line, with "|" for the ";" of the
# descriptions, which CMake would read as a list separator.
_isotest_result_file(file "${results}" read_only)
file(READ "${file}" json)
string(JSON count LENGTH "${json}" isolation mounts)
math(EXPR last "${count} - 1")
set(mounts "\n")
foreach(index RANGE ${last})
  string(JSON mount GET "${json}" isolation mounts ${index})
  string(REPLACE ";" "|" mount "${mount}")
  string(APPEND mounts "${mount}\n")
endforeach()
foreach(expected IN ITEMS
    "keep ${build} read-only (directory of the executable ${build}/probe, named in the arguments, --keep-visible| /tmp is the sandbox's own)"
    "keep ${build}/workdir writable (working directory, named in the arguments| /tmp is the sandbox's own)"
    "keep ${source}/tmp_trees read-only (named in the arguments, --keep-visible| /tmp is the sandbox's own)")
  string(FIND "${mounts}" "\n${expected}\n" position)
  if(position EQUAL -1)
    sample_fail("read_only: no `${expected}` in isolation.mounts:${mounts}")
  endif()
endforeach()

# `isotest gtest` on the binary below /tmp, started from /: each case is an `isotest run`.
sample_run(output COMMAND "${ISOTEST}" gtest --keep-visible "${source}" "${build}/unit_tests"
           WORKING_DIRECTORY /)
expect_match("${output}" "1 passed, 0 failed" "isotest gtest of a binary below /tmp")

sample_end()
