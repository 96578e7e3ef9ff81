#!/usr/bin/env python3
"""Injection detection rate and false-positive rate of `guardrail --injection`.

usage: injection.py GUARDRAIL BENIGN.txt [LABELED.jsonl ...] [-v]

BENIGN.txt: one customer message a line, none of them an attack (lines
starting with '#' are comments). LABELED.jsonl: {"text":..., "label": 0|1}
lines (1 = injection), read at run time and never copied. A missing labeled
file is reported and skipped."""
import json
import os
import subprocess
import sys


def score(guardrail, texts):
    inp = "".join(t.replace("\r", " ").replace("\n", " ") + "\n" for t in texts)
    out = subprocess.run([guardrail, "--injection"], input=inp.encode(), stdout=subprocess.PIPE, check=True).stdout
    rows = [l.split("\t") for l in out.decode().splitlines()]
    assert len(rows) == len(texts), (len(rows), len(texts))
    return [(float(s), int(f)) for s, f in rows]


def main():
    args = [a for a in sys.argv[1:] if a != "-v"]
    verbose = "-v" in sys.argv
    guardrail, benign_path, labeled = args[0], args[1], args[2:]
    print("\ninjection (threshold %s)" % os.environ.get("GUARD_INJECTION_THRESHOLD", "0.5"))
    print("| set | messages | attacks | detected | detection rate | benign | false positives | FP rate |")
    print("|---|---|---|---|---|---|---|---|")
    with open(benign_path, encoding="utf-8") as f:
        benign = [l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")]
    res = score(guardrail, benign)
    fp = sum(f for _, f in res)
    print(f"| {os.path.basename(benign_path)} | {len(benign)} | 0 | - | - | {len(benign)} | {fp} | {fp / len(benign):.3f} |")
    if verbose:
        for t, (s, f) in zip(benign, res):
            if f:
                print(f"  FP {s:.3f} {t}")
    for path in labeled:
        if not os.path.exists(path):
            print(f"| {os.path.basename(path)} | (not found: skipped) |||||||")
            continue
        rows = [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
        res = score(guardrail, [r["text"] for r in rows])
        pos = [f for r, (_, f) in zip(rows, res) if r["label"] == 1]
        neg = [f for r, (_, f) in zip(rows, res) if r["label"] == 0]
        tp, fpn = sum(pos), sum(neg)
        print(f"| {os.path.basename(path)} | {len(rows)} | {len(pos)} | {tp} | {tp / max(1, len(pos)):.3f} | "
              f"{len(neg)} | {fpn} | {fpn / max(1, len(neg)):.3f} |")
        if verbose:
            for r, (s, f) in zip(rows, res):
                if f != r["label"]:
                    print(f"  {'FN' if r['label'] else 'FP'} {s:.3f} {r['text'][:150]}")


if __name__ == "__main__":
    main()
