#!/usr/bin/env python3
"""make eval-answers: the retrieval question set asked end to end through
the running stack (gateway -> ... -> formatter), one new session per
question. A reply counts as grounded-correct when it is an answer citing
one of the question's expected documents. Also counted: clarifying
questions, hand-offs, declines, answers citing another document, and
answers from a tool or template (they cite no passage: a store's hours come
from the store records, a points balance needs a signed-in customer). Reported per
half (A-C: tuned on, D: held out; see the set's header) and language;
--show-wrong never prints half D's replies, so it stays held out.

The answer provider is whatever the stack runs (LLM_PROVIDER, default the
offline one). Needs the stack (make run).

With --facts, the questions of tests/eval/answers/facts.tsv are asked
instead and a reply counts when its text states the expected fact (a
phrase); this measures which sentences an answer picks, not only which
document it cites.

    answers.py [--questions FILE] [--show-wrong]
    answers.py --facts [FILE] [--show-wrong]
"""
import argparse
import collections
import http.client
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from gwclient import call  # noqa: E402

GATEWAY = os.environ.get("GATEWAY_URL", "http://127.0.0.1:8080")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--questions", default=os.path.join(here, "retrieval", "questions.tsv"))
    ap.add_argument("--show-wrong", action="store_true", help="print each reply that is not grounded-correct")
    ap.add_argument("--facts", nargs="?", const=os.path.join(here, "answers", "facts.tsv"),
                    help="ask the answer-fact questions (default tests/eval/answers/facts.tsv) instead")
    args = ap.parse_args()
    if args.facts:
        return facts(args.facts, args.show_wrong)

    rows = []
    for line in open(args.questions, encoding="utf-8"):
        if not line.strip() or line.startswith("#"):
            continue
        half, lang, docs, q = line.rstrip("\n").split("\t", 3)
        rows.append((half, lang, set(docs.split(",")), q))

    conn = connect()
    tally = collections.defaultdict(collections.Counter)
    for n, (half, lang, docs, q) in enumerate(rows, 1):
        st, ev = ask(conn, lang, q)
        if st is None:
            return 1
        if st != 200:
            kind = "no reply"
        else:
            action = ev.get("action")
            cited = {c.get("id", "").split("#")[0] for c in ev.get("citations", [])}
            if action == "answer" and cited & docs:
                kind = "correct"
            elif action == "answer" and cited:
                kind = "other document"
            elif action == "answer":
                kind = "tool or template"
            else:
                kind = action or "?"
        for key in ("all", "half " + half, "lang " + lang):
            tally[key][kind] += 1
            tally[key]["n"] += 1
        if args.show_wrong and kind != "correct" and half != "D":
            print("%-22s %s\n    -> %s %s" % (kind, q, ",".join(sorted(cited)) if st == 200 else "",
                                           (ev.get("text", "") if st == 200 else "")[:160]), file=sys.stderr)
        if n % 20 == 0:
            print("eval-answers: %d of %d asked" % (n, len(rows)), file=sys.stderr, flush=True)
    cols = ["correct", "other document", "tool or template", "clarify", "hand_off", "decline"]
    print("%-8s %5s %8s %10s %9s %8s %9s %8s %6s" % ("", "n", "correct", "other doc", "tool/tpl", "clarify", "hand-off",
                                                  "decline", "other"))
    for key in sorted(tally, key=lambda k: (k != "all", k)):
        t = tally[key]
        other = t["n"] - sum(t[k] for k in cols)
        print("%-8s %5d" % (key, t["n"]) + "".join(" %*.3f" % (w, t[k] / t["n"]) for k, w in zip(cols, (8, 10, 9, 8, 9, 8)))
              + " %6.3f" % (other / t["n"]))
    return 0


def connect():
    host, port = GATEWAY.split("://", 1)[1].rstrip("/").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=60)


def ask(conn, lang, q):
    """q in a new session of the language's locale: (HTTP status, reply),
    or (None, None) when no session could be opened."""
    st, s = call(conn, "POST", "/v1/sessions", {"locale": {"en": "en-MY", "ms": "ms-MY", "zh": "zh-MY"}[lang]})
    if st != 201:
        print("eval-answers: POST /v1/sessions: HTTP %d %s" % (st, s), file=sys.stderr)
        return None, None
    return call(conn, "POST", "/v1/sessions/%s/messages?wait=20000" % s["session_id"], {"text": q}, s["token"])


def norm(text):
    return text.lower().replace("\u2013", "-").replace("\u2014", "-").replace("**", "")


def facts(path, show_wrong):
    rows = []
    for line in open(path, encoding="utf-8"):
        if not line.strip() or line.startswith("#"):
            continue
        lang, doc, fact, q = line.rstrip("\n").split("\t", 3)
        rows.append((lang, doc, [norm(f) for f in fact.split(";;")], q))
    conn = connect()
    stated = cited_doc = 0
    for lang, doc, alts, q in rows:
        st, ev = ask(conn, lang, q)
        if st is None:
            return 1
        text = ev.get("text", "") if st == 200 else ""
        cited = {c.get("id", "").split("#")[0] for c in ev.get("citations", [])} if st == 200 else set()
        ok = any(a in norm(text) for a in alts)
        stated += ok
        cited_doc += any(c.rsplit("/", 1)[-1].split(".")[0] == doc for c in cited)
        if show_wrong and not ok:
            print("missing %-14s %s\n    -> %s %s" % (alts[0], q, ",".join(sorted(cited)), text[:200]),
                  file=sys.stderr)
    n = len(rows)
    print("answer facts: %d questions: fact stated %.3f (%d), expected document cited %.3f (%d)"
          % (n, stated / n, stated, cited_doc / n, cited_doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
