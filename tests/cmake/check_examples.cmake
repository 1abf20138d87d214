# The demo project of examples/ under isotest, as scripts/demo.sh runs it: with `ctest -j` every
# clash, the leaked daemon, the network check and the two tests with a key-value server each on
# port 6379 (SERVICES) pass in their sandboxes, and the memory hog is stopped at its budget and
# recorded as `oom`.
include("${CMAKE_CURRENT_LIST_DIR}/support.cmake")

sample_begin(examples)
set(build "${SAMPLE_ROOT}/build")
set(results "${SAMPLE_ROOT}/results")
set(generator)
if(GENERATOR)
  set(generator -G "${GENERATOR}")
endif()
sample_run(output COMMAND "${CMAKE_COMMAND}" -S "${ISOTEST_SOURCE_DIR}/examples" -B "${build}"
                          ${generator} "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
                          "-DISOTEST=${ISOTEST}" "-DISOTEST_RESULTS_DIR=${results}")
sample_build("${build}")
sample_ctest(run "${build}")

expect_verdicts(run
  port_server_a Passed  port_server_b Passed
  shared_tmp_file_a Passed  shared_tmp_file_b Passed
  sysv_ipc_key_a Passed  sysv_ipc_key_b Passed
  leaky_daemon Passed  no_network Passed  memory_hog Failed
  kv_client_a Passed  kv_client_b Passed
)
foreach(test_name IN ITEMS port_server_a port_server_b shared_tmp_file_a shared_tmp_file_b
                           sysv_ipc_key_a sysv_ipc_key_b leaky_daemon no_network kv_client_a
                           kv_client_b)
  expect_result("${results}" ${test_name} status passed)
endforeach()
expect_result("${results}" memory_hog status oom)
expect_result("${results}" memory_hog signal 9)
expect_result("${results}" memory_hog isolation cgroup limits memory_max_bytes 268435456)
expect_result("${results}" no_network isolation network none)
# Each kv_client test had its own kv_server, ready before it and stopped after it.
foreach(half IN ITEMS a b)
  expect_result("${results}" kv_client_${half} services 0 name kv)
  expect_result("${results}" kv_client_${half} services 0 ready ON)
  expect_result("${results}" kv_client_${half} services 0 status running)
  expect_result("${results}" kv_client_${half} services 0 signal_name SIGTERM)
endforeach()
# The CTest log says why the memory hog failed, not only its result file.
expect_match("${run_output}"
             "isotest: memory_hog: stopped: out of memory \\(limit 256 MiB, peak [0-9.]+ MiB\\)"
             "the CTest log of the memory hog")
sample_end()
