#!/usr/bin/python3
"""Check the console and JSON samples of the docs against the real isotest.

usage: check_samples.py --isotest PROGRAM --schemas DIR [--fixture NAME=FILE...] FILE.md...

Every ```console and ```json block of the given files carries a marker on the line above it:

  <!-- checked-sample [as=nobody] -->                   a console sample that is run
  <!-- checked-sample run="CMD" [as=nobody] [result=FILE|-] [schema=NAME] [at=KEY.KEY]
       [compare=values|structure] [vary=KEY,...] [structure=KEY,...] -->
                                                        a JSON sample, compared with a real one
  <!-- unchecked-sample: REASON -->                     left out, and why

Console samples: each `$ COMMAND` line (a trailing backslash continues it on the next line) runs
with bash in a fresh directory, holding `my_test` (an executable script that exits 0),
`data.txt` (not executable) and a copy of each --fixture FILE as NAME, with the isotest under
test first in PATH; stdin is /dev/null,
stdout and stderr go into one pipe. `$?` is the status of the previous command. The lines after
a command are what it must print. In them `...` matches any text: alone on a line, any number
of lines. Both sides are normalised first: runs of blanks, cgroup names `isotest-PID-START-N`,
durations (`N ms`, time(1)'s `0m0.043s`), the run's directory (WORKDIR).

JSON samples: RUN (a shell command run the same way) makes a real document of the same kind,
in FILE (default r.json) or on stdout (`result=-`). The sample is a whole document, or a
fragment: `"key": value` lines, which belong in the object at AT (default the top level). An
object holding `"...": "..."` stands for one with more keys. The sample, put into the real
document, must validate against DIR/NAME.schema.json (default `result`), and have the real
document's keys, and its values too (compare=values, the default) except where they vary from
run to run (durations, CPU and memory figures, cgroup paths, times: their types are compared;
under a VARY key only the type, null matching any). compare=structure compares only keys and
types (a sample from another kind of host; each element of an array against the real one of
the same `name` and `attempt`, else at the same place), and so does structure=KEY below KEY.

A plain ``` block with a `$ isotest` line is an error: tag it console and mark it. Exits 0 when
every checked sample holds, 1 otherwise, 77 when not run as root (some samples run as user
nobody, which needs root to become).
"""

import argparse
import copy
import dataclasses
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import jsonschema

VOLATILE_KEYS = {
    "duration_ms", "started_at", "cpu_user_ms", "cpu_system_ms", "max_rss_bytes",
    "peak_memory_bytes", "path", "pids_peak",
}
NOBODY = 65534
COMMAND_TIMEOUT_S = 120

FIXTURES = {
    "my_test": ("#!/bin/sh\nexit 0\n", 0o755),
    "data.txt": ("not a program\n", 0o644),
}


OPTIONS = {"as", "run", "result", "schema", "at", "compare", "vary", "structure"}


@dataclasses.dataclass
class Sample:
    path: str
    line: int  # of the opening fence
    language: str  # console or json
    options: dict
    text: str
    unchecked_reason: str | None  # None when the sample is checked

    def where(self):
        return f"{self.path}:{self.line}"


MARKER = re.compile(r"^<!--\s*(checked-sample|unchecked-sample:)(.*?)-->$", re.DOTALL)
FENCE = re.compile(r"^(\s*)```(\w*)\s*$")


def marker_above(lines, fence):
    """The HTML comment that ends on the line above line FENCE, possibly over several lines."""
    end = fence - 1
    if end < 0 or not lines[end].strip().endswith("-->"):
        return ""
    start = end
    while start > 0 and "<!--" not in lines[start]:
        start -= 1
    return "\n".join(line.strip() for line in lines[start:end + 1])


def read_samples(path, problems):
    samples = []
    with open(path, encoding="utf-8") as stream:
        lines = stream.read().split("\n")
    index = 0
    while index < len(lines):
        fence = FENCE.match(lines[index])
        if not fence:
            index += 1
            continue
        indent, language = fence.group(1), fence.group(2)
        start = index
        index += 1
        body = []
        while index < len(lines) and lines[index].strip() != "```":
            body.append(lines[index][len(indent):] if lines[index].startswith(indent) else
                        lines[index])
            index += 1
        index += 1
        marker = MARKER.match(marker_above(lines, start))
        if language not in ("console", "json"):
            if any(line.startswith("$ isotest") for line in body):
                problems.append(f"{path}:{start + 1}: a sample with `$ isotest` in a plain block: "
                                "tag it ```console and mark it (see tests/docs/check_samples.py)")
            continue
        if marker is None:
            problems.append(f"{path}:{start + 1}: a ```{language} sample without a marker: "
                            "<!-- checked-sample ... --> or <!-- unchecked-sample: REASON -->")
            continue
        if marker.group(1) == "unchecked-sample:":
            reason = marker.group(2).strip()
            if not reason:
                problems.append(f"{path}:{start + 1}: unchecked-sample needs a reason")
            samples.append(Sample(path, start + 1, language, {}, "\n".join(body), reason))
            continue
        options = dict(word.partition("=")[::2] for word in shlex.split(marker.group(2)))
        unknown = set(options) - OPTIONS
        if unknown or options.get("as", "nobody") != "nobody":
            problems.append(f"{path}:{start + 1}: unknown marker options {sorted(unknown)} or "
                            f"as={options.get('as')}; known: {sorted(OPTIONS)}, as=nobody")
            continue
        samples.append(Sample(path, start + 1, language, options, "\n".join(body), None))
    return samples


class Runner:
    """Runs shell commands in fresh directories, as root or as user nobody."""

    def __init__(self, isotest, fixtures):
        self.fixtures = fixtures
        self.root = tempfile.mkdtemp(prefix="isotest-samples.", dir="/var/tmp")
        os.chmod(self.root, 0o755)
        bin_dir = os.path.join(self.root, "bin")
        os.mkdir(bin_dir)
        shutil.copy2(isotest, os.path.join(bin_dir, "isotest"))
        os.chmod(bin_dir, 0o755)
        self.path = f"{bin_dir}:/usr/local/bin:/usr/bin:/bin"
        self.count = 0

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def fresh_directory(self, as_nobody):
        self.count += 1
        directory = os.path.join(self.root, f"work{self.count}")
        os.mkdir(directory)
        for name, (text, mode) in FIXTURES.items():
            with open(os.path.join(directory, name), "w", encoding="utf-8") as stream:
                stream.write(text)
            os.chmod(os.path.join(directory, name), mode)
        for name, source in self.fixtures.items():
            shutil.copy2(source, os.path.join(directory, name))
        if as_nobody:
            for name in [directory] + [os.path.join(directory, n)
                                       for n in list(FIXTURES) + list(self.fixtures)]:
                os.chown(name, NOBODY, NOBODY)
        return directory

    def run(self, command, directory, as_nobody, previous_status=0):
        prefix = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"] \
            if as_nobody else []
        environment = {"PATH": self.path, "HOME": directory, "LANG": "C.UTF-8"}
        completed = subprocess.run(
            prefix + ["bash", "-c", f"(exit {previous_status}); {command}"],
            cwd=directory, env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, timeout=COMMAND_TIMEOUT_S, check=False)
        return completed.returncode, completed.stdout.decode("utf-8", "replace")


def normalise(text, directory):
    text = text.replace(directory, "WORKDIR")
    text = re.sub(r"isotest-\d+-\d+-\d+", "isotest-PID-START-N", text)
    text = re.sub(r"\b\d+(\.\d+)? ms\b", "N ms", text)
    text = re.sub(r"\b\d+m\d+\.\d+s\b", "NmN.Ns", text)
    return "\n".join(re.sub(r"[ \t]+", " ", line).rstrip() for line in text.split("\n"))


def expected_pattern(lines):
    parts = []
    for line in lines:
        if line.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?")
            continue
        pieces = [re.escape(piece) for piece in line.split("...")]
        parts.append(r"[^\n]*?".join(pieces) + r"\n")
    return re.compile("".join(parts))


def console_steps(sample):
    """[(command, [expected line...])] of a console sample."""
    steps = []
    lines = sample.text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.startswith("$ "):
            if not steps:
                raise ValueError(f"output before the first `$ ` command: {line!r}")
            steps[-1][1].append(line)
            index += 1
            continue
        command = line[2:]
        while command.endswith("\\") and index + 1 < len(lines):
            index += 1
            command += "\n" + lines[index]
        steps.append((command, []))
        index += 1
    return steps


def check_console(sample, runner):
    as_nobody = sample.options.get("as") == "nobody"
    directory = runner.fresh_directory(as_nobody)
    problems = []
    status = 0
    for command, expected in console_steps(sample):
        while expected and not expected[-1].strip():
            expected.pop()
        status, output = runner.run(command, directory, as_nobody, status)
        actual = normalise(output, directory)
        if actual and not actual.endswith("\n"):
            actual += "\n"
        wanted = [normalise(line, directory) for line in expected]
        if not expected_pattern(wanted).fullmatch(actual):
            problems.append(f"$ {command}\n  the sample says:\n"
                            + "".join(f"    {line}\n" for line in expected)
                            + "  isotest printed:\n"
                            + "".join(f"    {line}\n" for line in output.rstrip("\n").split("\n")))
    return problems


def parse_sample_json(text):
    """(document, is_fragment) of a JSON sample."""
    try:
        return json.loads(text), False
    except json.JSONDecodeError:
        pass
    return json.loads("{" + text.strip().rstrip(",") + "}"), True


def counterpart(item, real, index):
    """The element of the real list REAL that sample element ITEM (at INDEX) stands for: the one
    with the same `name` and `attempt` where ITEM has those, else the one at INDEX."""
    if not isinstance(real, list) or not real:
        return None
    if isinstance(item, dict):
        identity = {key: item[key] for key in ("name", "attempt") if key in item}
        for candidate in real:
            if identity and isinstance(candidate, dict) and all(
                    candidate.get(key) == value for key, value in identity.items()):
                return candidate
    return real[index] if index < len(real) else real[-1]


def fill_in(sample, real):
    """The sample with each elided object ("...": "...") completed from the real one."""
    if isinstance(sample, dict):
        filled = {}
        if "..." in sample and isinstance(real, dict):
            filled = copy.deepcopy(real)
        for key, value in sample.items():
            if key == "...":
                continue
            real_value = real.get(key) if isinstance(real, dict) else None
            filled[key] = fill_in(value, real_value)
        return filled
    if isinstance(sample, list):
        return [fill_in(value, counterpart(value, real, index))
                for index, value in enumerate(sample)]
    return sample


def json_type(value):
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def compare(sample, real, where, mode, options, problems):
    """Adds to PROBLEMS where SAMPLE differs from REAL: keys, types, and in mode values the
    values, except under the keys of options["vary"] (types only) and options["structure"]
    (keys and types only)."""
    key = where.rsplit(".", 1)[-1].split("[")[0]
    vary = options["vary"]
    if key in options["structure"]:
        mode = "structure"
    if key in vary:
        if json_type(sample) != json_type(real) and sample is not None and real is not None:
            problems.append(f"{where}: the sample has a {json_type(sample)}, "
                            f"the real document a {json_type(real)}")
        return
    if isinstance(sample, dict) and isinstance(real, dict):
        elided = "..." in sample
        for name in sample:
            if name == "...":
                continue
            if name not in real:
                problems.append(f"{where}.{name}: in the sample, not in the real document")
                continue
            compare(sample[name], real[name], f"{where}.{name}", mode, options, problems)
        if not elided:
            for name in real:
                if name not in sample:
                    problems.append(f"{where}.{name}: in the real document, not in the sample")
        return
    varies = mode == "structure" or key in VOLATILE_KEYS
    if isinstance(sample, list) and isinstance(real, list):
        if mode == "structure":
            for index, item in enumerate(sample):
                if real:
                    compare(item, counterpart(item, real, index), f"{where}[{index}]", mode,
                            options, problems)
            return
        if len(sample) != len(real):
            problems.append(f"{where}: the sample has {json.dumps(sample)}, "
                            f"the real document {json.dumps(real)}")
            return
        for index, (mine, theirs) in enumerate(zip(sample, real)):
            compare(mine, theirs, f"{where}[{index}]", mode, options, problems)
        return
    if varies:
        if json_type(sample) != json_type(real):
            problems.append(f"{where}: the sample has a {json_type(sample)} "
                            f"({json.dumps(sample)}), the real document a {json_type(real)} "
                            f"({json.dumps(real)})")
        return
    if sample != real or json_type(sample) != json_type(real):
        problems.append(f"{where}: the sample has {json.dumps(sample)}, "
                        f"the real document {json.dumps(real)}")


def at_path(document, path):
    for key in [part for part in path.split(".") if part]:
        document = document[key]
    return document


def check_json(sample, runner, schemas):
    options = sample.options
    if "run" not in options:
        return ["a checked JSON sample needs run=\"COMMAND\""]
    as_nobody = options.get("as") == "nobody"
    directory = runner.fresh_directory(as_nobody)
    status, output = runner.run(options["run"], directory, as_nobody)
    result = options.get("result", "r.json")
    try:
        if result == "-":
            real = json.loads(output)
        else:
            with open(os.path.join(directory, result), encoding="utf-8") as stream:
                real = json.load(stream)
    except (OSError, json.JSONDecodeError) as error:
        return [f"run={options['run']!r} (exit status {status}) gave no JSON document: {error}\n"
                f"{output}"]
    try:
        document, is_fragment = parse_sample_json(sample.text)
    except json.JSONDecodeError as error:
        return [f"the sample is not JSON, nor `\"key\": value` lines: {error}"]
    at = options.get("at", "")
    keys = {name: set(filter(None, options.get(name, "").split(",")))
            for name in ("vary", "structure")}
    mode = options.get("compare", "values")
    problems = []
    real_part = at_path(real, at)
    if is_fragment:
        document = dict(document, **{"...": "..."})
    compare(document, real_part, at or "(top level)", mode, keys, problems)

    merged = copy.deepcopy(real)
    target = at_path(merged, at)
    for key, value in fill_in(document, real_part).items():
        target[key] = value
    schema_path = os.path.join(schemas, options.get("schema", "result") + ".schema.json")
    with open(schema_path, encoding="utf-8") as stream:
        schema = json.load(stream)
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    for error in validator.iter_errors(merged):
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        problems.append(f"{os.path.basename(schema_path)}: {where}: {error.message}")
    return problems


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--isotest", required=True)
    parser.add_argument("--schemas", required=True)
    parser.add_argument("--fixture", action="append", default=[], metavar="NAME=FILE")
    parser.add_argument("files", nargs="+")
    arguments = parser.parse_args(argv)

    problems = []
    samples = []
    for path in arguments.files:
        samples += read_samples(path, problems)
    if os.geteuid() != 0:
        print("check_samples: skipped: some samples run as user nobody, which needs root "
              f"(running as uid {os.geteuid()})", file=sys.stderr)
        return 77

    fixtures = dict(fixture.split("=", 1) for fixture in arguments.fixture)
    runner = Runner(arguments.isotest, fixtures)
    checked = 0
    try:
        for sample in samples:
            if sample.unchecked_reason is not None:
                continue
            checked += 1
            try:
                found = (check_console(sample, runner) if sample.language == "console"
                         else check_json(sample, runner, arguments.schemas))
            except (ValueError, KeyError, subprocess.TimeoutExpired) as error:
                found = [f"cannot check it: {error!r}"]
            problems += [f"{sample.where()}: {problem}" for problem in found]
    finally:
        runner.close()

    unchecked = [sample for sample in samples if sample.unchecked_reason is not None]
    print(f"{checked} samples checked, {len(unchecked)} left unchecked:")
    for sample in unchecked:
        print(f"  {sample.where()}: {sample.unchecked_reason}")
    for problem in problems:
        print(f"\nFAIL {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
