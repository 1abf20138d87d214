# add_isolated_test() with every keyword (projects/isolated), from an installed isotest, with
# results in a folder named by the ISOTEST_RESULTS_DIR cache variable.
include("${CMAKE_CURRENT_LIST_DIR}/support.cmake")

# expect_arguments(TEST "OPTION VALUE"...): CTest runs TEST with each OPTION followed by its
# VALUE on isotest's command line.
function(expect_arguments test_name)
  sample_run(command COMMAND "${CMAKE_CTEST_COMMAND}" --test-dir "${build}" -N -V
             -R "^${test_name}$")
  foreach(pair IN LISTS ARGN)
    string(REPLACE " " "\" \"" quoted "\"${pair}\"")
    string(FIND "${command}" "${quoted}" found)
    if(found EQUAL -1)
      sample_fail("${test_name}: ${quoted} is not on isotest's command line:\n${command}")
    endif()
  endforeach()
endfunction()

sample_begin(isolated)
set(build "${SAMPLE_ROOT}/build")
set(results "${SAMPLE_ROOT}/results")
sample_configure(isolated "${build}" "-DISOTEST_RESULTS_DIR=${results}")
sample_build("${build}")
# The folder is made again when ctest starts: a CI job may have deleted it.
file(REMOVE_RECURSE "${results}")
sample_ctest(run "${build}")

# net_netem needs the kernel's netem: where it lacks it (this project's CI machine) isotest
# refuses the run before the test starts, naming the module; either way the result records
# the conditions (below).
_isotest_result_file(net_netem_file "${results}" net_netem)
file(READ "${net_netem_file}" net_netem_json)
string(JSON net_netem_status GET "${net_netem_json}" status)
if(net_netem_status STREQUAL "passed")
  set(net_netem_verdict Passed)
else()
  set(net_netem_verdict Failed)
  expect_result("${results}" net_netem status sandbox_error)
  expect_match("${run_output}"
               "network conditions: this kernel has no `netem` queueing discipline \\(module sch_netem\\)"
               "net_netem's refusal, naming the module, in the CTest log")
endif()

expect_verdicts(run
  hostname Passed  environment Passed  network_none Passed  share_uts Passed
  bind Passed  ro_bind Passed  tmpfs Passed  read_only Passed  time_offset Passed
  memory Passed  pids Passed  cpus Passed  timeout Failed  deadlock Failed  isotest_args Passed
  words Passed  expand_lists Passed  path_command Passed  failing Failed
  net_rate Passed  net_netem ${net_netem_verdict}  service Passed
  artifacts_failing Failed  artifacts_always Passed  artifacts_passing Passed
  capture_failing Failed
)

# What isotest recorded for each keyword.
expect_result("${results}" hostname isolation hostname sample-host)
expect_result("${results}" network_none isolation network none)
expect_result("${results}" share_uts isolation shared_namespaces 0 ipc)
expect_result("${results}" share_uts isolation shared_namespaces 1 uts)
expect_result("${results}" read_only isolation read_only_root ON)
expect_result("${results}" time_offset isolation time_offset_seconds 2000000)
expect_result("${results}" memory status oom)
expect_result("${results}" memory isolation cgroup limits memory_max_bytes 50331648)
expect_result("${results}" pids isolation cgroup limits pids_max 16)
expect_result("${results}" cpus isolation cgroup limits cpus 0.5)
expect_result("${results}" timeout status timeout)
expect_result("${results}" timeout timeout_ms 1000)
# At the timeout isotest took the test's stacks before signalling it (issue 14): in the result,
# and in the CTest log, where whoever reads a CI failure looks.
expect_result("${results}" timeout diagnostics trigger timeout)
expect_result("${results}" timeout diagnostics stacks complete ON)
expect_match("${run_output}" "isotest: stacks at the timeout \\(ptrace\\+libdwfl, "
             "the stack summary in the CTest log")
expect_match("${run_output}" "isotest:     thread 2 `probe` S in [a-z_]+: [^\n]* < main"
             "the sleeping probe's thread and its way from main in the CTest log")
# Both deadlocked threads, each in its function and waiting on a futex, in the result and log.
expect_result("${results}" deadlock status timeout)
expect_result("${results}" deadlock diagnostics stacks complete ON)
_isotest_result_file(deadlock_file "${results}" deadlock)
file(READ "${deadlock_file}" deadlock_json)
string(JSON deadlock_threads GET "${deadlock_json}" diagnostics stacks processes 0 threads)
string(JSON thread_count LENGTH "${deadlock_threads}")
set(deadlocked)
math(EXPR last_thread "${thread_count} - 1")
foreach(index RANGE ${last_thread})
  string(JSON thread GET "${deadlock_threads}" ${index})
  string(JSON wchan GET "${thread}" wchan)
  foreach(function lock_a_then_b lock_b_then_a)
    if(thread MATCHES "\"function\" *: *\"${function}\\(\\)\"" AND wchan MATCHES "futex")
      list(APPEND deadlocked ${function})
    endif()
  endforeach()
endforeach()
list(SORT deadlocked)
if(NOT deadlocked STREQUAL "lock_a_then_b;lock_b_then_a")
  sample_fail("deadlock: expected lock_a_then_b() and lock_b_then_a() on threads waiting on a "
              "futex, found `${deadlocked}` in:\n${deadlock_threads}")
endif()
expect_match("${run_output}" " lock_a_then_b\\(\\) \\(deadlock_threads.cc:[0-9]+\\)"
             "the first deadlocked thread in the CTest log")
expect_match("${run_output}" " lock_b_then_a\\(\\) \\(deadlock_threads.cc:[0-9]+\\)"
             "the second deadlocked thread in the CTest log")
expect_result("${results}" isotest_args output stdout truncated ON)
# ISOTEST_ARGS reach isotest once, where the function puts them: not repeated after the others.
sample_run(isotest_args_command COMMAND "${CMAKE_CTEST_COMMAND}" --test-dir "${build}" -N -V
           -R "^isotest_args$")
string(REGEX MATCHALL "--output-limit" output_limits "${isotest_args_command}")
list(LENGTH output_limits output_limit_count)
if(NOT output_limit_count EQUAL 1)
  sample_fail("isotest_args: --output-limit given ${output_limit_count} times:\n${isotest_args_command}")
endif()
expect_result("${results}" failing status failed)
expect_result("${results}" failing exit_code 1)
expect_result("${results}" path_command command 0 sh)

# The network lab's keywords reach isotest (issue 15): on the command CTest runs, and in the
# results (a run refused for lack of netem records no conditions).
expect_result("${results}" net_rate network_conditions rate 1mbit)
expect_result("${results}" net_rate network_conditions rate_bytes_per_second 125000)
expect_arguments(net_netem "--net-delay 5/1" "--net-loss 1" "--net-duplicate 2" "--net-reorder 3"
                 "--net-corrupt 4")
if(net_netem_status STREQUAL "passed")
  expect_result("${results}" net_netem network_conditions delay_ms 5)
  expect_result("${results}" net_netem network_conditions corrupt_percent 4)
endif()
expect_result("${results}" service services 0 name db)
expect_result("${results}" service services 0 ready ON)
expect_result("${results}" service services 0 status running)
expect_arguments(service "--service-ready db=tcp:7000" "--service-timeout 20s")

# ARTIFACTS: each test's folder below the build tree, kept as KEEP says (issue 14).
foreach(kept_file IN ITEMS "isotest-artifacts/artifacts_failing/tmp/log.txt:failing"
                           "kept/artifacts_always/tmp/log.txt:passing")
  string(REPLACE ":" ";" kept_file "${kept_file}")
  list(GET kept_file 0 path)
  list(GET kept_file 1 content)
  if(NOT EXISTS "${build}/${path}")
    sample_fail("ARTIFACTS: ${build}/${path} was not kept")
  endif()
  file(READ "${build}/${path}" text)
  if(NOT text STREQUAL "${content}\n")
    sample_fail("ARTIFACTS: ${build}/${path} holds `${text}`")
  endif()
endforeach()
expect_result("${results}" artifacts_failing artifacts kept ON)
expect_result("${results}" artifacts_failing artifacts directory
              "${build}/isotest-artifacts/artifacts_failing")
expect_result("${results}" artifacts_always artifacts keep always)
expect_result("${results}" artifacts_passing artifacts kept OFF)
if(EXISTS "${build}/isotest-artifacts/artifacts_passing")
  sample_fail("ARTIFACTS: the passing test kept its folder")
endif()
# CAPTURE on-failure: the failing test's packets in its folder, listed with its kept files.
set(capture_file "${build}/isotest-artifacts/capture_failing/capture.pcap")
if(NOT EXISTS "${capture_file}")
  sample_fail("CAPTURE: ${capture_file} was not kept")
endif()
expect_result("${results}" capture_failing capture path "${capture_file}")
expect_result("${results}" capture_failing capture kept ON)
expect_result("${results}" capture_failing artifacts paths 0 capture.pcap)
file(READ "${capture_file}" pcap_header LIMIT 4 HEX)
if(NOT pcap_header STREQUAL "d4c3b2a1")
  sample_fail("CAPTURE: ${capture_file} is not a pcap file (it begins ${pcap_header})")
endif()

# CTest's own timeout is isotest's plus its grace period plus 5 s, rounded up: 1 + 0.5 + 5.
expect_property("${build}" timeout TIMEOUT 7.0)
expect_property("${build}" hostname LABELS "naming;sample")
expect_property("${build}" read_only WORKING_DIRECTORY "${build}/workdir")

# CONFIGURATIONS: the test exists only for `ctest -C NeverBuilt`.
sample_ctest(other_config "${build}" -C NeverBuilt -R "^configurations$")
expect_verdicts(other_config configurations Failed)
expect_result("${results}" configurations status failed)

sample_end()
