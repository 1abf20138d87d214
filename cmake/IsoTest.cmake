# isotest -- CMake integration. See docs/cmake.md for the guide with examples.

#[=======================================================================[.rst:
IsoTest
-------

Functions that register CTest tests running under ``isotest run``, each in a
fresh Linux sandbox of its own (user, mount, PID, network, IPC, UTS and
cgroup namespaces) with optional limits, and each writing a JSON result file.

The module is available after ``find_package(IsoTest)`` (which also makes
``include(IsoTest)`` work) or after ``add_subdirectory()`` of the isotest
source tree. It finds the ``isotest`` program by itself: the imported target
``IsoTest::isotest`` of an installed package, or the ``isotest`` target of a
source tree built alongside the project.

Isolation and limit keywords
^^^^^^^^^^^^^^^^^^^^^^^^^^^^

Every function below takes these keywords and turns them into options of
``isotest run`` (see docs/cli.md and docs/limits.md)::

  [MEMORY <size>]            --memory, e.g. 256M; running out is status oom
  [PIDS <n>]                 --pids
  [CPUS <x>]                 --cpus, e.g. 0.5
  [TIMEOUT <duration>]       --timeout; seconds, or 500ms, 30s, 2m, 1h
  [KILL_AFTER <duration>]    --kill-after, the grace period after TIMEOUT
  [NETWORK loopback|none|host]
  [SHARE <namespace>...]     --share: user mount pid net ipc uts cgroup
  [BIND <src[:dst]>...]      --bind
  [RO_BIND <src[:dst]>...]   --ro-bind
  [TMPFS <dst[:size]>...]    --tmpfs
  [READ_ONLY]                --read-only
  [HOSTNAME <name>]          --hostname
  [ENVIRONMENT <var=value>...]  --env, set inside the sandbox
  [TIME_OFFSET <seconds>]    --time-offset
  [NET_DELAY <ms[/jitter]>]  --net-delay; also NET_LOSS, NET_DUPLICATE, NET_REORDER,
                             NET_CORRUPT <pct> and NET_RATE <rate> (docs/cli.md, Network lab)
  [SERVICES <name=command>...]  --service: started in the sandbox before the test
  [SERVICE_READY <name=tcp:port>...]  --service-ready
  [SERVICE_TIMEOUT <duration>]  --service-timeout
  [ISOTEST_ARGS <option>...] any other ``isotest run`` options, as given

isotest itself checks the values (``isotest run --check``): an installed
isotest when CMake configures, the ``isotest`` target of the same build in a
build step (``isotest_check_options``), which fails the build. Either way a
mistake stops with isotest's own message and the name of the test.

With ``TIMEOUT``, the test's CTest ``TIMEOUT`` property is set to isotest's
timeout plus its grace period plus 5 seconds, so that isotest stops the
test and records the timeout (status ``timeout``, exit status 124) before
CTest would kill isotest.

Every test also gets ``--keep-visible`` for the top-level source and build
trees: where they lie below ``/tmp``, ``/dev/shm`` or a ``TMPFS`` target,
which the sandbox replaces with empty ones, isotest keeps them visible at
the same path (read-only with ``READ_ONLY``), so a test still finds its
executable, its libraries and the files it reads through paths compiled in.

Result files
^^^^^^^^^^^^

.. variable:: ISOTEST_RESULTS_DIR

  Cache variable: the folder every isolated test writes its result into, as
  ``<test name>.json``. Default: ``${CMAKE_BINARY_DIR}/isotest-results``.
  After ``ctest``, ``isotest report <folder> --junit <file>`` prints the
  summary and writes JUnit XML.

Commands
^^^^^^^^

.. command:: add_isolated_test

  Add a test like ``add_test(NAME ... COMMAND ...)`` that runs in a sandbox::

    add_isolated_test(NAME <name> COMMAND <command> [<arg>...]
                      [CONFIGURATIONS <config>...]
                      [WORKING_DIRECTORY <dir>]
                      [COMMAND_EXPAND_LISTS]
                      [ARTIFACTS ON|OFF|<dir>] [KEEP on-failure|always|never]
                      [CAPTURE on-failure]
                      [<isolation and limit keywords>...])

  ``COMMAND`` is an executable target (whose file is run) or a program path,
  with its arguments; generator expressions work as in ``add_test()``. The
  words of the command must not be one of this function's keywords.
  The test gets ``SKIP_RETURN_CODE 77``: isotest exits 77 when a
  GoogleTest binary skipped all its cases, and CTest then says "Skipped".
  Test properties set afterwards (``LABELS``, ``DEPENDS``, ``FIXTURES_*``,
  ``ENVIRONMENT``, ...) apply as usual; ``ENVIRONMENT`` set as a property
  reaches the test through isotest.

  ``ARTIFACTS ON`` keeps what the test left in its ``/tmp`` and in
  ``$TEST_UNDECLARED_OUTPUTS_DIR`` in
  ``${CMAKE_CURRENT_BINARY_DIR}/isotest-artifacts/<test name>/`` (``tmp/``,
  ``outputs/``); ``ARTIFACTS <dir>`` below ``<dir>`` instead; ``KEEP`` says
  when (``isotest run --keep``; default ``on-failure``: unless the test
  passed or was skipped). ``CAPTURE on-failure`` (with ``ARTIFACTS``) also
  records the test's packets and keeps them as ``capture.pcap`` in its
  folder when it fails (``isotest run --capture on-failure``). See
  docs/cmake.md, "Artifacts".

.. command:: isotest_discover_tests

  Add one isolated CTest test per GoogleTest case of an executable target,
  like ``gtest_discover_tests()``::

    isotest_discover_tests(<target>
                           [EXTRA_ARGS <arg>...]
                           [WORKING_DIRECTORY <dir>]
                           [TEST_PREFIX <prefix>]
                           [TEST_SUFFIX <suffix>]
                           [TEST_FILTER <expr>]
                           [NO_PRETTY_TYPES] [NO_PRETTY_VALUES]
                           [PROPERTIES <name> <value>...]
                           [TEST_LIST <var>]
                           [DISCOVERY_TIMEOUT <seconds>]
                           [DISCOVERY_EXTRA_ARGS <arg>...]
                           [DISCOVERY_MODE POST_BUILD|PRE_TEST]
                           [XML_OUTPUT_DIR <dir>]
                           [ARTIFACTS ON|OFF|<dir>] [KEEP on-failure|always|never]
                           [CAPTURE on-failure]
                           [<isolation and limit keywords>...])

  Discovery runs ``<target> --gtest_list_tests`` directly, without a
  sandbox, after each build (``POST_BUILD``, the default, or
  ``CMAKE_GTEST_DISCOVER_TESTS_DISCOVERY_MODE``) or when ctest starts and
  the executable changed (``PRE_TEST``). Each case ``Suite.Case`` becomes a
  test running ``isotest run ... -- <target> --gtest_filter=Suite.Case
  --gtest_also_run_disabled_tests``. Names follow ``gtest_discover_tests()``:
  typed suites give ``Suite.Case<int>``, value-parameterized ones
  ``Prefix/Suite.Case/<value>``; ``DISABLED_`` cases drop the prefix and get
  the ``DISABLED`` property; a case that calls ``GTEST_SKIP()`` is reported
  by CTest as skipped (isotest exits 77 for it and the test has
  ``SKIP_RETURN_CODE 77``; also ``SKIP_REGULAR_EXPRESSION "\[  SKIPPED \]"``).
  A binary linked with isotest's GoogleTest plugin may declare what a case
  needs (``ISOTEST_NEEDS``, see docs/gtest-plugin.md): discovery reads it
  while listing and gives that case's sandbox those options in place of
  the function's own (and a CTest ``TIMEOUT`` to match a needed timeout).
  ``ARTIFACTS``, ``KEEP`` and ``CAPTURE`` are ``add_isolated_test()``'s, with
  a folder per case. ``DISCOVERY_TIMEOUT`` defaults to 30 seconds, ``WORKING_DIRECTORY`` to the
  current binary directory and ``TEST_LIST`` to ``<target>_TESTS``, a
  variable set only while ctest reads the tests. If listing fails, the build
  (or ctest, with ``PRE_TEST``) stops with the executable, the reason and
  its output.

.. command:: isotest_wrap_tests

  Run every test of the current directory and the directories below it
  under isotest::

    isotest_wrap_tests([<isolation and limit keywords>...])

  Call it at directory scope, anywhere in the directory's ``CMakeLists.txt``.
  Each test keeps its name, command, working directory and properties, and
  writes its result into ``ISOTEST_RESULTS_DIR``. The wrapping happens when
  ctest reads the tests, for every kind of command (targets, paths, scripts,
  tests from ``gtest_discover_tests()``); tests that already run under
  isotest are left alone. On CMake 3.29 and later, executable targets of
  the tree also get ``isotest run`` as their ``TEST_LAUNCHER``, which
  CMake's own test commands and ``gtest_discover_tests()`` honour.

.. variable:: ISOTEST_WRAP_ALL_TESTS

  Cache option, default ``OFF``: when ``ON``, every test of the whole
  project runs under isotest with default isolation, as if
  ``isotest_wrap_tests()`` were called in the top-level directory.

.. variable:: ISOTEST_EXECUTABLE

  Optional: the ``isotest`` program to use instead of the target.
#]=======================================================================]

include_guard(GLOBAL)

if(CMAKE_VERSION VERSION_LESS 3.20)
  message(FATAL_ERROR "IsoTest.cmake needs CMake 3.20 or later; this is ${CMAKE_VERSION}")
endif()

cmake_policy(PUSH)
cmake_policy(VERSION 3.20...3.31)

include("${CMAKE_CURRENT_LIST_DIR}/IsoTestAddTests.cmake")

set(ISOTEST_RESULTS_DIR "${CMAKE_BINARY_DIR}/isotest-results"
    CACHE PATH "Folder where each isolated test writes its JSON result")
option(ISOTEST_WRAP_ALL_TESTS "Run every test of the project under isotest" OFF)

#------------------------------------------------------------------------------
# Keyword sets shared by the public functions. Functions, not variables: a variable set when
# this file is included would be visible only in the including directory.

function(_isotest_isolation_keywords options_var one_value_var multi_value_var)
  set(${options_var} READ_ONLY PARENT_SCOPE)
  set(${one_value_var}
      MEMORY PIDS CPUS TIMEOUT KILL_AFTER NETWORK HOSTNAME TIME_OFFSET NET_DELAY NET_LOSS
      NET_RATE NET_DUPLICATE NET_REORDER NET_CORRUPT SERVICE_TIMEOUT PARENT_SCOPE)
  set(${multi_value_var} SHARE BIND RO_BIND TMPFS ENVIRONMENT SERVICES SERVICE_READY ISOTEST_ARGS
      PARENT_SCOPE)
endfunction()

# The isotest program, as a path or a generator expression.
function(_isotest_executable out_var caller)
  if(ISOTEST_EXECUTABLE)
    set(${out_var} "${ISOTEST_EXECUTABLE}" PARENT_SCOPE)
  elseif(TARGET IsoTest::isotest)
    set(${out_var} "$<TARGET_FILE:IsoTest::isotest>" PARENT_SCOPE)
  elseif(TARGET isotest)
    set(${out_var} "$<TARGET_FILE:isotest>" PARENT_SCOPE)
  else()
    message(FATAL_ERROR
      "${caller}: cannot find isotest. Call find_package(IsoTest) in this directory or a "
      "parent, or add_subdirectory() the isotest source tree, before this call; or set "
      "ISOTEST_EXECUTABLE to the isotest program.")
  endif()
endfunction()

# A duration in isotest's syntax (a number of seconds, or with ms, s, m or h) in milliseconds,
# for the CTest TIMEOUT; empty when TEXT is not one. isotest itself judges the text
# (_isotest_check_run_args), so a mistake gets isotest's own message.
function(_isotest_duration_ms out_var text)
  set(${out_var} "" PARENT_SCOPE)
  if(NOT text MATCHES "^([0-9]+)(\\.([0-9]+))?(ms|s|m|h)?$")
    return()
  endif()
  set(whole "${CMAKE_MATCH_1}")
  set(fraction "${CMAKE_MATCH_3}")
  set(unit_ms 1000)
  if(CMAKE_MATCH_4 STREQUAL "ms")
    set(unit_ms 1)
  elseif(CMAKE_MATCH_4 STREQUAL "m")
    set(unit_ms 60000)
  elseif(CMAKE_MATCH_4 STREQUAL "h")
    set(unit_ms 3600000)
  endif()
  math(EXPR ms "${whole} * ${unit_ms}")
  if(NOT "${fraction}" STREQUAL "")
    string(SUBSTRING "${fraction}" 0 6 fraction)
    string(LENGTH "${fraction}" digits)
    string(REPEAT "0" ${digits} zeros)
    # Leading zeros would make math() read the fraction as octal.
    string(REGEX REPLACE "^0+([0-9])" "\\1" fraction "${fraction}")
    math(EXPR ms "${ms} + ${fraction} * ${unit_ms} / 1${zeros}")
  endif()
  set(${out_var} ${ms} PARENT_SCOPE)
endfunction()

# Has isotest itself judge the `isotest run` options a function made of its keywords
# (`isotest run --check OPTIONS -- true`), so that a mistake stops CMake with isotest's own
# message and the name of the test instead of failing every run with exit status 125. An
# installed isotest (IsoTest::isotest imported, or ISOTEST_EXECUTABLE) is asked now, at configure
# time. The `isotest` target of this build (add_subdirectory) does not exist before the build, so
# it is asked by a build step, `isotest_check_options` (one per directory), which fails the build
# with the message; so are options holding generator expressions, known only then.
function(_isotest_check_run_args caller run_args_var)
  if("${${run_args_var}}" STREQUAL "")
    return()
  endif()
  set(program "")
  if(ISOTEST_EXECUTABLE AND EXISTS "${ISOTEST_EXECUTABLE}")
    set(program "${ISOTEST_EXECUTABLE}")
  elseif(TARGET IsoTest::isotest)
    get_target_property(imported IsoTest::isotest IMPORTED)
    if(imported)
      get_target_property(program IsoTest::isotest LOCATION)
    endif()
  endif()
  set(check_at_configure_time FALSE)
  if(program AND NOT "${${run_args_var}}" MATCHES "\\$<")
    set(check_at_configure_time TRUE)
  else()
    _isotest_executable(program "${caller}")
  endif()
  # Written out word by word, as bracket arguments: a list would drop empty words.
  set(call "isotest_check_run_arguments(ISOTEST")
  _isotest_append_word(call "${program}")
  string(APPEND call " CALLER")
  _isotest_append_word(call "${caller}")
  string(APPEND call " RUN_ARGS")
  _isotest_append_arguments(call ${run_args_var})
  string(APPEND call ")")
  if(check_at_configure_time)
    # Tests often share their keywords: ask once per set of options (a refusal stops CMake).
    set(options_key "${program}")
    _isotest_append_arguments(options_key ${run_args_var})
    string(MD5 options_key "${options_key}")
    get_property(accepted GLOBAL PROPERTY ISOTEST_ACCEPTED_OPTIONS)
    if(options_key IN_LIST accepted)
      return()
    endif()
    cmake_language(EVAL CODE "${call}")
    set_property(GLOBAL APPEND PROPERTY ISOTEST_ACCEPTED_OPTIONS "${options_key}")
    return()
  endif()

  get_property(target DIRECTORY PROPERTY ISOTEST_CHECK_OPTIONS_TARGET)
  if(NOT target)
    set(target isotest_check_options)
    if(NOT CMAKE_CURRENT_BINARY_DIR STREQUAL CMAKE_BINARY_DIR)
      string(MD5 directory_hash "${CMAKE_CURRENT_BINARY_DIR}")
      string(SUBSTRING "${directory_hash}" 0 8 directory_hash)
      string(APPEND target "_${directory_hash}")
    endif()
    add_custom_target(${target} ALL)
    if(TARGET isotest)
      add_dependencies(${target} isotest)
    endif()
    set_property(DIRECTORY PROPERTY ISOTEST_CHECK_OPTIONS_TARGET ${target})
  endif()
  get_property(count DIRECTORY PROPERTY ISOTEST_CHECK_OPTIONS_COUNT)
  if(NOT count)
    set(count 0)
  endif()
  math(EXPR count "${count} + 1")
  set_property(DIRECTORY PROPERTY ISOTEST_CHECK_OPTIONS_COUNT ${count})
  # Checked again when the options or isotest change.
  set(base "${CMAKE_CURRENT_BINARY_DIR}/isotest_check_options/${count}-$<CONFIG>")
  set(depends "${base}.cmake")
  if(program MATCHES "^\\$<TARGET_FILE:")
    list(APPEND depends "${program}")
  endif()
  _isotest_bracket(quoted_helper "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/IsoTestAddTests.cmake")
  file(GENERATE OUTPUT "${base}.cmake" CONTENT "include(${quoted_helper})\n${call}\n")
  add_custom_command(
    OUTPUT "${base}.stamp"
    COMMAND "${CMAKE_COMMAND}" -P "${base}.cmake"
    COMMAND "${CMAKE_COMMAND}" -E touch "${base}.stamp"
    DEPENDS ${depends}
    COMMENT "Checking the isotest options of ${caller}"
    VERBATIM
  )
  target_sources(${target} PRIVATE "${base}.stamp")
endfunction()

# Turns the isolation keywords parsed with PREFIX into `isotest run` options (RUN_ARGS_VAR)
# and the CTest TIMEOUT in seconds that lets isotest report a timeout first (TIMEOUT_VAR,
# empty without TIMEOUT). isotest checks the values (_isotest_check_run_args), so a mistake
# fails with the keyword's option named rather than every test with exit status 125. ARGN names
# folders the test writes into besides its working directory, which READ_ONLY must not take away.
function(_isotest_run_args run_args_var timeout_var prefix caller)
  _isotest_isolation_keywords(flag_keywords one_value_keywords multi_value_keywords)
  foreach(keyword IN LISTS one_value_keywords multi_value_keywords)
    if(keyword IN_LIST ${prefix}_KEYWORDS_MISSING_VALUES)
      message(FATAL_ERROR "${caller}: ${keyword} is given without a value (an unset variable?)")
    endif()
  endforeach()
  set(args)
  foreach(keyword_option IN ITEMS MEMORY:--memory PIDS:--pids CPUS:--cpus NETWORK:--network
                                  HOSTNAME:--hostname TIME_OFFSET:--time-offset
                                  TIMEOUT:--timeout KILL_AFTER:--kill-after
                                  NET_DELAY:--net-delay NET_LOSS:--net-loss NET_RATE:--net-rate
                                  NET_DUPLICATE:--net-duplicate NET_REORDER:--net-reorder
                                  NET_CORRUPT:--net-corrupt SERVICE_TIMEOUT:--service-timeout)
    string(REPLACE ":" ";" keyword_option "${keyword_option}")
    list(GET keyword_option 0 keyword)
    list(GET keyword_option 1 option)
    if(DEFINED ${prefix}_${keyword})
      list(APPEND args ${option} "${${prefix}_${keyword}}")
    endif()
  endforeach()
  foreach(keyword_option IN ITEMS SHARE:--share BIND:--bind RO_BIND:--ro-bind TMPFS:--tmpfs
                                  ENVIRONMENT:--env SERVICES:--service
                                  SERVICE_READY:--service-ready)
    string(REPLACE ":" ";" keyword_option "${keyword_option}")
    list(GET keyword_option 0 keyword)
    list(GET keyword_option 1 option)
    foreach(value IN LISTS ${prefix}_${keyword})
      list(APPEND args ${option} "${value}")
    endforeach()
  endforeach()
  if(${prefix}_READ_ONLY)
    list(APPEND args --read-only)
  endif()
  list(APPEND args ${${prefix}_ISOTEST_ARGS})
  _isotest_check_run_args("${caller}" args)

  set(ctest_timeout "")
  if(DEFINED ${prefix}_TIMEOUT)
    _isotest_duration_ms(timeout_ms "${${prefix}_TIMEOUT}")
    # isotest's default grace period between SIGTERM and SIGKILL (docs/cli.md).
    set(kill_after_ms 2000)
    if(DEFINED ${prefix}_KILL_AFTER)
      _isotest_duration_ms(kill_after_ms "${${prefix}_KILL_AFTER}")
    endif()
    # Whole seconds, rounded up, plus 5 s for isotest to tear the sandbox down and write the
    # result: CTest's own timeout kills isotest without a result file. (Values isotest refuses
    # convert to nothing; the check above stops CMake or the build for them.)
    if(NOT "${timeout_ms}" STREQUAL "" AND NOT "${kill_after_ms}" STREQUAL "")
      math(EXPR ctest_timeout "(${timeout_ms} + ${kill_after_ms} + 999) / 1000 + 5")
    endif()
  endif()

  # The sandbox's fresh /tmp, /dev/shm and TMPFS mounts hide what lies below them. isotest
  # keeps what a command line names visible; these trees are declared to the same rule, for the
  # paths compiled into tests (-DDATA_DIR=${CMAKE_SOURCE_DIR}/data) that no command line shows.
  # They follow READ_ONLY; elsewhere, and with SHARE mount, the option changes nothing.
  list(APPEND args --keep-visible "${CMAKE_SOURCE_DIR}" --keep-visible "${CMAKE_BINARY_DIR}")
  # Binds are refused when the mount namespace is shared, and then nothing vanishes anyway.
  set(mount_shared FALSE)
  set(previous "")
  foreach(word IN LISTS args)
    if((previous STREQUAL "--share" AND word MATCHES "(^|,)(mount|mnt)(,|$)")
       OR word MATCHES "^--share=(.*,)?(mount|mnt)(,|$)")
      set(mount_shared TRUE)
    endif()
    set(previous "${word}")
  endforeach()
  if(NOT mount_shared)
    set(hidden_below_tmp "^/(tmp|dev/shm)(/|$)")
    foreach(folder IN LISTS ARGN)
      if(${prefix}_READ_ONLY OR folder MATCHES "${hidden_below_tmp}")
        list(APPEND args --bind "${folder}")
      endif()
    endforeach()
  endif()

  set(${run_args_var} "${args}" PARENT_SCOPE)
  set(${timeout_var} "${ctest_timeout}" PARENT_SCOPE)
endfunction()

# The folder below which each test of a function keeps its files (ARTIFACTS: ON for
# isotest-artifacts/ in the current build directory, OFF, or a folder, relative to the current
# build directory), absolute; empty without ARTIFACTS or with ARTIFACTS OFF. Checks KEEP and
# CAPTURE.
function(_isotest_artifacts_dir out_var prefix caller)
  set(dir "")
  string(TOUPPER "${${prefix}_ARTIFACTS}" flag)
  if("ARTIFACTS" IN_LIST ${prefix}_KEYWORDS_MISSING_VALUES OR
     "KEEP" IN_LIST ${prefix}_KEYWORDS_MISSING_VALUES)
    message(FATAL_ERROR "${caller}: ARTIFACTS and KEEP take a value (an unset variable?)")
  elseif(NOT DEFINED ${prefix}_ARTIFACTS OR flag MATCHES "^(OFF|NO|FALSE|N|0|IGNORE)$")
    set(dir "")
  elseif(flag MATCHES "^(ON|YES|TRUE|Y|1)$")
    set(dir "${CMAKE_CURRENT_BINARY_DIR}/isotest-artifacts")
  else()
    get_filename_component(dir "${${prefix}_ARTIFACTS}" ABSOLUTE
                           BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  endif()
  if("CAPTURE" IN_LIST ${prefix}_KEYWORDS_MISSING_VALUES)
    message(FATAL_ERROR "${caller}: CAPTURE takes a value: on-failure")
  elseif(DEFINED ${prefix}_CAPTURE)
    if(NOT "${${prefix}_CAPTURE}" STREQUAL "on-failure")
      message(FATAL_ERROR "${caller}: CAPTURE takes on-failure (the packets kept with a failed "
                          "test's ARTIFACTS); got `${${prefix}_CAPTURE}`")
    elseif("${dir}" STREQUAL "")
      message(FATAL_ERROR "${caller}: CAPTURE on-failure keeps the packets in the test's "
                          "ARTIFACTS folder; add ARTIFACTS ON (or a folder)")
    endif()
  endif()
  if(DEFINED ${prefix}_KEEP)
    if("${dir}" STREQUAL "")
      message(FATAL_ERROR "${caller}: KEEP says which files ARTIFACTS keeps; add ARTIFACTS ON "
                          "(or a folder)")
    endif()
    if(NOT "${${prefix}_KEEP}" MATCHES "^(on-failure|always|never)$")
      message(FATAL_ERROR "${caller}: KEEP takes on-failure, always or never; got "
                          "`${${prefix}_KEEP}`")
    endif()
  endif()
  set(${out_var} "${dir}" PARENT_SCOPE)
endfunction()

# ISOTEST_RESULTS_DIR as an absolute path; a relative one is relative to the top of the build.
function(_isotest_results_dir out_var)
  get_filename_component(results_dir "${ISOTEST_RESULTS_DIR}" ABSOLUTE BASE_DIR
                         "${CMAKE_BINARY_DIR}")
  set(${out_var} "${results_dir}" PARENT_SCOPE)
endfunction()

# Makes sure RESULTS_DIR exists now and whenever ctest runs the current directory's tests,
# for someone may delete it between runs and isotest does not create it.
function(_isotest_prepare_results_dir results_dir)
  file(MAKE_DIRECTORY "${results_dir}")
  get_property(prepared DIRECTORY PROPERTY ISOTEST_RESULTS_DIRS)
  if(results_dir IN_LIST prepared)
    return()
  endif()
  set_property(DIRECTORY APPEND PROPERTY ISOTEST_RESULTS_DIRS "${results_dir}")
  set(script "${CMAKE_CURRENT_BINARY_DIR}/isotest_results_dirs.cmake")
  _isotest_bracket(quoted "${results_dir}")
  if(NOT prepared)
    file(WRITE "${script}" "")
    set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${script}")
  endif()
  file(APPEND "${script}" "file(MAKE_DIRECTORY ${quoted})\n")
endfunction()

# The launcher a test target already has that must run inside the sandbox: its TEST_LAUNCHER
# (CMake 3.29) as it was before isotest_wrap_tests(), and its CROSSCOMPILING_EMULATOR when
# cross-compiling (what CMP0158 asks of add_test()).
function(_isotest_target_launcher out_var target)
  get_property(wrapped TARGET ${target} PROPERTY ISOTEST_WRAPPED SET)
  if(wrapped)
    get_property(launcher TARGET ${target} PROPERTY ISOTEST_TEST_LAUNCHER_BEFORE)
  else()
    get_property(launcher TARGET ${target} PROPERTY TEST_LAUNCHER)
  endif()
  if(CMAKE_CROSSCOMPILING)
    get_property(emulator TARGET ${target} PROPERTY CROSSCOMPILING_EMULATOR)
    list(APPEND launcher ${emulator})
  endif()
  set(${out_var} "${launcher}" PARENT_SCOPE)
endfunction()

#------------------------------------------------------------------------------
# add_isolated_test(): documented at the top. One add_test() whose command is
# `isotest run --name <name> --json <result file> <options> -- <command>`.
function(add_isolated_test)
  set(caller "add_isolated_test")
  _isotest_isolation_keywords(isolation_options isolation_one isolation_multi)
  cmake_parse_arguments(PARSE_ARGV 0 arg
    "COMMAND_EXPAND_LISTS;${isolation_options}"
    "NAME;WORKING_DIRECTORY;ARTIFACTS;KEEP;CAPTURE;${isolation_one}"
    "COMMAND;CONFIGURATIONS;${isolation_multi}"
  )
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "${caller}: unexpected arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_NAME)
    message(FATAL_ERROR "${caller}: NAME is required")
  endif()
  set(caller "add_isolated_test(${arg_NAME})")
  if(NOT arg_COMMAND)
    message(FATAL_ERROR "${caller}: COMMAND is required")
  endif()

  _isotest_executable(isotest "${caller}")
  _isotest_run_args(run_args ctest_timeout arg "${caller}")
  _isotest_results_dir(results_dir)
  _isotest_prepare_results_dir("${results_dir}")
  _isotest_result_file(result_file "${results_dir}" "${arg_NAME}")
  _isotest_artifacts_dir(artifacts_dir arg "${caller}")
  _isotest_artifacts_args(artifacts_args "${artifacts_dir}" "${arg_KEEP}" "${arg_CAPTURE}"
                          "${arg_NAME}")

  # add_test() only turns its first word into a target's file; here isotest comes first.
  list(GET arg_COMMAND 0 program)
  set(launcher)
  if(TARGET "${program}")
    get_property(type TARGET "${program}" PROPERTY TYPE)
    if(type STREQUAL "EXECUTABLE")
      _isotest_target_launcher(launcher "${program}")
      set(program "$<TARGET_FILE:${program}>")
    endif()
  endif()

  # The call is written out word by word, each word a bracket argument: passing the command
  # on as a list would drop empty words and split words holding ";" (which
  # COMMAND_EXPAND_LISTS may want to expand itself).
  _isotest_bracket(quoted_name "${arg_NAME}")
  set(call "add_test(NAME ${quoted_name} COMMAND")
  foreach(word IN ITEMS "${isotest}" run --name "${arg_NAME}" --json "${result_file}")
    _isotest_append_word(call "${word}")
  endforeach()
  _isotest_append_arguments(call artifacts_args)
  _isotest_append_arguments(call run_args)
  _isotest_append_word(call --)
  _isotest_append_arguments(call launcher)
  _isotest_append_word(call "${program}")
  set(first TRUE)
  foreach(word IN LISTS arg_COMMAND)
    if(first)
      set(first FALSE)
      continue()
    endif()
    _isotest_bracket(quoted "${word}")
    string(APPEND call " ${quoted}")
  endforeach()
  if(NOT "${arg_WORKING_DIRECTORY}" STREQUAL "")
    string(APPEND call " WORKING_DIRECTORY")
    _isotest_append_word(call "${arg_WORKING_DIRECTORY}")
  endif()
  if(arg_CONFIGURATIONS)
    string(APPEND call " CONFIGURATIONS")
    _isotest_append_arguments(call arg_CONFIGURATIONS)
  endif()
  if(arg_COMMAND_EXPAND_LISTS)
    string(APPEND call " COMMAND_EXPAND_LISTS")
  endif()
  cmake_language(EVAL CODE "${call})")
  # isotest exits 77 when a GoogleTest binary skipped every case (GTEST_SKIP); a
  # SKIP_RETURN_CODE set on the test afterwards replaces this one.
  set_tests_properties("${arg_NAME}" PROPERTIES SKIP_RETURN_CODE 77)
  if(NOT "${ctest_timeout}" STREQUAL "")
    set_tests_properties("${arg_NAME}" PROPERTIES TIMEOUT ${ctest_timeout})
  endif()
endfunction()

#------------------------------------------------------------------------------
# isotest_discover_tests(): documented at the top. Writes, under the current binary directory,
# <target>_isotest_<N>_discovery.cmake (the settings, calling isotest_discover_tests_impl()
# of IsoTestAddTests.cmake, which lists the cases and writes <target>_isotest_<N>_tests.cmake)
# and <target>_isotest_<N>_include.cmake (in TEST_INCLUDE_FILES: lists again when needed,
# then includes the tests), one of each per configuration with a multi-config generator.
function(isotest_discover_tests target)
  set(caller "isotest_discover_tests(${target})")
  _isotest_isolation_keywords(isolation_options isolation_one isolation_multi)
  set(options NO_PRETTY_TYPES NO_PRETTY_VALUES ${isolation_options})
  set(one_value TEST_PREFIX TEST_SUFFIX TEST_FILTER WORKING_DIRECTORY TEST_LIST
                DISCOVERY_TIMEOUT XML_OUTPUT_DIR DISCOVERY_MODE ARTIFACTS KEEP CAPTURE
                ${isolation_one})
  set(multi_value EXTRA_ARGS DISCOVERY_EXTRA_ARGS PROPERTIES ${isolation_multi})
  cmake_parse_arguments(PARSE_ARGV 1 arg "${options}" "${one_value}" "${multi_value}")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "${caller}: unexpected arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT TARGET "${target}")
    message(FATAL_ERROR "${caller}: ${target} is not a target")
  endif()
  get_property(type TARGET "${target}" PROPERTY TYPE)
  if(NOT type STREQUAL "EXECUTABLE")
    message(FATAL_ERROR "${caller}: ${target} is a ${type}, not an executable")
  endif()
  get_property(aliased TARGET "${target}" PROPERTY ALIASED_TARGET)
  if(aliased)
    set(target "${aliased}")
  endif()

  if(NOT arg_WORKING_DIRECTORY)
    set(arg_WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
  endif()
  if(NOT arg_TEST_LIST)
    set(arg_TEST_LIST "${target}_TESTS")
  endif()
  if(NOT arg_DISCOVERY_TIMEOUT)
    # GoogleTest.cmake waits 5 s, which slow CI machines and sanitizer builds overrun often.
    set(arg_DISCOVERY_TIMEOUT 30)
  endif()
  if(NOT arg_DISCOVERY_MODE)
    set(arg_DISCOVERY_MODE POST_BUILD)
    if(CMAKE_GTEST_DISCOVER_TESTS_DISCOVERY_MODE)
      set(arg_DISCOVERY_MODE "${CMAKE_GTEST_DISCOVER_TESTS_DISCOVERY_MODE}")
    endif()
  endif()
  if(NOT arg_DISCOVERY_MODE MATCHES "^(POST_BUILD|PRE_TEST)$")
    message(FATAL_ERROR
      "${caller}: DISCOVERY_MODE takes POST_BUILD or PRE_TEST; got `${arg_DISCOVERY_MODE}`")
  endif()
  if(arg_PROPERTIES)
    list(LENGTH arg_PROPERTIES count)
    math(EXPR odd "${count} % 2")
    if(odd)
      message(FATAL_ERROR "${caller}: PROPERTIES takes pairs of a name and a value")
    endif()
  endif()
  set(written_folders)
  if(arg_XML_OUTPUT_DIR)
    # GoogleTest writes the XML from inside the sandbox, where a bind needs an existing source.
    file(MAKE_DIRECTORY "${arg_XML_OUTPUT_DIR}")
    set(written_folders "${arg_XML_OUTPUT_DIR}")
  endif()

  _isotest_executable(isotest "${caller}")
  _isotest_run_args(run_args ctest_timeout arg "${caller}" ${written_folders})
  _isotest_target_launcher(launcher "${target}")
  _isotest_results_dir(results_dir)
  file(MAKE_DIRECTORY "${results_dir}")
  _isotest_artifacts_dir(artifacts_dir arg "${caller}")

  # One set of files per call, as gtest_discover_tests() does: a target may be discovered
  # more than once with different filters.
  get_property(counter TARGET "${target}" PROPERTY ISOTEST_DISCOVERY_COUNTER)
  if(NOT counter)
    set(counter 0)
  endif()
  math(EXPR counter "${counter} + 1")
  set_property(TARGET "${target}" PROPERTY ISOTEST_DISCOVERY_COUNTER ${counter})
  set(file_base "${CMAKE_CURRENT_BINARY_DIR}/${target}_isotest_${counter}")

  get_property(multi_config GLOBAL PROPERTY GENERATOR_IS_MULTI_CONFIG)
  set(config_suffix "")
  if(multi_config)
    set(config_suffix "-$<CONFIG>")
  endif()
  set(discovery_script "${file_base}_discovery${config_suffix}.cmake")
  set(tests_file "${file_base}_tests${config_suffix}.cmake")
  set(executable "$<TARGET_FILE:${target}>")

  set(helper "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/IsoTestAddTests.cmake")
  _isotest_bracket(quoted_helper "${helper}")
  set(call "isotest_discover_tests_impl(\n")
  foreach(setting IN ITEMS
      TARGET:target TEST_EXECUTABLE:executable TEST_WORKING_DIR:arg_WORKING_DIRECTORY
      TEST_PREFIX:arg_TEST_PREFIX TEST_SUFFIX:arg_TEST_SUFFIX TEST_FILTER:arg_TEST_FILTER
      TEST_LIST:arg_TEST_LIST CTEST_FILE:tests_file DISCOVERY_TIMEOUT:arg_DISCOVERY_TIMEOUT
      XML_OUTPUT_DIR:arg_XML_OUTPUT_DIR NO_PRETTY_TYPES:arg_NO_PRETTY_TYPES
      NO_PRETTY_VALUES:arg_NO_PRETTY_VALUES ISOTEST:isotest RESULTS_DIR:results_dir
      CTEST_TIMEOUT:ctest_timeout ARTIFACTS_DIR:artifacts_dir KEEP:arg_KEEP
      CAPTURE:arg_CAPTURE)
    string(REPLACE ":" ";" setting "${setting}")
    list(GET setting 0 keyword)
    list(GET setting 1 variable)
    _isotest_bracket(quoted "${${variable}}")
    string(APPEND call "  ${keyword} ${quoted}\n")
  endforeach()
  foreach(setting IN ITEMS
      TEST_EXECUTOR:launcher EXTRA_ARGS:arg_EXTRA_ARGS
      DISCOVERY_EXTRA_ARGS:arg_DISCOVERY_EXTRA_ARGS PROPERTIES:arg_PROPERTIES
      RUN_ARGS:run_args)
    string(REPLACE ":" ";" setting "${setting}")
    list(GET setting 0 keyword)
    list(GET setting 1 variable)
    string(APPEND call "  ${keyword}")
    _isotest_append_arguments(call ${variable})
    string(APPEND call "\n")
  endforeach()
  string(APPEND call ")\n")
  file(GENERATE OUTPUT "${discovery_script}" CONTENT "include(${quoted_helper})\n${call}")

  _isotest_bracket(quoted_tests_file "${tests_file}")
  _isotest_bracket(quoted_discovery_script "${discovery_script}")
  _isotest_bracket(quoted_executable "${executable}")
  set(include_tests
    "if(EXISTS ${quoted_tests_file})\n"
    "  include(${quoted_tests_file})\n"
    "else()\n"
    "  add_test(${target}_NOT_BUILT ${target}_NOT_BUILT)\n"
    "endif()\n"
  )
  if(arg_DISCOVERY_MODE STREQUAL "POST_BUILD")
    add_custom_command(
      TARGET "${target}" POST_BUILD
      BYPRODUCTS "${tests_file}"
      COMMAND "${CMAKE_COMMAND}" -P "${discovery_script}"
      COMMENT "Listing the GoogleTest cases of ${target} for isotest"
      VERBATIM
    )
    # New discovery settings (a reconfigure, a new isotest) take effect without a relink.
    string(CONCAT include_content
      "if(EXISTS ${quoted_tests_file} AND EXISTS ${quoted_executable} AND\n"
      "   (NOT ${quoted_tests_file} IS_NEWER_THAN ${quoted_discovery_script} OR\n"
      "    NOT ${quoted_tests_file} IS_NEWER_THAN ${quoted_helper}))\n"
      "  include(${quoted_discovery_script})\n"
      "endif()\n"
      ${include_tests}
    )
  else()
    # Listing again only when the executable or the discovery settings changed keeps ctest's
    # start-up fast.
    string(CONCAT include_content
      "if(EXISTS ${quoted_executable} AND\n"
      "   (NOT EXISTS ${quoted_tests_file} OR\n"
      "    NOT ${quoted_tests_file} IS_NEWER_THAN ${quoted_executable} OR\n"
      "    NOT ${quoted_tests_file} IS_NEWER_THAN ${quoted_discovery_script} OR\n"
      "    NOT ${quoted_tests_file} IS_NEWER_THAN ${quoted_helper}))\n"
      "  include(${quoted_discovery_script})\n"
      "endif()\n"
      ${include_tests}
    )
  endif()

  set(include_file "${file_base}_include.cmake")
  if(multi_config)
    file(GENERATE OUTPUT "${file_base}_include-$<CONFIG>.cmake" CONTENT "${include_content}")
    file(WRITE "${include_file}"
      "include(\"${file_base}_include-\${CTEST_CONFIGURATION_TYPE}.cmake\")\n")
  else()
    file(GENERATE OUTPUT "${include_file}" CONTENT "${include_content}")
  endif()
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${include_file}")
endfunction()

#------------------------------------------------------------------------------
# Registers DIRECTORY (a source directory that is still being configured) for wrapping: a
# script in its TEST_INCLUDE_FILES, first so that it comes before the include files of
# gtest_discover_tests() and isotest_discover_tests(), and on CMake 3.29+ TEST_LAUNCHER on its
# executable targets once the directory is complete (LAUNCHERS_WHEN is DEFER), or right away
# when it already is (NOW).
function(_isotest_wrap_directory directory caller prefix launchers_when)
  _isotest_executable(isotest "${caller}")
  _isotest_run_args(run_args ctest_timeout ${prefix} "${caller}")
  _isotest_results_dir(results_dir)
  file(MAKE_DIRECTORY "${results_dir}")
  get_property(binary_dir DIRECTORY "${directory}" PROPERTY BINARY_DIR)

  _isotest_bracket(quoted_helper "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/IsoTestAddTests.cmake")
  set(call "isotest_wrap_directory(\n")
  foreach(setting IN ITEMS DIRECTORY:binary_dir ISOTEST:isotest RESULTS_DIR:results_dir
                           CTEST_TIMEOUT:ctest_timeout)
    string(REPLACE ":" ";" setting "${setting}")
    list(GET setting 0 keyword)
    list(GET setting 1 variable)
    _isotest_bracket(quoted "${${variable}}")
    string(APPEND call "  ${keyword} ${quoted}\n")
  endforeach()
  string(APPEND call "  RUN_ARGS")
  _isotest_append_arguments(call run_args)
  string(APPEND call "\n)\n")

  set(script "${binary_dir}/isotest_wrap.cmake")
  get_property(multi_config GLOBAL PROPERTY GENERATOR_IS_MULTI_CONFIG)
  if(multi_config)
    file(GENERATE OUTPUT "${binary_dir}/isotest_wrap-$<CONFIG>.cmake"
         CONTENT "include(${quoted_helper})\n${call}")
    file(WRITE "${script}"
         "include(\"${binary_dir}/isotest_wrap-\${CTEST_CONFIGURATION_TYPE}.cmake\")\n")
  else()
    file(GENERATE OUTPUT "${script}" CONTENT "include(${quoted_helper})\n${call}")
  endif()
  get_property(include_files DIRECTORY "${directory}" PROPERTY TEST_INCLUDE_FILES)
  list(REMOVE_ITEM include_files "${script}")
  set_property(DIRECTORY "${directory}" PROPERTY TEST_INCLUDE_FILES "${script}" ${include_files})

  if(CMAKE_VERSION VERSION_LESS 3.29)
    return()
  endif()
  # Tests of this tree's targets may sit in directories that ctest reads before this one; the
  # top-level directory reads the script too, so that they get their result file as well.
  get_property(include_files DIRECTORY "${CMAKE_SOURCE_DIR}" PROPERTY TEST_INCLUDE_FILES)
  if(NOT script IN_LIST include_files)
    set_property(DIRECTORY "${CMAKE_SOURCE_DIR}" PROPERTY TEST_INCLUDE_FILES "${script}"
                 ${include_files})
  endif()
  # The --name marks the launcher as this one for the ctest-time wrapping, which replaces it.
  set(launcher "${isotest}" run --name isotest_wrap_tests ${run_args} --)
  if(launchers_when STREQUAL "NOW")
    _isotest_set_test_launchers("${directory}" ${launcher})
    return()
  endif()
  # Arguments of a deferred call are evaluated when it runs; EVAL fixes them now.
  _isotest_bracket(quoted_directory "${directory}")
  set(quoted_launcher "")
  _isotest_append_arguments(quoted_launcher launcher)
  cmake_language(EVAL CODE "cmake_language(DEFER DIRECTORY ${quoted_directory} CALL \
_isotest_set_test_launchers ${quoted_directory}${quoted_launcher})")
endfunction()

# Puts LAUNCHER (ARGN) in front of the TEST_LAUNCHER of every executable target of DIRECTORY
# and the directories below it. TEST_LAUNCHER only applies to add_test(COMMAND <target>);
# the ctest-time wrapping covers every other test.
function(_isotest_set_test_launchers directory)
  set(launcher ${ARGN})
  get_property(targets DIRECTORY "${directory}" PROPERTY BUILDSYSTEM_TARGETS)
  foreach(target IN LISTS targets)
    get_property(type TARGET "${target}" PROPERTY TYPE)
    get_property(wrapped TARGET "${target}" PROPERTY ISOTEST_WRAPPED SET)
    if(NOT type STREQUAL "EXECUTABLE" OR wrapped)
      continue()
    endif()
    get_property(test_launcher TARGET "${target}" PROPERTY TEST_LAUNCHER)
    set_property(TARGET "${target}" PROPERTY TEST_LAUNCHER ${launcher} ${test_launcher})
    set_property(TARGET "${target}" PROPERTY ISOTEST_TEST_LAUNCHER_BEFORE "${test_launcher}")
    set_property(TARGET "${target}" PROPERTY ISOTEST_WRAPPED TRUE)
  endforeach()
  get_property(subdirectories DIRECTORY "${directory}" PROPERTY SUBDIRECTORIES)
  foreach(subdirectory IN LISTS subdirectories)
    _isotest_set_test_launchers("${subdirectory}" ${launcher})
  endforeach()
endfunction()

# isotest_wrap_tests(): documented at the top.
function(isotest_wrap_tests)
  set(caller "isotest_wrap_tests")
  _isotest_isolation_keywords(isolation_options isolation_one isolation_multi)
  cmake_parse_arguments(PARSE_ARGV 0 arg "${isolation_options}" "${isolation_one}"
                        "${isolation_multi}")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "${caller}: unexpected arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  _isotest_wrap_directory("${CMAKE_CURRENT_SOURCE_DIR}" "${caller}" arg DEFER)
endfunction()

#------------------------------------------------------------------------------
# ISOTEST_WRAP_ALL_TESTS wraps the top-level directory once it is complete: when this file is
# included by add_subdirectory() of isotest, the isotest target does not exist yet. The
# top-level directory is still being configured whenever this file is included, so the call
# can be scheduled from here. isotest's own tests are not wrapped when it is the top level.
function(_isotest_wrap_all_tests)
  _isotest_wrap_directory("${CMAKE_SOURCE_DIR}" "ISOTEST_WRAP_ALL_TESTS" _isotest_no_keywords NOW)
endfunction()

get_filename_component(_isotest_source_dir "${CMAKE_CURRENT_LIST_DIR}" DIRECTORY)
if(ISOTEST_WRAP_ALL_TESTS AND NOT CMAKE_SOURCE_DIR STREQUAL _isotest_source_dir)
  cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL _isotest_wrap_all_tests)
endif()
unset(_isotest_source_dir)

cmake_policy(POP)
