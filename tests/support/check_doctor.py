#!/usr/bin/python3
"""Check one `isotest doctor` run: its text output, its --json output, its exit status.

usage: DOCTOR_EXPECT=EXPECTATIONS check_doctor.py JSON_FILE TEXT_FILE EXIT_CODE

EXPECTATIONS has one line per expectation (so that TEXT may hold spaces): ID=LEVEL or ID=LEVEL~TEXT: the finding ID has that level and (with ~TEXT)
a remedy containing TEXT. Beyond the expectations, always checks that the JSON says the same
as the text (every finding's verdict and remedy lines, the summary, the exit code), that the
exit code follows the worst level, and that probing took less than 3 seconds.
Prints each problem and exits 1 when there is one.
"""

import json
import os
import sys

LEVEL_EXIT = {"ok": 0, "degraded": 1, "broken": 2}


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as stream:
        report = json.load(stream)
    with open(argv[2], encoding="utf-8") as stream:
        text = stream.read()
    exit_code = int(argv[3])
    problems = []

    if report["exit_code"] != exit_code:
        problems.append(f"JSON exit_code {report['exit_code']} but the process exited {exit_code}")
    worst = max((LEVEL_EXIT.get(f["level"], 0) for f in report["findings"]), default=0)
    if worst != exit_code:
        problems.append(f"worst finding level means exit {worst}, got {exit_code}")
    if LEVEL_EXIT[report["status"]] != exit_code:
        problems.append(f"status {report['status']} does not match exit {exit_code}")
    if report["elapsed_ms"] >= 3000:
        problems.append(f"probing took {report['elapsed_ms']} ms")
    if report["summary"] not in text:
        problems.append(f"summary {report['summary']!r} is not in the text output")

    lines = text.splitlines()
    for finding in report["findings"]:
        verdict = f"{finding['title']}: {finding['verdict']}"
        matching = [i for i, line in enumerate(lines)
                    if line.split(None, 1)[-1:] == [verdict]
                    and line.split(None, 1)[0] == finding["level"]]
        if not matching:
            problems.append(f"text has no line `{finding['level']} {verdict}`")
            continue
        after = lines[matching[0] + 1] if matching[0] + 1 < len(lines) else ""
        if "remedy" in finding:
            if after.strip() != f"fix: {finding['remedy']}":
                problems.append(f"text has no fix line for {finding['id']} after its verdict")
        elif after.strip().startswith("fix:"):
            problems.append(f"text has a fix line for {finding['id']}, the JSON has none")
    verdict_lines = [line for line in lines if line.startswith("  ") and not
                     line.strip().startswith("fix:")]
    if len(verdict_lines) != len(report["findings"]):
        problems.append(f"text has {len(verdict_lines)} findings, JSON {len(report['findings'])}")

    by_id = {finding["id"]: finding for finding in report["findings"]}
    for expectation in os.environ.get("DOCTOR_EXPECT", "").splitlines():
        if not expectation:
            continue
        finding_id, _, want = expectation.partition("=")
        level, _, remedy = want.partition("~")
        finding = by_id.get(finding_id)
        if finding is None:
            problems.append(f"no finding {finding_id}")
            continue
        if finding["level"] != level:
            problems.append(f"{finding_id}: level {finding['level']}, expected {level} "
                            f"({finding['verdict']})")
        if remedy and remedy not in finding.get("remedy", ""):
            problems.append(f"{finding_id}: remedy {finding.get('remedy')!r} lacks {remedy!r}")

    for problem in problems:
        print(f"check_doctor: {problem}", file=sys.stderr)
    if problems:
        print(text, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
