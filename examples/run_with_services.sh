#!/usr/bin/env bash
# What SERVICES and SERVICE_READY do without isotest, for the side-by-side run: start each
# service in the background on the host, wait until its port accepts connections, run the test,
# stop the services. As a project without isotest would (a CTest fixture, a wrapper script),
# and with the same flaw: every test's server wants the host's one port.
#
#   run_with_services.sh [--service NAME=COMMAND]... [--ready NAME=tcp:PORT]... -- TEST...
set -uo pipefail

services=() ports=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --service) services+=("${2#*=}"); shift 2 ;;
    --ready) ports+=("${2##*:}"); shift 2 ;;
    --) shift; break ;;
    *) echo "run_with_services.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

pids=()
stop_services() { [[ ${#pids[@]} -eq 0 ]] || kill "${pids[@]}" 2>/dev/null; }
trap stop_services EXIT
for command in "${services[@]}"; do
  sh -c "exec $command" &
  pids+=($!)
done
# Up to 5 s for each port; bash's /dev/tcp connects without any other tool.
for port in "${ports[@]}"; do
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
done
"$@"
