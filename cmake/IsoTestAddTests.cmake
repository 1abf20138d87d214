# isotest: the parts of IsoTest.cmake that run after configuration.
#
# IsoTest.cmake writes small scripts into the build tree that include this file:
#
# - `<target>_isotest[N]_discovery.cmake` calls isotest_discover_tests_impl() at build time
#   (DISCOVERY_MODE POST_BUILD, through `cmake -P`) or when ctest starts (PRE_TEST).
# - `isotest_wrap.cmake`, listed in a directory's TEST_INCLUDE_FILES, calls
#   isotest_wrap_directory() when ctest reads that directory's tests.
# - `isotest_check_options/<N>-<config>.cmake` calls isotest_check_run_arguments() at build time,
#   when the isotest that must check a function's options is built with the project.
#
# It is not meant to be included by projects. Like GoogleTestAddTests.cmake, it defines only
# functions; nothing runs when it is included.

include_guard(GLOBAL)

cmake_policy(PUSH)
cmake_policy(VERSION 3.20...3.31)

# The file name for the test named TEST_NAME. Characters that a file name, a shell or a CI
# artefact pattern would trip over become "_", and a short hash of the real name then keeps
# apart two names that differ only in those characters ("Suite/0.Case" and "Suite_0.Case").
# Long names (value-parameterized cases can print long values) are cut to stay below NAME_MAX.
function(_isotest_test_file_name out_var test_name)
  string(REGEX REPLACE "[^A-Za-z0-9._+-]" "_" file_name "${test_name}")
  string(LENGTH "${file_name}" length)
  if(NOT file_name STREQUAL test_name OR length GREATER 200 OR file_name MATCHES "^[.]*$")
    string(MD5 hash "${test_name}")
    string(SUBSTRING "${hash}" 0 8 hash)
    string(SUBSTRING "${file_name}" 0 180 file_name)
    string(APPEND file_name "-${hash}")
  endif()
  set(${out_var} "${file_name}" PARENT_SCOPE)
endfunction()

# Where the result of the test named TEST_NAME goes.
function(_isotest_result_file out_var results_dir test_name)
  _isotest_test_file_name(file_name "${test_name}")
  set(${out_var} "${results_dir}/${file_name}.json" PARENT_SCOPE)
endfunction()

# The `isotest run` options that keep the files of the test named TEST_NAME in a folder of its
# own below ARTIFACTS_DIR (ARTIFACTS), as KEEP says, with its packets when it fails if CAPTURE
# is on-failure; none without ARTIFACTS_DIR.
function(_isotest_artifacts_args out_var artifacts_dir keep capture test_name)
  set(args "")
  if(NOT "${artifacts_dir}" STREQUAL "")
    _isotest_test_file_name(folder "${test_name}")
    list(APPEND args --artifacts "${artifacts_dir}/${folder}")
    if(NOT "${keep}" STREQUAL "")
      list(APPEND args --keep "${keep}")
    endif()
    if(NOT "${capture}" STREQUAL "")
      list(APPEND args --capture "${capture}")
    endif()
  endif()
  set(${out_var} "${args}" PARENT_SCOPE)
endfunction()

# VALUE as one bracket argument whose brackets cannot be closed by VALUE itself.
function(_isotest_bracket out_var value)
  set(equals "=")
  while(value MATCHES "\\]${equals}\\]")
    string(APPEND equals "=")
  endwhile()
  set(${out_var} "[${equals}[${value}]${equals}]" PARENT_SCOPE)
endfunction()

# Appends to the string CODE_VAR the elements of the list LIST_VAR, each as one bracket
# argument, so that empty elements and elements holding ";" survive being read back.
function(_isotest_append_arguments code_var list_var)
  set(code "${${code_var}}")
  foreach(element IN LISTS ${list_var})
    _isotest_bracket(quoted "${element}")
    string(APPEND code " ${quoted}")
  endforeach()
  set(${code_var} "${code}" PARENT_SCOPE)
endfunction()

# Appends WORD to the string CODE_VAR as one bracket argument.
function(_isotest_append_word code_var word)
  _isotest_bracket(quoted "${word}")
  set(${code_var} "${${code_var}} ${quoted}" PARENT_SCOPE)
endfunction()

# Gives the suite or case name of a GoogleTest listing without DISABLED_ prefixes, and whether
# there was one. GoogleTest disables a test whose suite or case name matches "DISABLED_*" or
# "*/DISABLED_*" (kDisableTestFilter in gtest.cc); the CTest name drops the prefix, as
# GoogleTest.cmake does, and the test gets the DISABLED property instead.
function(_isotest_strip_disabled name_var disabled_var name)
  set(disabled FALSE)
  if(name MATCHES "(^|/)DISABLED_")
    set(disabled TRUE)
    string(REGEX REPLACE "(^|/)DISABLED_" "\\1" name "${name}")
  endif()
  set(${name_var} "${name}" PARENT_SCOPE)
  set(${disabled_var} ${disabled} PARENT_SCOPE)
endfunction()

# Runs `EXECUTABLE --gtest_list_tests` and writes CTEST_FILE: one CTest test per GoogleTest
# case, each running `isotest run ... -- EXECUTABLE --gtest_filter=Suite.Case` in a sandbox of
# its own. The listing itself runs directly, outside any sandbox: it must be fast and needs no
# cgroup.
function(isotest_discover_tests_impl)
  set(one_value TARGET TEST_EXECUTABLE TEST_WORKING_DIR TEST_PREFIX TEST_SUFFIX TEST_FILTER
                TEST_LIST CTEST_FILE DISCOVERY_TIMEOUT XML_OUTPUT_DIR NO_PRETTY_TYPES
                NO_PRETTY_VALUES ISOTEST RESULTS_DIR CTEST_TIMEOUT ARTIFACTS_DIR KEEP CAPTURE)
  set(multi_value TEST_EXECUTOR EXTRA_ARGS DISCOVERY_EXTRA_ARGS PROPERTIES RUN_ARGS)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "${one_value}" "${multi_value}")

  set(what "isotest_discover_tests(${arg_TARGET})")
  if(NOT EXISTS "${arg_TEST_EXECUTABLE}")
    message(FATAL_ERROR
      "${what}: cannot list the tests of ${arg_TEST_EXECUTABLE}: the file does not exist.\n"
      "Build the target first; with DISCOVERY_MODE PRE_TEST, ctest lists tests of built "
      "targets only."
    )
  endif()

  set(filter)
  if(NOT "${arg_TEST_FILTER}" STREQUAL "")
    set(filter "--gtest_filter=${arg_TEST_FILTER}")
  endif()
  set(list_command ${arg_TEST_EXECUTOR} "${arg_TEST_EXECUTABLE}" --gtest_list_tests ${filter}
                   ${arg_DISCOVERY_EXTRA_ARGS})
  # A binary linked with isotest's GoogleTest plugin writes the needs its cases declared
  # (ISOTEST_NEEDS) into this file while it lists them; other binaries leave it absent.
  set(needs_file "${arg_CTEST_FILE}.needs.json")
  file(REMOVE "${needs_file}")
  # Through the environment of this process: ctest's script mode, where PRE_TEST discovery
  # runs, has no CMAKE_COMMAND for `cmake -E env`.
  set(ENV{ISOTEST_LIST_NEEDS} "${needs_file}")
  execute_process(
    COMMAND ${list_command}
    WORKING_DIRECTORY "${arg_TEST_WORKING_DIR}"
    TIMEOUT ${arg_DISCOVERY_TIMEOUT}
    OUTPUT_VARIABLE listing
    ERROR_VARIABLE errors
    RESULT_VARIABLE result
  )
  unset(ENV{ISOTEST_LIST_NEEDS})
  if(NOT result STREQUAL "0")
    if(result MATCHES "^[0-9]+$")
      set(reason "it exited with status ${result}")
    elseif(result MATCHES "timeout")
      string(CONCAT reason "it did not finish within DISCOVERY_TIMEOUT "
                           "(${arg_DISCOVERY_TIMEOUT} s); raise DISCOVERY_TIMEOUT if listing "
                           "is slow on this machine")
    else()
      set(reason "it ended abnormally: ${result}")
    endif()
    list(JOIN list_command " " shown_command)
    string(REPLACE "\n" "\n    " output "${listing}${errors}")
    message(FATAL_ERROR
      "${what}: cannot list the tests of ${arg_TEST_EXECUTABLE}: ${reason}.\n"
      "  Command: ${shown_command}\n"
      "  Working directory: ${arg_TEST_WORKING_DIR}\n"
      "  Output:\n"
      "    ${output}\n"
    )
  endif()

  # CMake lists cannot hold ";" and unbalanced "[" or "]" safely, and test names and printed
  # parameter values may contain all three: park them in control characters, which
  # --gtest_list_tests never prints raw (GoogleTest escapes them in values, and identifiers
  # cannot hold them), while the listing is split into lines.
  string(ASCII 1 semicolon_mark)
  string(ASCII 2 open_mark)
  string(ASCII 3 close_mark)
  string(REPLACE ";" "${semicolon_mark}" listing "${listing}")
  string(REPLACE "[" "${open_mark}" listing "${listing}")
  string(REPLACE "]" "${close_mark}" listing "${listing}")
  string(REPLACE "\n" ";" lines "${listing}")

  set(needs_json "{}")
  if(EXISTS "${needs_file}")
    file(READ "${needs_file}" needs_json)
  endif()

  set(script "file(MAKE_DIRECTORY [==[${arg_RESULTS_DIR}]==])\n")
  set(names)
  set(unrecognised)
  set(suite)
  foreach(line IN LISTS lines)
    string(REPLACE "${semicolon_mark}" ";" line "${line}")
    string(REPLACE "${open_mark}" "[" line "${line}")
    string(REPLACE "${close_mark}" "]" line "${line}")
    string(REGEX REPLACE "\r$" "" line "${line}")
    if("${line}" STREQUAL "")
      continue()
    endif()

    # A suite line: "Suite." or, for a typed suite, "Prefix/Suite/0.  # TypeParam = int".
    if(line MATCHES "^([^ #]+)\\.( +# TypeParam = (.*))?$")
      set(suite "${CMAKE_MATCH_1}")
      set(type_parameter "${CMAKE_MATCH_3}")
      set(pretty_suite "${suite}")
      if(CMAKE_MATCH_2)
        # "Suite/0" becomes "Suite.Case<int>" (or "Suite.Case<0>" with NO_PRETTY_TYPES).
        string(REGEX MATCH "[0-9]+$" type_index "${suite}")
        string(REGEX REPLACE "/[0-9]+$" "" pretty_suite "${suite}")
        if(arg_NO_PRETTY_TYPES)
          set(type_parameter "${type_index}")
        endif()
        set(type_parameter "<${type_parameter}>")
      endif()
      _isotest_strip_disabled(pretty_suite suite_disabled "${pretty_suite}")
      continue()
    endif()

    # A case line: "  Case" or, in a value-parameterized suite, "  Case/0  # GetParam() = 42".
    if(NOT "${suite}" STREQUAL ""
       AND line MATCHES "^  ([^ #]+)( +# GetParam\\(\\) = (.*))?$")
      set(case "${CMAKE_MATCH_1}")
      set(pretty_case "${case}")
      if(CMAKE_MATCH_2 AND NOT arg_NO_PRETTY_VALUES)
        # "Case/0" becomes "Case/42" (the value is not a regex replacement: it may hold "\").
        set(value "${CMAKE_MATCH_3}")
        string(REGEX REPLACE "/[0-9]+$" "" pretty_case "${case}")
        string(APPEND pretty_case "/${value}")
      endif()
      _isotest_strip_disabled(pretty_case case_disabled "${pretty_case}")
      _isotest_case_needs(case_run_args case_ctest_timeout "${needs_json}" "${suite}.${case}")
      set(test_name "${arg_TEST_PREFIX}${pretty_suite}.${pretty_case}${type_parameter}")
      string(APPEND test_name "${arg_TEST_SUFFIX}")
      _isotest_write_discovered_test()
      # A ";" in a name (a printed parameter value) must not split the list.
      string(REPLACE ";" "\\;" listed_name "${test_name}")
      list(APPEND names "${listed_name}")
      continue()
    endif()

    # GoogleTest's own main prints "Running main() from .../gtest_main.cc" first.
    if(NOT line MATCHES "^Running main\\(\\) from ")
      list(APPEND unrecognised "${line}")
    endif()
  endforeach()

  if("${names}" STREQUAL "" AND NOT "${unrecognised}" STREQUAL "")
    list(JOIN unrecognised "\n    " shown)
    message(FATAL_ERROR
      "${what}: ${arg_TEST_EXECUTABLE} --gtest_list_tests printed no GoogleTest listing; "
      "is it a GoogleTest binary?\n"
      "  Output:\n"
      "    ${shown}\n"
    )
  endif()

  # Names with "[" or "]" would break the list, as in GoogleTest.cmake: they stay out of it.
  set(listed_names)
  foreach(name IN LISTS names)
    if(NOT name MATCHES "[][]")
      string(REPLACE ";" "\\;" name "${name}")
      list(APPEND listed_names "${name}")
    endif()
  endforeach()
  _isotest_bracket(quoted_list "${listed_names}")
  string(APPEND script "set(${arg_TEST_LIST} ${quoted_list})\n")
  file(WRITE "${arg_CTEST_FILE}" "${script}")
endfunction()

# The `isotest run` arguments of one case (RUN_ARGS_VAR) and its CTest TIMEOUT (TIMEOUT_VAR):
# the function's RUN_ARGS and CTEST_TIMEOUT, with the case's needs from NEEDS_JSON (the map
# the plugin writes, keyed by NAME as --gtest_list_tests spells it) in place of the same
# options -- isotest takes each of them once. The plugin writes durations in milliseconds.
# Reads arg_RUN_ARGS and arg_CTEST_TIMEOUT of the caller.
function(_isotest_case_needs run_args_var timeout_var needs_json name)
  set(run_args "${arg_RUN_ARGS}")
  set(ctest_timeout "${arg_CTEST_TIMEOUT}")
  string(JSON count ERROR_VARIABLE missing LENGTH "${needs_json}" "${name}")
  if(missing OR count EQUAL 0)
    set(${run_args_var} "${run_args}" PARENT_SCOPE)
    set(${timeout_var} "${ctest_timeout}" PARENT_SCOPE)
    return()
  endif()
  set(needs)
  math(EXPR last "${count} - 1")
  foreach(index RANGE ${last})
    string(JSON word GET "${needs_json}" "${name}" ${index})
    list(APPEND needs "${word}")
  endforeach()
  # Drop the options the case sets itself, with their values.
  set(kept)
  set(kill_after_ms 2000)
  set(skip_value FALSE)
  set(previous "")
  foreach(word IN LISTS run_args)
    if(skip_value)
      set(skip_value FALSE)
    elseif(word MATCHES "^--(memory|pids|cpus|network|timeout|time-offset)$" AND word IN_LIST needs)
      set(skip_value TRUE)
    else()
      list(APPEND kept "${word}")
      if(previous STREQUAL "--kill-after" AND word MATCHES "^([0-9]+)ms$")
        set(kill_after_ms "${CMAKE_MATCH_1}")
      endif()
    endif()
    set(previous "${word}")
  endforeach()
  list(APPEND kept ${needs})
  list(FIND needs --timeout timeout_index)
  if(timeout_index GREATER -1)
    math(EXPR value_index "${timeout_index} + 1")
    list(GET needs ${value_index} timeout)
    if(timeout MATCHES "^([0-9]+)ms$")
      # As add_isolated_test(): isotest's timeout and grace period, rounded up, plus 5 s.
      math(EXPR ctest_timeout "(${CMAKE_MATCH_1} + ${kill_after_ms} + 999) / 1000 + 5")
    endif()
  endif()
  set(${run_args_var} "${kept}" PARENT_SCOPE)
  set(${timeout_var} "${ctest_timeout}" PARENT_SCOPE)
endfunction()

# One add_test() and set_tests_properties() for the case described by the variables of
# isotest_discover_tests_impl(): a macro so that it appends to that function's `script`.
# The code is written word by word, never through a list, because names and arguments may
# hold ";" (a printed parameter value, a list-valued property such as LABELS).
macro(_isotest_write_discovered_test)
  _isotest_result_file(result_file "${arg_RESULTS_DIR}" "${test_name}")
  _isotest_bracket(quoted_name "${test_name}")
  set(test_code "add_test(${quoted_name}")
  _isotest_append_word(test_code "${arg_ISOTEST}")
  _isotest_append_word(test_code run)
  _isotest_append_word(test_code --name)
  _isotest_append_word(test_code "${test_name}")
  _isotest_append_word(test_code --json)
  _isotest_append_word(test_code "${result_file}")
  _isotest_artifacts_args(artifacts_args "${arg_ARTIFACTS_DIR}" "${arg_KEEP}" "${arg_CAPTURE}"
                          "${test_name}")
  _isotest_append_arguments(test_code artifacts_args)
  _isotest_append_arguments(test_code case_run_args)
  _isotest_append_word(test_code --)
  _isotest_append_arguments(test_code arg_TEST_EXECUTOR)
  _isotest_append_word(test_code "${arg_TEST_EXECUTABLE}")
  _isotest_append_word(test_code "--gtest_filter=${suite}.${case}")
  _isotest_append_word(test_code --gtest_also_run_disabled_tests)
  if(NOT "${arg_XML_OUTPUT_DIR}" STREQUAL "")
    set(xml_file "${arg_TEST_PREFIX}${suite}.${case}${arg_TEST_SUFFIX}.xml")
    _isotest_append_word(test_code "--gtest_output=xml:${arg_XML_OUTPUT_DIR}/${xml_file}")
  endif()
  _isotest_append_arguments(test_code arg_EXTRA_ARGS)
  string(APPEND script "${test_code})\n")

  set(test_code "set_tests_properties(${quoted_name} PROPERTIES")
  _isotest_append_word(test_code WORKING_DIRECTORY)
  _isotest_append_word(test_code "${arg_TEST_WORKING_DIR}")
  _isotest_append_word(test_code SKIP_REGULAR_EXPRESSION)
  _isotest_append_word(test_code "\\[  SKIPPED \\]")
  # isotest exits 77 when every case of the run was skipped (GTEST_SKIP).
  _isotest_append_word(test_code SKIP_RETURN_CODE)
  _isotest_append_word(test_code 77)
  if(suite_disabled OR case_disabled)
    string(APPEND test_code " DISABLED TRUE")
  endif()
  if(NOT "${case_ctest_timeout}" STREQUAL "")
    _isotest_append_word(test_code TIMEOUT)
    _isotest_append_word(test_code "${case_ctest_timeout}")
  endif()
  _isotest_append_arguments(test_code arg_PROPERTIES)
  string(APPEND script "${test_code})\n")
endmacro()

# Puts every test that ctest reads from DIRECTORY (a build directory) and the directories
# below it under `ISOTEST run RUN_ARGS`, writing each test's result into RESULTS_DIR.
#
# ctest reads a directory's TEST_INCLUDE_FILES before its add_test() lines and before its
# subdirectories, so defining add_test() here catches every later test; CMake keeps the
# built-in command reachable as _add_test(). Tests of other directories pass through
# unchanged, as do tests that already run under isotest with a result file
# (add_isolated_test(), isotest_discover_tests()).
#
# On CMake 3.29 and later, isotest_wrap_tests() also sets TEST_LAUNCHER to
# `isotest run --name isotest_wrap_tests RUN_ARGS --` on executable targets. Here that
# launcher is replaced by the wrapping of the test's own directory; a test of such a target
# in a directory that is not wrapped keeps the launcher, with its own --name and --json.
function(isotest_wrap_directory)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "DIRECTORY;ISOTEST;RESULTS_DIR;CTEST_TIMEOUT"
                        "RUN_ARGS")
  file(MAKE_DIRECTORY "${arg_RESULTS_DIR}")
  file(REAL_PATH "${arg_DIRECTORY}" directory)
  get_property(wrapped GLOBAL PROPERTY ISOTEST_WRAPPED_DIRECTORIES)
  if(NOT directory IN_LIST wrapped)
    set_property(GLOBAL APPEND PROPERTY ISOTEST_WRAPPED_DIRECTORIES "${directory}")
  endif()
  foreach(setting IN ITEMS ISOTEST RESULTS_DIR CTEST_TIMEOUT RUN_ARGS)
    set_property(GLOBAL PROPERTY "ISOTEST_WRAP_${setting} ${directory}" "${arg_${setting}}")
  endforeach()

  # Defining add_test() twice would make the second definition call the first as _add_test()
  # and the first call itself.
  get_property(defined GLOBAL PROPERTY ISOTEST_ADD_TEST_WRAPPED SET)
  if(defined)
    return()
  endif()
  set_property(GLOBAL PROPERTY ISOTEST_ADD_TEST_WRAPPED TRUE)

  # The words of the command are handled one at a time through ARGV<n>, never as a list, so
  # that empty words and words holding ";" reach _add_test() unchanged.
  function(add_test test_name)
    math(EXPR last "${ARGC} - 1")
    # isotest_wrap_tests()' own TEST_LAUNCHER, `isotest run --name isotest_wrap_tests ... --`:
    # where it ends. -1: an isotest command of someone else's, which is left alone.
    set(launcher_end 0)
    get_filename_component(program_name "${ARGV1}" NAME)
    if(program_name STREQUAL "isotest")
      set(launcher_end -1)
      if(last GREATER_EQUAL 5 AND "${ARGV2}" STREQUAL "run" AND "${ARGV3}" STREQUAL "--name"
         AND "${ARGV4}" STREQUAL "isotest_wrap_tests")
        foreach(index RANGE 5 ${last})
          if("${ARGV${index}}" STREQUAL "--")
            set(launcher_end ${index})
            break()
          endif()
        endforeach()
      endif()
    endif()

    _isotest_wrap_plan(plan prefix ctest_timeout "${test_name}" "${ARGV1}" ${launcher_end})
    set(words "")
    set(first_word 1)
    if(plan STREQUAL "replace-launcher")
      math(EXPR first_word "${launcher_end} + 1")
    elseif(plan STREQUAL "complete-launcher")
      # `isotest run`, then the test's --name and --json in place of the marker.
      _isotest_append_word(words "${ARGV1}")
      _isotest_append_word(words "${ARGV2}")
      set(first_word 5)
    endif()
    string(APPEND words "${prefix}")
    if(first_word LESS_EQUAL last)
      foreach(index RANGE ${first_word} ${last})
        _isotest_append_word(words "${ARGV${index}}")
      endforeach()
    endif()
    _isotest_bracket(quoted_name "${test_name}")
    cmake_language(EVAL CODE "_add_test(${quoted_name}${words})")
    # isotest exits 77 for a GoogleTest binary that skipped every case; a SKIP_RETURN_CODE of
    # the test's own, set after add_test(), replaces this.
    if(NOT plan STREQUAL "keep")
      set_tests_properties("${test_name}" PROPERTIES SKIP_RETURN_CODE 77)
    endif()
    if(NOT "${ctest_timeout}" STREQUAL "")
      set_tests_properties("${test_name}" PROPERTIES TIMEOUT "${ctest_timeout}")
    endif()
  endfunction()
endfunction()

# How a test read by ctest is wrapped. PLAN_VAR gets one of
#   keep               leave the command alone
#   wrap               put PREFIX (`isotest run --name --json RUN_ARGS --`) in front of it
#   replace-launcher   the same, in place of its launcher (words 1 to LAUNCHER_END)
#   complete-launcher  keep its launcher, with PREFIX (--name and --json) for its marker
# PREFIX_VAR gets the words to add, each a bracket argument preceded by a space; TIMEOUT_VAR
# the CTest TIMEOUT to set. LAUNCHER_END is 0 for a command that is not isotest, -1 for an
# isotest command that is not isotest_wrap_tests()' launcher.
function(_isotest_wrap_plan plan_var prefix_var timeout_var test_name program launcher_end)
  set(${plan_var} keep PARENT_SCOPE)
  set(${prefix_var} "" PARENT_SCOPE)
  set(${timeout_var} "" PARENT_SCOPE)
  if(launcher_end EQUAL -1)
    return()
  endif()
  # ctest's own markers for tests it cannot run: keep them, so that it says why.
  if(program STREQUAL "NOT_AVAILABLE" OR program MATCHES "_NOT_BUILT$")
    return()
  endif()
  if(IS_ABSOLUTE "${program}" AND NOT EXISTS "${program}")
    return()
  endif()

  # The CTestTestfile.cmake being read; at the top of the test tree ctest names it relative to
  # its working directory. The innermost wrapped directory around it has the settings.
  file(REAL_PATH "${CMAKE_CURRENT_LIST_FILE}" list_file)
  get_filename_component(directory "${list_file}" DIRECTORY)
  get_property(wrapped GLOBAL PROPERTY ISOTEST_WRAPPED_DIRECTORIES)
  set(settings_directory "")
  set(best_length -1)
  foreach(candidate IN LISTS wrapped)
    string(FIND "${directory}/" "${candidate}/" position)
    string(LENGTH "${candidate}" length)
    if(position EQUAL 0 AND length GREATER best_length)
      set(settings_directory "${candidate}")
      set(best_length ${length})
    endif()
  endforeach()

  set(plan wrap)
  if(launcher_end GREATER 0)
    set(plan replace-launcher)
  endif()
  if("${settings_directory}" STREQUAL "")
    if(launcher_end EQUAL 0 OR "${wrapped}" STREQUAL "")
      return()
    endif()
    # A launcher-wrapped target's test outside the wrapped trees: name its result only.
    list(GET wrapped 0 settings_directory)
    set(plan complete-launcher)
  endif()

  foreach(setting IN ITEMS ISOTEST RESULTS_DIR CTEST_TIMEOUT RUN_ARGS)
    get_property(${setting} GLOBAL PROPERTY "ISOTEST_WRAP_${setting} ${settings_directory}")
  endforeach()
  _isotest_result_file(result_file "${RESULTS_DIR}" "${test_name}")
  set(prefix "")
  if(NOT plan STREQUAL "complete-launcher")
    _isotest_append_word(prefix "${ISOTEST}")
    _isotest_append_word(prefix run)
  endif()
  _isotest_append_word(prefix --name)
  _isotest_append_word(prefix "${test_name}")
  _isotest_append_word(prefix --json)
  _isotest_append_word(prefix "${result_file}")
  if(NOT plan STREQUAL "complete-launcher")
    _isotest_append_arguments(prefix RUN_ARGS)
    _isotest_append_word(prefix --)
    set(${timeout_var} "${CTEST_TIMEOUT}" PARENT_SCOPE)
  endif()
  set(${plan_var} ${plan} PARENT_SCOPE)
  set(${prefix_var} "${prefix}" PARENT_SCOPE)
endfunction()

# Asks `ISOTEST run --check RUN_ARGS -- true` whether isotest takes the options that a function
# of IsoTest.cmake made of its keywords, and stops CMake with isotest's own messages, naming
# CALLER (the function and its test), when it does not. IsoTest.cmake calls it at configure
# time for an installed isotest, and from a build step for the isotest target of the same build.
function(isotest_check_run_arguments)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "ISOTEST;CALLER" "RUN_ARGS")
  set(call "execute_process(COMMAND")
  _isotest_append_word(call "${arg_ISOTEST}")
  string(APPEND call " run --check")
  _isotest_append_arguments(call arg_RUN_ARGS)
  string(APPEND call " -- true RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)")
  cmake_language(EVAL CODE "${call}")
  if(status EQUAL 0)
    return()
  endif()
  if(NOT status MATCHES "^[0-9]+$")
    message(FATAL_ERROR "${arg_CALLER}: cannot run ${arg_ISOTEST} to check its options: ${status}")
  endif()
  string(STRIP "${output}" output)
  message(FATAL_ERROR "${arg_CALLER}: isotest does not take these options:\n${output}")
endfunction()

cmake_policy(POP)
