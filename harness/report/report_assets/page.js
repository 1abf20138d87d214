// The isotest report page: builds the view from the JSON data block above (report_page.h says
// its shape). Everything a test named or printed goes into the page as text nodes
// (textContent, createTextNode), never as markup. The test suite renders this page in headless
// chromium: body[data-render] is "ok" once drawn, "error" (and #render-error says why) when the
// script failed.
"use strict";
window.onerror = function (message, source, line) {
  document.body.setAttribute("data-render", "error");
  var box = document.getElementById("render-error") || document.createElement("p");
  box.id = "render-error";
  box.className = "error";
  box.textContent = "The report could not be drawn: " + message + " (line " + line + ")";
  document.body.insertBefore(box, document.body.firstChild);
};

(function () {
  var data = JSON.parse(document.getElementById("isotest-report-data").textContent);
  var summary = data.summary, results = data.results, tests = data.tests, bars = data.bars;
  var STATUSES = ["sandbox_error", "crashed", "oom", "timeout", "failed", "notrun", "flaky",
                  "skipped", "disabled", "passed"];
  var PAGE = 200;
  var SVG = "http://www.w3.org/2000/svg";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function statusClass(status) {
    return "s-" + (STATUSES.indexOf(status) >= 0 ? status : "other");
  }
  function badge(status) {
    return el("span", "badge " + statusClass(status), status);
  }
  function ms(value) {
    if (value === null || value === undefined) return "-";
    if (value >= 60000) return (value / 60000).toFixed(1) + " min";
    if (value >= 1000) return (value / 1000).toFixed(2) + " s";
    return value.toFixed(1) + " ms";
  }
  function bytes(value) {
    if (value === null || value === undefined) return "-";
    var units = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (value >= 1024 && i < units.length - 1) { value /= 1024; ++i; }
    return (i === 0 ? value.toFixed(0) : value.toFixed(1)) + " " + units[i];
  }
  // A link to a file on the machine that ran the tests; only absolute paths, only file://.
  function fileLink(path, label) {
    if (typeof path !== "string" || path.charAt(0) !== "/") return el("span", "mono", label || path);
    var link = el("a", "mono", label || path);
    link.href = "file://" + path.split("/").map(encodeURIComponent).join("/");
    return link;
  }
  function facts(pairs) {
    var list = el("dl");
    pairs.forEach(function (pair) {
      if (pair[1] === null || pair[1] === undefined || pair[1] === "") return;
      list.appendChild(el("dt", null, pair[0]));
      var dd = el("dd");
      if (pair[1] instanceof Node) dd.appendChild(pair[1]); else dd.textContent = String(pair[1]);
      list.appendChild(dd);
    });
    return list;
  }
  function against(used, limit, format) {
    if (used === null || used === undefined) return el("span", null, "-");
    var span = el("span", null, format(used) + (limit ? " of " + format(limit) : ""));
    if (limit && used !== null && used !== undefined) {
      var meter = el("span", "meter"), fill = el("i"), ratio = used / limit;
      fill.style.width = Math.min(100, ratio * 100).toFixed(1) + "%";
      if (ratio >= 1) fill.className = "over"; else if (ratio >= 0.8) fill.className = "near";
      meter.appendChild(fill);
      meter.title = (ratio * 100).toFixed(0) + "% of the limit";
      span.appendChild(meter);
    }
    return span;
  }

  // ---- header ----
  function drawHeader() {
    document.getElementById("summary-line").textContent =
        summary.line + (summary.flaky ? " (flaky: " + summary.flaky + ")" : "") + " \u2014 " +
        summary.tests + (summary.tests === 1 ? " test" : " tests") + " in " + summary.results +
        (summary.results === 1 ? " result" : " results");
    document.title = "isotest report: " + summary.line;
    var counts = document.getElementById("counts");
    STATUSES.concat(Object.keys(summary.counts).filter(function (s) {
      return STATUSES.indexOf(s) < 0;
    })).forEach(function (status) {
      var number = summary.counts[status];
      if (!number) return;
      var chip = el("button", "count " + statusClass(status));
      chip.type = "button";
      chip.setAttribute("data-status", status);
      chip.appendChild(el("b", null, number));
      chip.appendChild(document.createTextNode(status));
      chip.addEventListener("click", function () { setFilter([status], state.query); });
      counts.appendChild(chip);
    });
    var list = document.getElementById("facts");
    var pairs = [
      ["started", summary.started_at],
      ["wall time", summary.started_at ? ms(summary.wall_ms) + " (first start to last end)" : null],
      ["sandbox time", ms(summary.total_ms) + " (all runs added up)"],
      ["parallel slots", summary.lanes || null],
      ["results", summary.results_line + " (" + summary.results + ")"],
      ["report written on", summary.hostname + (summary.generated_at ? " at " +
                            summary.generated_at : "")],
      ["from", summary.sources.join(" ")]];
    pairs.forEach(function (pair) {
      if (pair[1] === null || pair[1] === undefined) return;
      list.appendChild(el("dt", null, pair[0]));
      list.appendChild(el("dd", null, pair[1]));
    });
    var isolation = document.getElementById("isolation");
    summary.isolation.forEach(function (level) {
      isolation.appendChild(el("li", null, "isolation: " + level.level + " \u2014 " +
                               level.results + (level.results === 1 ? " result" : " results")));
    });
    document.getElementById("notes").textContent =
        "Output is shown as its head and tail: up to " + bytes(summary.output_limits.not_passed_bytes) +
        " per stream of a run that did not pass, " + bytes(summary.output_limits.passed_bytes) +
        " of one that did; the result files hold what the run kept." +
        (summary.off_timeline ? " " + summary.off_timeline +
         " runs without a start time are not on the timeline." : "");
  }

  // ---- filter state, kept in the URL's fragment: #status=failed,timeout&q=text&test=N ----
  var state = { statuses: null, query: "", shown: PAGE, open: {} };
  var lowerNames = tests.map(function (test) {
    var result = results[test.result];
    return (test.name + "\n" + result.name + "\n" + (test.reason || "")).toLowerCase();
  });
  function readFragment() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    var statuses = params.get("status");
    state.statuses = statuses ? statuses.split(",").filter(Boolean) : null;
    state.query = params.get("q") || "";
    var open = params.get("test");
    if (open !== null && tests[Number(open)]) state.open[Number(open)] = true;
  }
  function writeFragment() {
    var params = new URLSearchParams();
    if (state.statuses) params.set("status", state.statuses.join(","));
    if (state.query) params.set("q", state.query);
    var text = params.toString();
    history.replaceState(null, "", text ? "#" + text : location.pathname + location.search);
  }
  function matches(index) {
    var test = tests[index];
    if (state.statuses && state.statuses.indexOf(test.status) < 0) return false;
    return !state.query || lowerNames[index].indexOf(state.query.toLowerCase()) >= 0;
  }
  function setFilter(statuses, query) {
    state.statuses = statuses && statuses.length ? statuses : null;
    state.query = query || "";
    state.shown = PAGE;
    writeFragment();
    drawFilter();
    drawTests();
    markBars();
  }

  function drawFilter() {
    var box = document.getElementById("status-filter");
    box.textContent = "";
    var all = el("button", state.statuses ? "" : "on", "all " + summary.tests);
    all.type = "button";
    all.addEventListener("click", function () { setFilter(null, state.query); });
    box.appendChild(all);
    Object.keys(summary.counts).sort(function (a, b) {
      return STATUSES.indexOf(a) - STATUSES.indexOf(b);
    }).forEach(function (status) {
      var on = state.statuses && state.statuses.indexOf(status) >= 0;
      var button = el("button", on ? "on" : "", status + " " + summary.counts[status]);
      button.type = "button";
      button.setAttribute("data-status", status);
      button.addEventListener("click", function () {
        var chosen = (state.statuses || []).slice();
        var at = chosen.indexOf(status);
        if (at >= 0) chosen.splice(at, 1); else chosen.push(status);
        setFilter(chosen, state.query);
      });
      box.appendChild(button);
    });
    var search = document.getElementById("search");
    if (search.value !== state.query) search.value = state.query;
  }

  // ---- the tests ----
  function outputBlock(parent, name, stream) {
    if (!stream) return;
    var note = stream.bytes != null ? bytes(stream.bytes) + " written" : "";
    if (stream.truncated) note += "; the result file kept " + bytes(stream.kept_bytes);
    parent.appendChild(el("h3", null, name + (note ? " (" + note + ")" : "")));
    parent.appendChild(el("pre", "output", stream.text));
  }
  function framesList(frames) {
    var list = el("ol", "frames");
    (frames || []).forEach(function (frame) {
      var where = frame.file ? " at " + frame.file + (frame.line ? ":" + frame.line : "") : "";
      list.appendChild(el("li", null, (frame.pc || "") + " " + (frame.function || "??") + where +
                          (frame.module ? " in " + frame.module : "")));
    });
    return list;
  }
  function crashBlock(parent, crash) {
    if (!crash) return;
    parent.appendChild(el("h3", null, "Crash"));
    parent.appendChild(facts([
      ["signal", [crash.signal_name, crash.code_name].filter(Boolean).join(" ")],
      ["address", crash.address], ["thread", crash.tid], ["stack from", crash.source],
      ["no stack because", crash.unavailable_reason]]));
    if (crash.frames && crash.frames.length) parent.appendChild(framesList(crash.frames));
  }
  function stacksBlock(parent, diagnostics) {
    if (!diagnostics) return;
    var stacks = diagnostics.stacks;
    if (stacks) {
      parent.appendChild(el("h3", null, "Stacks when it was stopped (" +
                            (diagnostics.trigger || "collected") + ")"));
      parent.appendChild(facts([
        ["method", stacks.method], ["collected in", stacks.duration_ms !== undefined ?
                                     ms(stacks.duration_ms) : null],
        ["incomplete", stacks.complete === false ? (stacks.incomplete_reason || "yes") : null]]));
      (stacks.processes || []).forEach(function (process) {
        parent.appendChild(el("div", "mono", "process " + process.pid +
                              (process.host_pid ? " (host " + process.host_pid + ")" : "") + ": " +
                              (process.command_line || []).join(" ")));
        (process.threads || []).forEach(function (thread) {
          parent.appendChild(el("div", "mono", "  thread " + thread.tid + " " + (thread.name || "") +
                                " " + (thread.state || "") +
                                (thread.wchan ? " in " + thread.wchan : "")));
          parent.appendChild(framesList(thread.frames));
        });
      });
    }
    crashBlock(parent, diagnostics.crash);
  }
  function artifactsBlock(parent, run) {
    var artifacts = run.artifacts;
    if (artifacts) {
      parent.appendChild(el("h3", null, "Artifacts"));
      parent.appendChild(facts([
        ["directory", fileLink(artifacts.directory)],
        ["kept", artifacts.kept === false ? "no (keep " + artifacts.keep + ")" : "yes"],
        ["files", artifacts.files !== undefined ? artifacts.files + " files, " +
                                                  bytes(artifacts.bytes) : null],
        ["truncated", artifacts.truncated ? "yes: the size cap was reached" : null]]));
      var list = el("ul");
      (artifacts.paths || []).forEach(function (path) {
        var item = el("li");
        item.appendChild(artifacts.kept === false || typeof artifacts.directory !== "string"
                             ? el("span", "mono", path)
                             : fileLink(artifacts.directory + "/" + path, path));
        list.appendChild(item);
      });
      if (artifacts.paths_left_out) list.appendChild(el("li", "note", artifacts.paths_left_out +
                                                        " more in the result file"));
      parent.appendChild(list);
    }
    var capture = run.capture;
    if (capture) {
      parent.appendChild(el("h3", null, "Network capture"));
      parent.appendChild(facts([
        ["file", fileLink(capture.path)], ["format", capture.format],
        ["packets", capture.packets], ["size", bytes(capture.bytes)],
        ["truncated", capture.truncated ? "yes, at " + bytes(capture.limit_bytes) : null]]));
    }
    var conditions = run.network_conditions;
    if (conditions) {
      parent.appendChild(el("h3", null, "Network conditions"));
      parent.appendChild(facts(Object.keys(conditions).map(function (key) {
        return [key, conditions[key]];
      })));
    }
    if (run.services && run.services.length) {
      parent.appendChild(el("h3", null, "Services"));
      run.services.forEach(function (service) {
        parent.appendChild(facts([
          ["service", service.name], ["command", service.command],
          ["ready", service.ready ? "yes, after " + ms(service.ready_ms) : "no"],
          ["status", service.status + (service.signal_name ? " (" + service.signal_name + ")" :
                     service.exit_code !== null && service.exit_code !== undefined ?
                     " (exit " + service.exit_code + ")" : "")]]));
        if (service.output_tail) parent.appendChild(el("pre", "output", service.output_tail));
      });
    }
  }
  // The forensics fields come as the result file has them; a part that is not the shape
  // docs/result-json.md gives is named, and the rest of the test still shown.
  function guarded(parent, what, draw) {
    try {
      draw();
    } catch (error) {
      parent.appendChild(el("p", "note", "The " + what + " of this result cannot be shown: " +
                            error.message));
    }
  }
  // A sandbox run: a result, or one attempt of a case of `isotest gtest`.
  function runBlock(parent, run) {
    var cpus = run.cpu_ms != null && run.duration_ms > 0 ? run.cpu_ms / run.duration_ms : null;
    parent.appendChild(facts([
      ["duration", ms(run.duration_ms) + (run.timeout_ms ? " (timeout " + ms(run.timeout_ms) +
                                          ")" : "")],
      ["exit", run.exit],
      ["why", run.reason],
      ["peak memory", run.peak_memory_bytes != null ?
                          against(run.peak_memory_bytes, run.memory_limit_bytes, bytes) : null],
      ["CPU", run.cpu_ms != null ? against(cpus, run.cpus, function (v) {
        return v.toFixed(2) + " CPUs";
      }) : null],
      ["CPU time", run.cpu_ms != null ? ms(run.cpu_ms) : null],
      ["tasks", run.pids_peak != null ? against(run.pids_peak, run.pids_max, String) : null],
      ["error", run.error ? run.error.message : null],
      ["hint", run.error ? run.error.hint : null]]));
    guarded(parent, "crash", function () { crashBlock(parent, run.crash); });
    guarded(parent, "diagnostics", function () { stacksBlock(parent, run.diagnostics); });
    guarded(parent, "artifacts, capture or services", function () { artifactsBlock(parent, run); });
    if (run.output) {
      outputBlock(parent, "stdout", run.output.stdout);
      outputBlock(parent, "stderr", run.output.stderr);
    }
  }
  function detail(index) {
    var test = tests[index], result = results[test.result];
    var box = el("div", "detail");
    box.appendChild(facts([
      ["test", test.name], ["status", test.status], ["why", test.reason],
      ["case of", test.case ? result.name : null],
      ["binary", result.binary], ["result file", result.file],
      ["case took", test.case ? ms(test.duration_ms) : null],
      ["isolation", summary.isolation[result.isolation] ?
                        summary.isolation[result.isolation].level : null]]));
    if (test.failures) {
      box.appendChild(el("h3", null, "Failures"));
      test.failures.forEach(function (failure) {
        var where = failure.file ? failure.file + (failure.line != null && failure.line >= 0 ?
                                                   ":" + failure.line : "") : "(no location)";
        box.appendChild(el("div", "mono", where));
        box.appendChild(el("pre", "failure", failure.message));
      });
      if (test.failures_left_out) box.appendChild(el("p", "note", test.failures_left_out +
                                                      " more failures in the result file"));
    }
    guarded(box, "crash", function () { crashBlock(box, test.crash); });
    if (result.attempts) {
      box.appendChild(el("h3", null, "Attempts (" + result.attempts.length + ", " +
                         (result.failed_attempts || 0) + " failed)"));
      var grid = el("div", "attempts");
      result.attempts.forEach(function (attempt, n) {
        var column = el("div", "attempt");
        var title = el("div");
        title.appendChild(el("b", null, "#" + (n + 1) + " "));
        title.appendChild(badge(attempt.status));
        column.appendChild(title);
        runBlock(column, attempt);
        grid.appendChild(column);
      });
      box.appendChild(grid);
    } else {
      box.appendChild(el("h3", null, test.case ? "The run of " + result.name : "The run"));
      runBlock(box, result);
    }
    return box;
  }
  function row(index) {
    var test = tests[index], result = results[test.result];
    var item = el("li", "test");
    item.setAttribute("data-index", index);
    item.setAttribute("data-status", test.status);
    var line = el("div", "row");
    var status = el("span");
    status.appendChild(badge(test.status));
    line.appendChild(status);
    var name = el("span", "name", test.name);
    if (test.reason && test.reason !== test.status) {
      name.appendChild(el("span", "reason", test.reason));
    }
    line.appendChild(name);
    line.appendChild(el("span", "num", ms(test.duration_ms)));
    line.appendChild(el("span", "num", result.exit || "-"));
    line.appendChild(el("span", "num", bytes(result.peak_memory_bytes)));
    line.addEventListener("click", function () { toggle(item, index); });
    item.appendChild(line);
    if (state.open[index]) item.appendChild(detail(index));
    if (state.open[index]) item.classList.add("open");
    return item;
  }
  function toggle(item, index) {
    if (state.open[index]) {
      delete state.open[index];
      item.classList.remove("open");
      if (item.lastChild.className === "detail") item.removeChild(item.lastChild);
    } else {
      state.open[index] = true;
      item.classList.add("open");
      item.appendChild(detail(index));
    }
  }
  var matching = [];
  function drawTests() {
    matching = [];
    for (var i = 0; i < tests.length; ++i) if (matches(i)) matching.push(i);
    var list = document.getElementById("tests");
    list.textContent = "";
    var fragment = document.createDocumentFragment();
    var count = Math.min(state.shown, matching.length);
    for (var n = 0; n < count; ++n) fragment.appendChild(row(matching[n]));
    list.appendChild(fragment);
    document.getElementById("shown").textContent = "showing " + count + " of " + matching.length +
        (matching.length === tests.length ? " tests" : " matching tests (" + tests.length + " in all)");
    var more = document.getElementById("more");
    more.hidden = count >= matching.length;
    more.textContent = "show " + Math.min(PAGE, matching.length - count) + " more";
  }
  document.getElementById("more").addEventListener("click", function () {
    state.shown += PAGE;
    drawTests();
  });
  var searchTimer = null;
  document.getElementById("search").addEventListener("input", function (event) {
    clearTimeout(searchTimer);
    var value = event.target.value;
    searchTimer = setTimeout(function () { setFilter(state.statuses, value); }, 150);
  });

  // Shows the first test of a result: the filter widens when it hides it.
  var firstTestOf = {};
  tests.forEach(function (test, index) {
    if (firstTestOf[test.result] === undefined) firstTestOf[test.result] = index;
  });
  function reveal(resultIndex) {
    if (firstTestOf[resultIndex] !== undefined) revealTest(firstTestOf[resultIndex]);
  }
  function revealTest(index) {
    if (!matches(index)) setFilter(null, "");
    var position = matching.indexOf(index);
    if (position >= state.shown) { state.shown = position + 1; }
    state.open[index] = true;
    drawTests();
    var item = document.querySelector('li.test[data-index="' + index + '"]');
    if (item) item.scrollIntoView({ block: "center" });
  }

  // ---- the timeline ----
  function markBars() {
    var box = document.getElementById("timeline");
    var filtering = state.statuses !== null || state.query !== "";
    box.classList.toggle("filtering", filtering);
    if (!filtering) return;
    var wanted = {};
    for (var i = 0; i < tests.length; ++i) if (matches(i)) wanted[tests[i].result] = true;
    var rects = box.querySelectorAll("rect.bar");
    for (var n = 0; n < rects.length; ++n) {
      rects[n].classList.toggle("match", !!wanted[bars[n][3]]);
    }
  }
  function tickStep(span) {
    var steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000,
                 60000, 120000, 300000, 600000, 1800000, 3600000];
    for (var i = 0; i < steps.length; ++i) if (span / steps[i] <= 10) return steps[i];
    return steps[steps.length - 1];
  }
  function drawTimeline() {
    var box = document.getElementById("timeline");
    if (!bars.length) {
      box.appendChild(el("p", "note", "No run has a start time: there is no timeline."));
      return;
    }
    var lanes = summary.lanes, wall = Math.max(summary.wall_ms, 1);
    var laneHeight = lanes > 40 ? 6 : 14, top = 16, width = 1000;
    var height = top + lanes * laneHeight + 2;
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("height", height);
    var step = tickStep(wall);
    for (var t = 0; t <= wall; t += step) {
      var x = t / wall * width;
      if (x > width - 40 && t > 0) break;
      var line = document.createElementNS(SVG, "line");
      line.setAttribute("x1", x); line.setAttribute("x2", x);
      line.setAttribute("y1", top - 3); line.setAttribute("y2", height);
      svg.appendChild(line);
      var label = document.createElementNS(SVG, "text");
      label.setAttribute("x", x + 2); label.setAttribute("y", 11);
      label.textContent = ms(t);
      svg.appendChild(label);
    }
    var fragment = document.createDocumentFragment();
    bars.forEach(function (bar, n) {
      var rect = document.createElementNS(SVG, "rect");
      rect.setAttribute("x", (bar[0] / wall * width).toFixed(3));
      rect.setAttribute("width", Math.max(0.4, bar[1] / wall * width).toFixed(3));
      rect.setAttribute("y", top + bar[2] * laneHeight + 1);
      rect.setAttribute("height", laneHeight - 2);
      rect.setAttribute("class", "bar " + statusClass(bar[5]));
      rect.setAttribute("data-bar", n);
      fragment.appendChild(rect);
    });
    svg.appendChild(fragment);
    box.appendChild(svg);
    var tip = document.getElementById("tip");
    svg.addEventListener("mousemove", function (event) {
      var n = event.target.getAttribute("data-bar");
      if (n === null) { tip.hidden = true; return; }
      var bar = bars[Number(n)], result = results[bar[3]];
      tip.textContent = result.name + " \u2014 " + bar[5] + ", " + ms(bar[1]) + " from " +
          ms(bar[0]) + (bar[4] >= 0 && result.attempts ? ", attempt " + (bar[4] + 1) : "") +
          (result.reason ? "\n" + result.reason : "");
      tip.hidden = false;
      tip.style.left = Math.min(event.clientX + 12, window.innerWidth - 320) + "px";
      tip.style.top = (event.clientY + 14) + "px";
    });
    svg.addEventListener("mouseleave", function () { tip.hidden = true; });
    svg.addEventListener("click", function (event) {
      var n = event.target.getAttribute("data-bar");
      if (n === null) return;
      var selected = svg.querySelector("rect.selected");
      if (selected) selected.classList.remove("selected");
      event.target.classList.add("selected");
      reveal(bars[Number(n)][3]);
    });
  }

  // ---- the memory chart: the runs nearest their limit, then the biggest ----
  function drawMemory() {
    var box = document.getElementById("memory");
    var runs = [];
    results.forEach(function (result, index) {
      if (result.peak_memory_bytes) runs.push(index);
    });
    if (!runs.length) {
      box.appendChild(el("p", "note", "No result measured its memory."));
      return;
    }
    function ratio(result) {
      return result.memory_limit_bytes ? result.peak_memory_bytes / result.memory_limit_bytes : -1;
    }
    runs.sort(function (a, b) {
      var ra = ratio(results[a]), rb = ratio(results[b]);
      if (ra !== rb) return rb - ra;
      return results[b].peak_memory_bytes - results[a].peak_memory_bytes;
    });
    var shown = runs.slice(0, 30);
    var scale = 0;
    shown.forEach(function (index) {
      var result = results[index];
      scale = Math.max(scale, result.peak_memory_bytes, result.memory_limit_bytes || 0);
    });
    shown.forEach(function (index) {
      var result = results[index];
      var name = el("span", "name", result.name);
      name.title = result.name;
      name.addEventListener("click", function () { reveal(index); });
      box.appendChild(name);
      var track = el("span", "track");
      var peak = el("span", "peak " + statusClass(result.status));
      peak.style.width = (result.peak_memory_bytes / scale * 100).toFixed(2) + "%";
      track.appendChild(peak);
      if (result.memory_limit_bytes) {
        var limit = el("span", "limit");
        limit.style.left = (result.memory_limit_bytes / scale * 100).toFixed(2) + "%";
        limit.title = "limit " + bytes(result.memory_limit_bytes);
        track.appendChild(limit);
      }
      box.appendChild(track);
      box.appendChild(el("span", "figure", bytes(result.peak_memory_bytes) +
                         (result.memory_limit_bytes ? " of " + bytes(result.memory_limit_bytes) +
                          " (" + (ratio(result) * 100).toFixed(0) + "%)" : ", no limit")));
    });
    if (runs.length > shown.length) {
      var more = el("p", "note", (runs.length - shown.length) + " more runs used less of their limit.");
      more.style.gridColumn = "1 / -1";
      box.appendChild(more);
    }
  }

  readFragment();
  drawHeader();
  drawFilter();
  drawTimeline();
  drawMemory();
  drawTests();
  markBars();
  var opened = Object.keys(state.open);
  if (opened.length) revealTest(Number(opened[0]));
  window.addEventListener("hashchange", function () {
    readFragment();
    state.shown = PAGE;
    drawFilter();
    drawTests();
    markBars();
  });
  document.body.setAttribute("data-render-ms", performance.now().toFixed(0));
  document.body.setAttribute("data-render", "ok");
})();
