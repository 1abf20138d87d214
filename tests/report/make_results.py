#!/usr/bin/env python3
"""Writes hand-made isotest result files for the report tests and the benchmark.

usage: make_results.py DIR                 the browser test's set (every status, hostile text,
                                           the forensics fields, an `isotest gtest` document);
                                           prints what the page must show as JSON
       make_results.py DIR --count N [--jobs J]
                                           N results as J parallel slots would have run them
                                           (bench/report-html.sh)
"""
import argparse
import datetime
import json
import os
import random

START = datetime.datetime(2026, 12, 1, 9, 0, 0, tzinfo=datetime.timezone.utc)
MIB = 1024 * 1024


def started_at(offset_ms):
    moment = START + datetime.timedelta(milliseconds=offset_ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


def result(name, status, offset_ms, duration_ms, stdout="", stderr="", memory_limit=None,
           peak=8 * MIB, **extra):
    exit_code = {"passed": 0, "skipped": 0, "failed": 1, "oom": 137}.get(status)
    signal_name = {"crashed": "SIGSEGV", "timeout": "SIGTERM"}.get(status)
    document = {
        "schema": "isotest/1", "name": name, "command": ["./" + name], "status": status,
        "exit_code": exit_code, "signal": 11 if signal_name == "SIGSEGV" else (
            15 if signal_name else None),
        "signal_name": signal_name,
        "launcher_exit_code": {"passed": 0, "failed": 1, "skipped": 77, "crashed": 139,
                               "timeout": 124, "oom": 137}.get(status, 125),
        "started_at": started_at(offset_ms), "duration_ms": duration_ms,
        "timeout_ms": 2000 if status == "timeout" else None, "killed_by_harness": None,
        "error": None,
        "isolation": {
            "namespaces": ["user", "mount", "pid", "net", "ipc", "uts", "cgroup"],
            "shared_namespaces": [], "network": "loopback", "hostname": "isotest",
            "read_only_root": False, "seccomp": {"mode": "errno", "refusals": [], "syscalls": []},
            "cgroup": {"version": "v1", "missing_limits": [], "unavailable_reason": None,
                       "limits": {"memory_max_bytes": memory_limit, "pids_max": None,
                                  "cpus": None}}},
        "usage": {"source": "cgroup v1", "cpu_user_ms": int(duration_ms * 0.6),
                  "cpu_system_ms": int(duration_ms * 0.1), "peak_memory_bytes": peak,
                  "max_rss_bytes": peak, "oom_kills": 1 if status == "oom" else 0,
                  "pids_peak": 3, "pids_limit_hit": False,
                  "peak_memory_is_approximate": False},
        "output": {"limit_bytes": 65536,
                   "stdout": {"text": stdout, "bytes": len(stdout.encode()),
                              "truncated": False},
                   "stderr": {"text": stderr, "bytes": len(stderr.encode()),
                              "truncated": False}},
    }
    document.update(extra)
    return document


HOSTILE_NAME = ("<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">Evil"
                "</script><script>document.body.setAttribute('data-pwned','2')</script>"
                "\u2028<!--")
FRAMES = [{"pc": "0x55d0c0de1234", "function": "lock_the_second_mutex", "file": "/src/hang.cc",
           "line": 17, "module": "/src/build/hang_test"},
          {"pc": "0x55d0c0de1300", "function": "main", "file": "/src/hang.cc", "line": 30,
           "module": "/src/build/hang_test"}]


def test_set(directory):
    """Writes the browser test's results; returns what the page must show."""
    files = {}
    files["a-net.json"] = result("Net.Handshake", "passed", 0, 400, stdout="handshake ok\n",
                                 memory_limit=64 * MIB, peak=12 * MIB)
    unit = result("unit_tests", "failed", 0, 300, stdout="[ RUN ] S.Bad\n",
                  memory_limit=256 * MIB, peak=40 * MIB)
    unit["cases"] = [
        {"name": "S.Ok", "status": "passed", "duration_ms": 3.0, "failures": []},
        {"name": "S.Bad", "status": "failed", "duration_ms": 4.0,
         "failures": [{"file": "s_test.cc", "line": 42, "message": "Expected equality\n1 vs 2"}]},
        {"name": "S.Skip", "status": "skipped", "duration_ms": 0.0, "failures": [],
         "skip_message": "needs a GPU"}]
    unit["gtest"] = {"cases_source": "plugin", "premature_exit": False, "shard": None}
    files["b-unit.json"] = unit
    ten_megabytes = "HEAD-MARK <b>bold</b>\n" + "x" * (10 * MIB) + "\nTAIL-MARK\n"
    files["c-hostile.json"] = result(HOSTILE_NAME, "failed", 310, 200, stdout=ten_megabytes,
                                     stderr="\u2028 </script> &amp; \ufffd bad byte\n")
    files["d-hang.json"] = result(
        "Hang.Forever", "timeout", 420, 2100, memory_limit=128 * MIB, peak=20 * MIB,
        diagnostics={"trigger": "timeout", "stacks": {
            "method": "ptrace+libdwfl", "duration_ms": 41.2, "complete": True,
            "incomplete_reason": None,
            "processes": [{"pid": 1, "host_pid": 12345, "command_line": ["./hang_test"],
                           "state": "S", "threads": [{"tid": 3, "name": "worker", "state": "S",
                                                      "wchan": "futex_wait_queue",
                                                      "frames": FRAMES}]}]}},
        artifacts={"directory": "/var/tmp/isotest-artifacts/hang", "kept": True,
                   "keep": "on-failure", "files": 2, "bytes": 1234, "truncated": False,
                   "paths": ["tmp/log.txt", "core"]},
        capture={"path": "/var/tmp/isotest-artifacts/hang.pcap", "format": "pcap",
                 "packets": 12, "bytes": 1840, "truncated": False, "limit_bytes": 67108864},
        services=[{"name": "redis", "command": "redis-server --port 6379", "pid": 4,
                   "ready": True, "ready_ms": 120.5, "status": "running", "exit_code": None,
                   "signal_name": None, "output_tail": "Ready to accept connections\n"}])
    files["e-crash.json"] = result(
        "Crash.Segv", "crashed", 520, 50,
        diagnostics={"trigger": "crash", "crash": {
            "signal": 11, "signal_name": "SIGSEGV", "code": 1, "code_name": "SEGV_MAPERR",
            "address": "0x0", "tid": 7, "source": "plugin", "unavailable_reason": None,
            "frames": FRAMES}})
    # A forensics field of another shape than docs/result-json.md gives: shown as such, the
    # rest of the page unharmed.
    files["f-oom.json"] = result("Mem.Hog", "oom", 600, 900, memory_limit=64 * MIB,
                                 peak=64 * MIB, diagnostics={"stacks": {"processes": "none"}})
    flaky_attempts = [result("Sample.Flaky", "failed", 0, 30, stdout="first try fails\n"),
                      result("Sample.Flaky", "passed", 1600, 25, stdout="second try passes\n")]
    runner = {"schema": "isotest-gtest/1", "binary": "/build/sample_tests", "arguments": [],
              "filter": None, "shard": None, "jobs": 2, "retries": 1, "repeat": 1, "batch": 1,
              "sandbox_arguments": [], "started_at": started_at(0), "duration_ms": 1700.0,
              "interrupted": False, "exit_code": 0, "counts": {"flaky": 1, "passed": 1},
              "cases": [
                  {"name": "Sample.Flaky", "status": "flaky", "duration_ms": 25.0,
                   "failed_attempts": 1, "attempts": flaky_attempts},
                  {"name": "Sample.Passes", "status": "passed", "duration_ms": 20.0,
                   "failed_attempts": 0,
                   "attempts": [result("Sample.Passes", "passed", 1700, 20)]}]}
    files["g-runner.json"] = runner
    for name, document in files.items():
        with open(os.path.join(directory, name), "w", encoding="utf-8") as out:
            json.dump(document, out)
    # A file name that is not UTF-8: the page shows it with U+FFFD, never breaks.
    with open(os.path.join(os.fsencode(directory), b"h-bad\xff.json"), "w") as out:
        json.dump(result("Bad.FileName", "passed", 700, 10), out)

    return {
        "counts": {"passed": 4, "failed": 2, "skipped": 1, "timeout": 1, "crashed": 1,
                   "oom": 1, "flaky": 1},
        "line": "5 passed, 5 failed, 1 skipped",
        "tests": 11,
        "bars": 10,  # 7 result files, and the 3 attempts of the runner document's 2 cases
        "failed": sorted(["S.Bad", HOSTILE_NAME]),
        "hostile_name": HOSTILE_NAME,
    }


def bench_set(directory, count, jobs):
    rng = random.Random(16)
    slot_free = [0.0] * jobs
    statuses = ["passed"] * 95 + ["failed"] * 3 + ["skipped", "timeout"]
    for index in range(count):
        slot = min(range(jobs), key=lambda s: slot_free[s])
        duration = rng.lognormvariate(4.5, 1.0)
        status = rng.choice(statuses)
        stdout = "".join("line %d of test %d\n" % (n, index) for n in range(rng.randint(1, 40)))
        document = result("Suite%d.Case%d" % (index // 50, index % 50), status, slot_free[slot],
                          duration, stdout=stdout, memory_limit=256 * MIB,
                          peak=int(rng.uniform(4, 250) * MIB))
        slot_free[slot] += duration + rng.uniform(0.5, 3)
        with open(os.path.join(directory, "r%05d.json" % index), "w", encoding="utf-8") as out:
            json.dump(document, out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--count", type=int)
    parser.add_argument("--jobs", type=int, default=8)
    arguments = parser.parse_args()
    os.makedirs(arguments.directory, exist_ok=True)
    if arguments.count:
        bench_set(arguments.directory, arguments.count, arguments.jobs)
    else:
        print(json.dumps(test_set(arguments.directory)))


if __name__ == "__main__":
    main()
