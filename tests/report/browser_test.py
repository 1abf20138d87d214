#!/usr/bin/env python3
"""`isotest report --html` rendered by a real browser (Debian's chromium, headless).

usage: browser_test.py ISOTEST ARTIFACT_DIR

Writes the results of make_results.py, has isotest write the page and the Markdown (as user
nobody too, when run as root), loads the page in headless chromium with several fragments
(#status=failed, #q=..., #test=N) and checks the DOM it drew: it rendered without a script
error, the counts and failed tests match the results, the timeline has one bar per sandbox
run, filtering works, hostile text is text. Keeps report.html and a screenshot, report.png, in
ARTIFACT_DIR. Exits 77 (CTest's SKIP_RETURN_CODE) only when chromium is not installed.
"""
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_results  # noqa: E402

FAILURES = []


def check(condition, message):
    if not condition:
        FAILURES.append(message)
        print("FAIL: " + message, file=sys.stderr)


class Dom(html.parser.HTMLParser):
    """A dumped DOM, as far as the checks read it: every element with its attributes, its text
    (own: its direct text only; text: with its descendants') and its parent."""

    VOID = ("meta", "input", "br", "img", "link", "hr", "wbr")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements = []
        self.open = []

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "text": "", "own": "",
                   "parent": self.open[-1] if self.open else None}
        self.elements.append(element)
        if tag not in self.VOID:
            self.open.append(element)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.open.pop()

    def handle_endtag(self, tag):
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i]["tag"] == tag:
                del self.open[i:]
                break

    def handle_data(self, data):
        if self.open:
            self.open[-1]["own"] += data
        for element in self.open:
            element["text"] += data

    def find(self, tag=None, cls=None, within=None, **attrs):
        found = []
        for element in self.elements:
            if tag and element["tag"] != tag:
                continue
            if cls and cls not in element["attrs"].get("class", "").split():
                continue
            if any(element["attrs"].get(k.replace("_", "-")) != v for k, v in attrs.items()):
                continue
            if within is not None and not inside(element, within):
                continue
            found.append(element)
        return found


def inside(element, ancestor):
    while element is not None:
        if element is ancestor:
            return True
        element = element["parent"]
    return False


def chromium(url, extra=()):
    command = ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=" + PROFILE,
               "--enable-logging=stderr", "--v=0"] + list(extra) + [url]
    run = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=120)
    return run


def load(page, fragment=""):
    run = chromium("file://" + page + fragment, ["--dump-dom"])
    check(run.returncode == 0, "chromium exited %d for %s: %s" % (run.returncode, fragment,
                                                                  run.stderr[-2000:]))
    for line in run.stderr.splitlines():
        check("Uncaught" not in line and "CONSOLE" not in line,
              "console message loading %s: %s" % (fragment or "the page", line))
    dom = Dom()
    dom.feed(run.stdout)
    body = dom.find("body")
    check(body and body[0]["attrs"].get("data-render") == "ok",
          "%s: the page did not render: %s %s" % (
              fragment, body and body[0]["attrs"], [e["text"] for e in dom.find(cls="error")]))
    check(not body or "data-pwned" not in body[0]["attrs"], "hostile text ran as script")
    check(not dom.find("img"), "hostile text became an <img> element")
    return dom, run.stdout


def rows(dom):
    """(status, name) of each test row shown, in order."""
    shown = []
    for item in dom.find("li", cls="test"):
        names = dom.find("span", cls="name", within=item)
        shown.append((item["attrs"].get("data-status"), names[0]["own"] if names else None))
    return shown


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    isotest, artifacts = sys.argv[1], sys.argv[2]
    if shutil.which("chromium") is None:
        print("skipped: chromium is not installed (scripts/install-deps.sh installs it)",
              file=sys.stderr)
        return 77
    os.makedirs(artifacts, exist_ok=True)
    work = tempfile.mkdtemp(prefix="isotest-report-browser.", dir="/var/tmp")
    global PROFILE
    PROFILE = os.path.join(work, "profile")
    try:
        return run_checks(isotest, artifacts, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write_reports(isotest, results, page, markdown, as_nobody):
    command = [isotest, "report", results, "--html", page, "--markdown", markdown]
    if as_nobody:
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + command
    run = subprocess.run(command, capture_output=True, text=True, errors="replace")
    check(run.returncode == 1, "isotest report exited %d (results fail): %s" % (
        run.returncode, run.stderr))
    return run


def run_checks(isotest, artifacts, work):
    results = os.path.join(work, "results")
    os.makedirs(results)
    expected = json.loads(subprocess.run(
        [sys.executable, os.path.join(HERE, "make_results.py"), results],
        check=True, capture_output=True, text=True).stdout)
    os.chmod(work, 0o755)
    for root, directories, files in os.walk(work):
        for name in directories + files:
            os.chmod(os.path.join(root, name), 0o755)

    # Bad destinations: 125 before any result is read (the results path does not exist).
    for option in ("--html", "--markdown"):
        for value, problem in (("", "got an empty value"), (work, "is a directory")):
            run = subprocess.run([isotest, "report", "/nonexistent/results", option, value],
                                 capture_output=True, text=True)
            check(run.returncode == 125 and problem in run.stderr,
                  "%s %r: exit %d, %s" % (option, value, run.returncode, run.stderr))
    # /dev/stdout takes the page; the summary goes to stderr.
    run = subprocess.run([isotest, "report", results, "--markdown", "/dev/stdout"],
                         capture_output=True, text=True, errors="replace")
    check(run.stdout.startswith("### isotest: " + expected["line"]),
          "--markdown /dev/stdout: " + run.stdout[:200])
    check(expected["line"] in run.stderr, "the summary is not on stderr: " + run.stderr[-300:])

    # The page, written as user nobody when we can become nobody, else as ourselves.
    out = os.path.join(work, "out")
    os.makedirs(out, mode=0o777)
    os.chmod(out, 0o777)
    page = os.path.join(out, "report.html")
    markdown = os.path.join(out, "report.md")
    if os.getuid() == 0:
        nobody_isotest = os.path.join(work, "isotest")
        shutil.copy(isotest, nobody_isotest)
        os.chmod(nobody_isotest, 0o755)
        write_reports(nobody_isotest, results, page, markdown, as_nobody=True)
        check(os.stat(page).st_uid == 65534, "the page was not written by nobody")
    else:
        write_reports(isotest, results, page, markdown, as_nobody=False)
    size = os.path.getsize(page)
    check(size < 200 * 1024, "the page is %d bytes for 10 MB of output" % size)
    shutil.copy(page, os.path.join(artifacts, "report.html"))
    with open(page, encoding="utf-8") as text:
        data_text = text.read().split('id="isotest-report-data">', 1)[1].split("</script>", 1)[0]
    data = json.loads(data_text)

    # The whole page, failed first.
    dom, _ = load(page)
    shown_counts = {e["attrs"]["data-status"]: int(dom.find("b", within=e)[0]["text"])
                    for e in dom.find("button", cls="count")}
    check(shown_counts == expected["counts"],
          "counts shown %s, expected %s" % (shown_counts, expected["counts"]))
    line = dom.find(id="summary-line")
    check(line and line[0]["text"].startswith(expected["line"]),
          "summary line %r" % (line and line[0]["text"]))
    bars = dom.find("rect", cls="bar")
    check(len(bars) == expected["bars"], "%d bars, expected %d" % (len(bars), expected["bars"]))
    lanes = {int(float(b["attrs"]["y"])) for b in bars}
    check(len(lanes) >= 2, "the parallel runs share one lane: %s" % lanes)
    shown = rows(dom)
    check(len(shown) == expected["tests"], "%d rows, expected %d" % (len(shown),
                                                                      expected["tests"]))
    statuses = [status for status, _ in shown]
    check(statuses.index("passed") > max(statuses.index(s) for s in
                                         ("failed", "crashed", "timeout", "oom")),
          "failed tests are not first: %s" % statuses)
    check(any(name == expected["hostile_name"] for _, name in shown),
          "the hostile name is not shown as text: %s" % [n for _, n in shown])

    # Filtering by status, from the fragment.
    dom, _ = load(page, "#status=failed")
    failed = sorted(name for _, name in rows(dom))
    check(failed == expected["failed"], "#status=failed shows %s" % failed)
    check({s for s, _ in rows(dom)} == {"failed"}, "#status=failed shows other statuses")
    # Searching.
    dom, _ = load(page, "#q=handshake")
    check([name for _, name in rows(dom)] == ["Net.Handshake"],
          "#q=handshake shows %s" % rows(dom))

    # The hostile test opened: its output is text, head and tail of 10 MB.
    hostile = next(i for i, t in enumerate(data["tests"]) if t["name"] == expected["hostile_name"])
    dom, dumped = load(page, "#test=%d" % hostile)
    outputs = [e["text"] for e in dom.find("pre", cls="output")]
    check(any(o.startswith("HEAD-MARK <b>bold</b>") and o.rstrip().endswith("TAIL-MARK")
              and "bytes left out here" in o for o in outputs),
          "the 10 MB output's head and tail are not shown: %s" % [o[:80] for o in outputs])
    check("&lt;b&gt;bold&lt;/b&gt;" in dumped, "the output's markup is not escaped in the DOM")
    check(all(e["text"] != "bold" for e in dom.find("b")),
          "<b>bold</b> from the output became an element")
    # The flaky case: its attempts side by side.
    flaky = next(i for i, t in enumerate(data["tests"]) if t["status"] == "flaky")
    dom, _ = load(page, "#test=%d" % flaky)
    attempts = dom.find("div", cls="attempt")
    check(len(attempts) == 2, "%d attempts shown for the flaky case" % len(attempts))
    # The hang: stacks, artifacts and the capture, with file:// links.
    hang = next(i for i, t in enumerate(data["tests"]) if t["name"] == "Hang.Forever")
    dom, _ = load(page, "#test=%d" % hang)
    links = [e["attrs"].get("href", "") for e in dom.find("a")]
    check("file:///var/tmp/isotest-artifacts/hang/tmp/log.txt" in links,
          "no link to the artifact: %s" % links)
    check("file:///var/tmp/isotest-artifacts/hang.pcap" in links, "no link to the capture")
    frames = [e["text"] for e in dom.find("li") if "lock_the_second_mutex" in e["own"]]
    check(frames and "/src/hang.cc:17" in frames[0], "the hang's stack is not shown")
    # A forensics field of an unexpected shape is named, and the page still drawn.
    hog = next(i for i, t in enumerate(data["tests"]) if t["name"] == "Mem.Hog")
    dom, _ = load(page, "#test=%d" % hog)
    check(any("diagnostics of this result cannot be shown" in e["text"]
              for e in dom.find("p", cls="note")), "Mem.Hog's odd diagnostics are not named")
    check(any("64.0 MiB of 64.0 MiB" in e["text"] for e in dom.find("dd")),
          "Mem.Hog's peak memory against its limit is not shown")
    # The memory chart names the run at its limit first.
    chart = dom.find("span", cls="name")
    check(any(e["text"] == "Mem.Hog" for e in chart), "Mem.Hog is not in the memory chart")

    # A screenshot, kept as the test's artifact.
    shot = os.path.join(artifacts, "report.png")
    if os.path.exists(shot):
        os.remove(shot)
    run = chromium("file://" + page, ["--screenshot=" + shot, "--window-size=1400,1800",
                                      "--hide-scrollbars"])
    check(os.path.exists(shot) and os.path.getsize(shot) > 10000,
          "no screenshot: %s" % run.stderr[-1000:])

    # The Markdown says the same facts.
    with open(markdown, encoding="utf-8") as text:
        summary = text.read()
    check(summary.startswith("### isotest: " + expected["line"] + " (flaky: 1)"),
          "Markdown starts %r" % summary[:80])
    for status, number in expected["counts"].items():
        check("| %s | %d |" % (status.replace("_", "\\_"), number) in summary,
              "Markdown lacks the count of %s" % status)
    check("| unit\\_tests\\: S\\.Bad | failed | s\\_test\\.cc\\:42\\: Expected equality |"
          in summary, "Markdown lacks S.Bad's first failure line")
    check("\\<img src\\=x" in summary and not re.search(r"(?<!\\)[<>]", summary),
          "Markdown does not escape the hostile name")
    check("| Sample\\.Flaky | flaky | 1 of 2 attempts failed |" in summary,
          "Markdown lacks the flaky case")
    check("#### Slowest 10" in summary and "| Hang\\.Forever | timeout | 2.10 s |" in summary,
          "Markdown lacks the slowest tests")
    with open(os.path.join(artifacts, "report.md"), "w", encoding="utf-8") as out_file:
        out_file.write(summary)

    if FAILURES:
        print("%d checks failed" % len(FAILURES), file=sys.stderr)
        return 1
    print("the page rendered in chromium and showed what the results hold; screenshot: " + shot)
    return 0


PROFILE = None

if __name__ == "__main__":
    sys.exit(main())
