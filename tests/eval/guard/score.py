#!/usr/bin/env python3
"""Score `guardrail --redact` on redaction.tsv: item-level precision and
recall per kind and overall.

Each line of the data set is `expected<TAB>input`: the input text, and the
same text with every personal item replaced by its placeholder ([NRIC],
[PHONE], [EMAIL], [CARD]). Blank lines and lines starting with '#' are
skipped. Both the expected text and the redactor's output are aligned back
onto the input to find each placeholder's span; a predicted item that
overlaps an expected item of the same kind is a true positive, any other
predicted item a false positive, any unmatched expected item a false
negative.

usage: score.py DATA.tsv GUARDRAIL_BINARY [-v]   (-v lists every error)
"""
import re
import subprocess
import sys

KINDS = ["NRIC", "PHONE", "EMAIL", "CARD"]
PH = re.compile(r"\[(NRIC|PHONE|EMAIL|CARD)\]")


def segments(text):
    out, pos = [], 0
    for m in PH.finditer(text):
        if m.start() > pos:
            out.append(("lit", text[pos:m.start()]))
        out.append(("item", m.group(1)))
        pos = m.end()
    if pos < len(text):
        out.append(("lit", text[pos:]))
    return out


def align(inp, redacted):
    """Spans (start, end, kind) of the items of `redacted` in `inp`, or None
    when `redacted` is not `inp` with some items replaced."""
    segs = segments(redacted)
    sys.setrecursionlimit(10000)

    def go(i, pos):
        if i == len(segs):
            return [] if pos == len(inp) else None
        kind, val = segs[i]
        if kind == "lit":
            if inp.startswith(val, pos):
                return go(i + 1, pos + len(val))
            return None
        for end in range(pos + 1, len(inp) + 1):
            rest = go(i + 1, end)
            if rest is not None:
                return [(pos, end, val)] + rest
        return None

    return go(0, 0)


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    data, binary, verbose = sys.argv[1], sys.argv[2], "-v" in sys.argv[3:]
    rows = []
    with open(data, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            exp, sep, inp = line.partition("\t")
            if not sep:
                print(f"{data}:{n}: no tab", file=sys.stderr)
                return 2
            rows.append((n, exp, inp))
    run = subprocess.run([binary, "--redact"], input="\n".join(r[2] for r in rows) + "\n",
                         capture_output=True, text=True, check=True)
    got = run.stdout.split("\n")[: len(rows)]
    tp = {k: 0 for k in KINDS}
    fp = dict(tp)
    fn = dict(tp)
    bad = 0
    for (n, exp, inp), out in zip(rows, got):
        e, p = align(inp, exp), align(inp, out)
        if e is None:
            print(f"{data}:{n}: expected text does not align with the input", file=sys.stderr)
            return 2
        if p is None:
            print(f"{data}:{n}: output does not align with the input: {out}", file=sys.stderr)
            p = []
        used = set()
        for (s, t, k) in e:
            hit = next((j for j, (ps, pt, pk) in enumerate(p)
                        if j not in used and pk == k and ps < t and s < pt), None)
            if hit is None:
                fn[k] += 1
                if verbose:
                    print(f"FN {k:5} line {n}: {inp[s:t]!r}  in: {out}")
            else:
                used.add(hit)
                tp[k] += 1
        for j, (ps, pt, pk) in enumerate(p):
            if j not in used:
                fp[pk] += 1
                if verbose:
                    print(f"FP {pk:5} line {n}: {inp[ps:pt]!r}  in: {out}")
        if out != exp:
            bad += 1

    def pr(t, f_p, f_n):
        p = t / (t + f_p) if t + f_p else 1.0
        r = t / (t + f_n) if t + f_n else 1.0
        return p, r

    neg = sum(1 for r in rows if not PH.search(r[1]))
    print(f"redaction eval: {len(rows)} lines ({neg} with nothing to redact), "
          f"{len(rows) - bad} reproduced exactly")
    print("| kind | expected | TP | FP | FN | precision | recall |")
    print("|---|---|---|---|---|---|---|")
    for k in KINDS + ["all"]:
        t = sum(tp.values()) if k == "all" else tp[k]
        f_p = sum(fp.values()) if k == "all" else fp[k]
        f_n = sum(fn.values()) if k == "all" else fn[k]
        p, r = pr(t, f_p, f_n)
        print(f"| {k.lower()} | {t + f_n} | {t} | {f_p} | {f_n} | {p:.3f} | {r:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
