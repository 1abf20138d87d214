# Shared by the check_*.cmake scripts, which tests/cmake/CMakeLists.txt runs with `cmake -P`:
# each configures a sample project of projects/ in a temporary build tree, builds it, runs
# `ctest -j` on it, and checks CTest's verdicts and the result files.
#
# The scripts get (-D):
#   ISOTEST_SOURCE_DIR  the isotest source tree
#   ISOTEST             the isotest program under test
#   ISOTEST_PREFIX      where cmake.install put isotest (for find_package)
#   WORK_DIR            where temporary trees go; each check removes its own, also those
#                       left behind by an earlier run that was killed
#   GENERATOR, CXX_COMPILER  what the outer build uses
#   GTEST_CONFIG_DIR    where the outer build found GoogleTest's package (GTest_DIR)
# Set ISOTEST_KEEP_SAMPLES=1 in the environment to keep the trees for a look.

include("${ISOTEST_SOURCE_DIR}/cmake/IsoTestAddTests.cmake")

set(sample_projects "${CMAKE_CURRENT_LIST_DIR}/projects")

# Makes SAMPLE_ROOT, a fresh directory below PARENT (default WORK_DIR) for the check NAME.
function(sample_begin name)
  set(parent "${WORK_DIR}")
  if(ARGC GREATER 1)
    set(parent "${ARGV1}")
  endif()
  # Trees of an earlier run of this check that was killed before it could clean up.
  string(MD5 owner "${WORK_DIR}")
  string(SUBSTRING "${owner}" 0 8 owner)
  file(GLOB stale LIST_DIRECTORIES true "${parent}/isotest-cmake-${owner}-${name}-*")
  if(stale)
    file(REMOVE_RECURSE ${stale})
  endif()
  string(RANDOM LENGTH 8 ALPHABET "abcdefghijklmnopqrstuvwxyz0123456789" suffix)
  set(root "${parent}/isotest-cmake-${owner}-${name}-${suffix}")
  file(MAKE_DIRECTORY "${root}")
  set_property(GLOBAL PROPERTY SAMPLE_ROOT "${root}")
  set(SAMPLE_ROOT "${root}" PARENT_SCOPE)
endfunction()

function(sample_cleanup)
  get_property(root GLOBAL PROPERTY SAMPLE_ROOT)
  if(root AND NOT "$ENV{ISOTEST_KEEP_SAMPLES}")
    file(REMOVE_RECURSE "${root}")
  endif()
endfunction()

function(sample_fail)
  sample_cleanup()
  string(CONCAT message ${ARGN})
  message(FATAL_ERROR "${message}")
endfunction()

function(sample_end)
  sample_cleanup()
  message(STATUS "all checks held")
endfunction()

# Runs a command; fails the check when its exit status is not 0, or with EXPECT_FAILURE when
# it is. OUTPUT_VAR gets stdout and stderr together.
function(sample_run output_var)
  cmake_parse_arguments(PARSE_ARGV 1 arg "EXPECT_FAILURE" "WORKING_DIRECTORY" "COMMAND")
  if(NOT arg_WORKING_DIRECTORY)
    set(arg_WORKING_DIRECTORY "${WORK_DIR}")
  endif()
  execute_process(COMMAND ${arg_COMMAND}
                  WORKING_DIRECTORY "${arg_WORKING_DIRECTORY}"
                  OUTPUT_VARIABLE output ERROR_VARIABLE output
                  RESULT_VARIABLE result)
  list(JOIN arg_COMMAND " " shown)
  if(arg_EXPECT_FAILURE AND result EQUAL 0)
    sample_fail("expected a failure, got success from: ${shown}\n${output}")
  elseif(NOT arg_EXPECT_FAILURE AND NOT result EQUAL 0)
    sample_fail("exit status ${result} from: ${shown}\n${output}")
  endif()
  set(${output_var} "${output}" PARENT_SCOPE)
endfunction()

# Configures the sample project NAME into BUILD_DIR with ARGN as extra arguments.
function(sample_configure name build_dir)
  set(generator)
  if(GENERATOR)
    set(generator -G "${GENERATOR}")
  endif()
  sample_run(output COMMAND "${CMAKE_COMMAND}" -S "${sample_projects}/${name}"
                            -B "${build_dir}" ${generator}
                            "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
                            "-DCMAKE_PREFIX_PATH=${ISOTEST_PREFIX}"
                            ${ARGN})
endfunction()

function(sample_build build_dir)
  sample_run(output COMMAND "${CMAKE_COMMAND}" --build "${build_dir}" -j 2 ${ARGN})
endfunction()

# Runs `ctest -j 4` in BUILD_DIR (ARGN: more ctest options), which fails where the samples
# fail on purpose, and reads its verdicts: VERDICTS_PREFIX_names and VERDICTS_PREFIX_verdicts
# are parallel lists ("Passed", "Failed", "Skipped", "Not Run", "Disabled", "Timeout", ...).
function(sample_ctest verdicts_prefix build_dir)
  execute_process(COMMAND "${CMAKE_CTEST_COMMAND}" --test-dir "${build_dir}" -j 4
                          --output-on-failure ${ARGN}
                  WORKING_DIRECTORY "${build_dir}"
                  OUTPUT_VARIABLE output ERROR_VARIABLE errors)
  if(errors MATCHES "CMake Error")
    sample_fail("ctest could not read the tests of ${build_dir}:\n${errors}")
  endif()
  set(names)
  set(verdicts)
  string(REPLACE "\n" ";" lines "${output}")
  foreach(line IN LISTS lines)
    if(line MATCHES "Test +#[0-9]+: ([^ ]+) \\.* *(\\*\\*\\*)?([A-Z][A-Za-z ]*[a-z])  +[0-9.]+ sec")
      list(APPEND names "${CMAKE_MATCH_1}")
      list(APPEND verdicts "${CMAKE_MATCH_3}")
    elseif(line MATCHES "^[ \t]+[0-9]+ - ([^ ]+) \\(Disabled\\)$")
      list(APPEND names "${CMAKE_MATCH_1}")
      list(APPEND verdicts "Disabled")
    endif()
  endforeach()
  set(${verdicts_prefix}_names "${names}" PARENT_SCOPE)
  set(${verdicts_prefix}_verdicts "${verdicts}" PARENT_SCOPE)
  set(${verdicts_prefix}_output "${output}${errors}" PARENT_SCOPE)
endfunction()

# expect_verdicts(PREFIX test verdict [test verdict...]): what CTest said about each test,
# and that it ran no other tests.
function(expect_verdicts prefix)
  set(expected ${ARGN})
  list(LENGTH expected count)
  math(EXPR pairs "${count} / 2")
  list(LENGTH ${prefix}_names ran)
  if(NOT ran EQUAL pairs)
    sample_fail("expected ${pairs} tests, CTest reported ${ran}: ${${prefix}_names}\n"
                "${${prefix}_output}")
  endif()
  while(expected)
    list(POP_FRONT expected name verdict)
    list(FIND ${prefix}_names "${name}" index)
    if(index EQUAL -1)
      sample_fail("CTest did not report ${name}; it reported ${${prefix}_names}\n"
                  "${${prefix}_output}")
    endif()
    list(GET ${prefix}_verdicts ${index} actual)
    if(NOT actual STREQUAL verdict)
      sample_fail("${name}: expected ${verdict}, CTest said ${actual}\n${${prefix}_output}")
    endif()
  endwhile()
endfunction()

# expect_result(RESULTS_DIR TEST [KEY...] EXPECTED): a value of TEST's result file, found by
# the file name IsoTest.cmake gives it. EXPECTED "null" matches JSON null.
function(expect_result results_dir test_name)
  # Through ARGV<n>, so that an expected value holding ";" or nothing stays whole.
  math(EXPR last "${ARGC} - 1")
  set(expected "${ARGV${last}}")
  set(path)
  math(EXPR last_key "${last} - 1")
  foreach(index RANGE 2 ${last_key})
    list(APPEND path "${ARGV${index}}")
  endforeach()
  _isotest_result_file(file "${results_dir}" "${test_name}")
  if(NOT EXISTS "${file}")
    sample_fail("no result file for ${test_name}: ${file}")
  endif()
  file(READ "${file}" json)
  string(JSON name ERROR_VARIABLE error GET "${json}" name)
  if(NOT name STREQUAL test_name)
    sample_fail("${file} is the result of `${name}`, expected `${test_name}`")
  endif()
  string(JSON actual ERROR_VARIABLE error GET "${json}" ${path})
  if(error)
    string(JSON type ERROR_VARIABLE type_error TYPE "${json}" ${path})
    if(type STREQUAL "NULL")
      set(actual null)
    else()
      sample_fail("${file}: ${path}: ${error}")
    endif()
  endif()
  if(NOT actual STREQUAL expected)
    sample_fail("${test_name}: ${path} is `${actual}`, expected `${expected}`")
  endif()
endfunction()

function(expect_no_result results_dir test_name)
  _isotest_result_file(file "${results_dir}" "${test_name}")
  if(EXISTS "${file}")
    sample_fail("${test_name} has a result file, but should not run under isotest: ${file}")
  endif()
endfunction()

# expect_property(BUILD_DIR TEST PROPERTY EXPECTED): a test property as CTest sees it
# (`ctest --show-only=json-v1`), lists joined with ";".
function(expect_property build_dir test_name property expected)
  execute_process(COMMAND "${CMAKE_CTEST_COMMAND}" --test-dir "${build_dir}" --show-only=json-v1
                  OUTPUT_VARIABLE json RESULT_VARIABLE result)
  string(JSON count LENGTH "${json}" tests)
  math(EXPR last "${count} - 1")
  foreach(test_index RANGE ${last})
    string(JSON name GET "${json}" tests ${test_index} name)
    if(NOT name STREQUAL test_name)
      continue()
    endif()
    string(JSON properties_count ERROR_VARIABLE error LENGTH "${json}" tests ${test_index}
           properties)
    if(error)
      break()
    endif()
    math(EXPR last_property "${properties_count} - 1")
    foreach(property_index RANGE ${last_property})
      string(JSON property_name GET "${json}" tests ${test_index} properties ${property_index}
             name)
      if(NOT property_name STREQUAL property)
        continue()
      endif()
      string(JSON value GET "${json}" tests ${test_index} properties ${property_index} value)
      string(JSON type TYPE "${json}" tests ${test_index} properties ${property_index} value)
      if(type STREQUAL "ARRAY")
        string(JSON length LENGTH "${value}")
        math(EXPR last_item "${length} - 1")
        set(items)
        foreach(item_index RANGE ${last_item})
          string(JSON item GET "${value}" ${item_index})
          list(APPEND items "${item}")
        endforeach()
        set(value "${items}")
      endif()
      if(NOT value STREQUAL expected)
        sample_fail("${test_name}: ${property} is `${value}`, expected `${expected}`")
      endif()
      return()
    endforeach()
  endforeach()
  sample_fail("${test_name} has no ${property} property")
endfunction()

function(expect_match text regex what)
  if(NOT text MATCHES "${regex}")
    sample_fail("${what}: no match for `${regex}` in:\n${text}")
  endif()
endfunction()

# Like expect_match(), for CMake's error messages, which wrap long lines: runs of white space
# count as one space.
function(expect_message text regex what)
  string(REGEX REPLACE "[ \t\r\n]+" " " flat "${text}")
  expect_match("${flat}" "${regex}" "${what}")
endfunction()
