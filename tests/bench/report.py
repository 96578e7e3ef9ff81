#!/usr/bin/env python3
"""Turn the raw output of tests/bench.sh (build/bench/) into the Markdown
report (OUT/benchmarks.md, between its generated-section markers) and the
plots (OUT/benchmarks.png, OUT/soak-rss.png, drawn with gnuplot).

    report.py sweep RAW OUT CLK_TCK
    report.py soak  RAW OUT RATE
"""
import datetime
import os
import re
import subprocess
import sys

ROW = re.compile(r"^(  +)(\S.*?)\s+(-?[\d.]+|nan)\s+(-?[\d.]+|nan)\s+(-?[\d.]+|nan)\s+(-?[\d.]+|nan)\s*$")
SUMMARY = re.compile(r"^bench: (\d+) turns/s offered for (\d+) s: (\d+) sent, (\d+) answered, (\d+) errors, ([\d.]+) turns/s achieved")


def parse_step(path):
    step = {"hops": []}
    for line in open(path):
        m = SUMMARY.match(line)
        if m:
            step.update(rate=int(m[1]), seconds=int(m[2]), sent=int(m[3]), answered=int(m[4]),
                        errors=int(m[5]), achieved=float(m[6]))
            continue
        m = ROW.match(line)
        if not m or m[2].startswith("latency"):
            continue
        vals = [float(x) for x in m.group(3, 4, 5, 6)]
        if m[2].startswith("client"):
            step["client"] = vals
        elif m[2].startswith("gateway-to-gateway"):
            step["g2g"] = vals
        else:
            step["hops"].append((m[2], vals))
    return step


def samples(path):
    out = {}
    for line in open(path):
        name, ticks, rss = line.split()
        out[name] = (int(ticks), int(rss))
    return out


def ms(v):
    return "-" if v != v else ("%.1f" % v if v < 100 else "%.0f" % v)


def replace_section(path, name, body, title):
    begin, end = "<!-- %s:begin -->" % name, "<!-- %s:end -->" % name
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    block = "%s\n%s\n%s" % (begin, body.rstrip("\n"), end)
    if begin in text and end in text:
        text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n## %s\n\n%s\n" % (title, block)
    open(path, "w").write(text)


def gnuplot(script):
    subprocess.run(["gnuplot"], input=script.encode(), check=True)


def sweep(raw, out, hz):
    steps, elapsed = [], {}
    for line in open(os.path.join(raw, "steps.tsv")):
        rate, secs, _rc = line.split("\t")
        elapsed[int(rate)] = float(secs)
        s = parse_step(os.path.join(raw, "step-%s.txt" % rate))
        if "rate" in s:
            s["before"] = samples(os.path.join(raw, "procs-%s.before" % rate))
            s["after"] = samples(os.path.join(raw, "procs-%s.after" % rate))
            s["elapsed"] = elapsed[int(rate)]
            steps.append(s)
    if not steps:
        sys.exit("bench report: no steps in %s" % raw)
    machine = open(os.path.join(raw, "machine.txt")).read().strip()
    sat = open(os.path.join(raw, "saturation")).read().strip() if os.path.exists(os.path.join(raw, "saturation")) else None
    L = []
    L.append("Measured %s on %s; everything on that machine (Kafka, Redis, PostgreSQL, nine services with "
             "the offline LLM provider, the load generator). Open loop: turns are sent on schedule whatever the "
             "replies do; latency counts from the scheduled send. %s" % (
                 datetime.date.today().isoformat(), machine,
                 ("Saturated at %s turns/s offered." % sat) if sat else "Not saturated within the sweep."))
    L.append("")
    L.append("| offered turns/s | achieved turns/s | answered / sent | gateway-to-gateway p50 / p99 / p99.9 ms | client p50 / p99 / p99.9 ms |")
    L.append("| ---: | ---: | ---: | ---: | ---: |")
    for s in steps:
        g, c = s.get("g2g", [float("nan")] * 4), s.get("client", [float("nan")] * 4)
        L.append("| %d | %.1f | %d / %d | %s / %s / %s | %s / %s / %s |" % (
            s["rate"], s["achieved"], s["answered"], s["sent"], ms(g[0]), ms(g[1]), ms(g[2]), ms(c[0]), ms(c[1]), ms(c[2])))
    L.append("")
    L.append("Per hop (p50 / p99 / p99.9 ms, from the stage times each reply carries):")
    L.append("")
    hops = []
    for s in steps:
        for name, _ in s["hops"]:
            if name not in hops:
                hops.append(name)
    L.append("| hop | " + " | ".join("%d/s" % s["rate"] for s in steps) + " |")
    L.append("| --- |" + " ---: |" * len(steps))
    for h in hops:
        cells = []
        for s in steps:
            v = dict(s["hops"]).get(h)
            cells.append("%s / %s / %s" % (ms(v[0]), ms(v[1]), ms(v[2])) if v else "-")
        L.append("| %s | %s |" % (h, " | ".join(cells)))
    L.append("")
    L.append("CPU (% of one core) and RSS (MB) per process, during each step:")
    L.append("")
    procs = list(steps[0]["after"].keys())
    L.append("| process | " + " | ".join("%d/s" % s["rate"] for s in steps) + " |")
    L.append("| --- |" + " ---: |" * len(steps))
    for p in procs:
        cells = []
        for s in steps:
            b, a = s["before"].get(p), s["after"].get(p)
            if not a or not b:
                cells.append("-")
                continue
            cpu = (a[0] - b[0]) / hz / s["elapsed"] * 100
            cells.append("%.0f%% / %.0f" % (cpu, a[1] / 1024))
        L.append("| %s | %s |" % (p, " | ".join(cells)))
    L.append("")
    L.append("CPU per answered turn (ms of one core; the load generator not counted). Two cores give 2,000 ms "
             "a second, so the total bounds the rate everything on this machine can sustain:")
    L.append("")
    L.append("| process | " + " | ".join("%d/s" % s["rate"] for s in steps) + " |")
    L.append("| --- |" + " ---: |" * len(steps))
    totals = [0.0] * len(steps)
    for p in procs:
        cells = []
        for i, s in enumerate(steps):
            b, a = s["before"].get(p), s["after"].get(p)
            if not a or not b or not s["answered"]:
                cells.append("-")
                continue
            per = (a[0] - b[0]) / hz * 1000.0 / s["answered"]
            totals[i] += per
            cells.append("%.2f" % per)
        L.append("| %s | %s |" % (p, " | ".join(cells)))
    L.append("| **total** | %s |" % " | ".join("**%.2f**" % t for t in totals))
    L.append("")
    L.append("![latency and throughput against offered load](benchmarks.png)")
    replace_section(os.path.join(out, "benchmarks.md"), "sweep", "\n".join(L), "Load sweep (make bench)")

    dat = os.path.join(raw, "sweep.dat")
    with open(dat, "w") as f:
        for s in steps:
            g = s.get("g2g", [float("nan")] * 4)
            f.write("%d %.2f %.3f %.3f %.3f\n" % (s["rate"], s["achieved"], g[0], g[1], g[2]))
    gnuplot("""
set terminal pngcairo size 1000,420 font ",10" noenhanced
set output "%s"
set multiplot layout 1,2 title "%s"
set grid
set xlabel "offered turns/s"
set ylabel "gateway-to-gateway latency (ms)"
set logscale y
set key top left
plot "%s" using 1:3 with linespoints title "p50", "" using 1:4 with linespoints title "p99", "" using 1:5 with linespoints title "p99.9"
unset logscale y
set ylabel "achieved turns/s"
plot "%s" using 1:2 with linespoints title "achieved", "" using 1:1 with lines dashtype 2 title "offered"
unset multiplot
""" % (os.path.join(out, "benchmarks.png"), machine.replace('"', "'")[:90], dat, dat))
    print("bench report: %s and %s" % (os.path.join(out, "benchmarks.md"), os.path.join(out, "benchmarks.png")))


def soak(raw, out, rate):
    series = {}
    for line in open(os.path.join(raw, "soak.tsv")):
        minute, name, rss = line.split("\t")
        series.setdefault(name, []).append((int(minute), int(rss)))
    minutes = max(m for v in series.values() for m, _ in v)
    half = minutes // 2
    L = ["%d minutes at %s turns/s on %s. RSS per process sampled each minute; growth is the last sample "
         "against the one after the first minute (warm caches and pools), and against the one at minute %d: "
         "a process whose caches fill up to their bounds grows in the first half and stays level in the second." % (
             minutes, rate, open(os.path.join(raw, "machine.txt")).read().strip(), half), "",
         "| process | RSS at 1 min (MB) | at %d min | at end | growth (MB) | growth in the second half (MB) |" % half,
         "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, v in series.items():
        v = dict(v)
        first = v.get(1, v.get(0))
        mid = v.get(half, first)
        last = v[max(v)]
        L.append("| %s | %.1f | %.1f | %.1f | %+.1f | %+.1f |" % (name, first / 1024, mid / 1024, last / 1024,
                                                                 (last - first) / 1024, (last - mid) / 1024))
    steps = open(os.path.join(raw, "soak-steps.txt")).read().strip().splitlines()
    if steps:
        L += ["", "Throughput per minute: first and last:", "", "    " + steps[0], "    " + steps[-1]]
    L += ["", "![RSS per process during the soak](soak-rss.png)"]
    replace_section(os.path.join(out, "benchmarks.md"), "soak", "\n".join(L), "Soak (make soak)")
    dat = os.path.join(raw, "soak.dat")
    names = list(series)
    with open(dat, "w") as f:
        for m in range(0, minutes + 1):
            row = [str(m)] + ["%.2f" % (dict(series[n]).get(m, float("nan")) / 1024) for n in names]
            f.write(" ".join(row) + "\n")
    plots = ", ".join('"%s" using 1:%d with linespoints title "%s"' % (dat, i + 2, n) for i, n in enumerate(names))
    gnuplot("""
set terminal pngcairo size 900,450 font ",10" noenhanced
set output "%s"
set title "RSS per process, %s turns/s"
set grid
set xlabel "minute"
set ylabel "RSS (MB)"
set logscale y
set key outside right
plot %s
""" % (os.path.join(out, "soak-rss.png"), rate, plots))
    print("soak report: %s and %s" % (os.path.join(out, "benchmarks.md"), os.path.join(out, "soak-rss.png")))


if __name__ == "__main__":
    mode, raw, out, arg = sys.argv[1:5]
    if mode == "sweep":
        sweep(raw, out, float(arg))
    else:
        soak(raw, out, arg)
