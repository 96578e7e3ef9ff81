#!/usr/bin/env python3
"""Helpers of tests/llm-real.sh (make test-llm-real), standard library only.

    llm-real.py proxy LISTEN_PORT UPSTREAM_PORT DIR
        A recording pass-through in front of the local model server: each
        POST's request body and the exact response bytes (the SSE stream as
        the server sent it) go to DIR/NNN.request.json, DIR/NNN.response;
        DIR/NNN.status holds the HTTP status. Bytes are passed on as they
        arrive, so streaming and the llm-caller's timeouts behave as without
        it.

    llm-real.py ask DIR QUESTION...
        Asks each question in a new session through the gateway (GATEWAY_URL)
        and checks the turn against the llm-caller's metrics (its admin port:
        LLM_ADMIN_URL) and the exchanges the proxy recorded in DIR. Prints one
        line per question and a summary; exit 1 when a check fails.
"""
import http.client
import http.server
import json
import os
import re
import socketserver
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "pylib"))
from gwclient import call, parse_url as url_parts  # noqa: E402


# --- proxy

def proxy(listen_port, upstream_port, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    lock = threading.Lock()
    counter = [len([f for f in os.listdir(out_dir) if f.endswith(".request.json")])]

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # the end of the body is the end of the connection

        def log_message(self, fmt, *args):
            sys.stderr.write("proxy: " + (fmt % args) + "\n")

        def forward(self, method):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else None
            record = method == "POST"
            if record:
                with lock:
                    counter[0] += 1
                    k = counter[0]
                base = os.path.join(out_dir, "%03d" % k)
                with open(base + ".request.json", "wb") as f:
                    f.write(body or b"")
            headers = {h: v for h, v in self.headers.items()
                       if h.lower() in ("content-type", "accept", "authorization")}
            up = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=900)
            try:
                up.request(method, self.path, body, headers)
                r = up.getresponse()
            except OSError as e:
                self.send_error(502, "upstream: %s" % e)
                return
            self.send_response(r.status)
            for h, v in r.getheaders():
                if h.lower() not in ("transfer-encoding", "connection", "content-length", "date", "server"):
                    self.send_header(h, v)
            self.end_headers()
            out = open(base + ".response", "wb") if record else None
            if record:
                with open(base + ".status", "w") as f:
                    f.write("%d\n" % r.status)
            try:
                while True:
                    b = r.read1(65536)
                    if not b:
                        break
                    if out:
                        out.write(b)
                        out.flush()
                    self.wfile.write(b)
                    self.wfile.flush()
            except OSError as e:
                sys.stderr.write("proxy: stream cut: %s\n" % e)
            finally:
                if out:
                    out.close()
                up.close()

        def do_GET(self):
            self.forward("GET")

        def do_POST(self):
            self.forward("POST")

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    Server(("127.0.0.1", listen_port), Handler).serve_forever()


# --- ask

def metrics(admin):
    """The llm-caller's llm_* counters by name (label provider="openai")."""
    host, port = url_parts(admin)
    c = http.client.HTTPConnection(host, port, timeout=10)
    c.request("GET", "/metrics")
    text = c.getresponse().read().decode()
    c.close()
    out = {}
    for line in text.splitlines():
        m = re.match(r'^(llm_[a-z_]+_total)\{[^}]*provider="openai"[^}]*\} ([0-9.e+]+)$', line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


def exchanges(out_dir):
    return sorted(f[:-len(".request.json")] for f in os.listdir(out_dir) if f.endswith(".request.json"))


def turn_passage_ids(req_path):
    """The turn's passage ids, as the llm-caller sent them: the enum of
    answer's citation_id (empty when the turn had no passages)."""
    try:
        req = json.load(open(req_path, encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for t in req.get("tools", []):
        fn = t.get("function", {})
        if fn.get("name") == "answer":
            return set(fn.get("parameters", {}).get("properties", {}).get("citation_id", {}).get("enum", []))
    return None


def final_event(host, port, sid, token, ev, deadline):
    """The turn's final event: the POST's own answer, or long-polls until it comes."""
    if ev.get("type") == "final":
        return ev
    after = 0
    while time.time() < deadline:
        st, page = call((host, port), "GET", "/v1/sessions/%s/events?after=%d&wait=25000" % (sid, after),
                        token=token, timeout=40)
        if st != 200:
            return None
        for e in page.get("events", []):
            if e.get("type") == "final":
                return e
        after = page.get("next", after)
    return None


def wait_metrics_settle(admin, before, deadline):
    """The turn's llm_* counters once the llm-caller has counted it: a final
    reply can reach the customer just before the counters are read."""
    while True:
        m = metrics(admin)
        done = (m.get("llm_calls_ok_total", 0) - before.get("llm_calls_ok_total", 0)) + \
               (m.get("llm_degraded_total", 0) - before.get("llm_degraded_total", 0))
        if done >= 1 or time.time() >= deadline:
            return m
        time.sleep(0.5)


def ask(out_dir, questions):
    gw_host, gw_port = url_parts(os.environ.get("GATEWAY_URL", "http://127.0.0.1:8080"))
    admin = os.environ["LLM_ADMIN_URL"]
    turn_s = int(os.environ.get("LLM_REAL_TURN_S", "600"))
    failures = []
    failed_q = set()
    valid = degraded = 0
    for n, q in enumerate(questions, 1):
        def fail(msg):
            failures.append("question %d (%s): %s" % (n, q, msg))
            failed_q.add(n)
            print("  FAIL %s" % msg, flush=True)

        print("[llm-real] question %d of %d: %s" % (n, len(questions), q), flush=True)
        before = metrics(admin)
        seen = set(exchanges(out_dir))
        t0 = time.time()
        st, s = call((gw_host, gw_port), "POST", "/v1/sessions", {"locale": "en-MY"})
        if st != 201:
            fail("POST /v1/sessions: HTTP %d %s" % (st, s))
            continue
        st, ev = call((gw_host, gw_port), "POST", "/v1/sessions/%s/messages?wait=25000" % s["session_id"],
                      {"text": q}, s["token"], timeout=40)
        if st not in (200, 504):
            fail("POST messages: HTTP %d %s" % (st, ev))
            continue
        ev = final_event(gw_host, gw_port, s["session_id"], s["token"], ev if st == 200 else {}, t0 + turn_s)
        if ev is None:
            fail("no final reply within %d s" % turn_s)
            continue
        after = wait_metrics_settle(admin, before, time.time() + 10)
        d = {k: after.get(k, 0) - before.get(k, 0) for k in
             ("llm_calls_ok_total", "llm_calls_failed_total", "llm_replies_invalid_total", "llm_degraded_total")}
        # Exchanges the model server answered (the proxy writes .status once it has its status line).
        new = [x for x in exchanges(out_dir) if x not in seen and os.path.exists(os.path.join(out_dir, x + ".status"))]
        action = ev.get("action")
        cites = [c.get("id", "") for c in ev.get("citations", [])]
        took = time.time() - t0
        print("  %s in %.0f s, %d request(s) to the model server; metrics +ok %d +failed %d +invalid %d "
              "+degraded %d" % (action, took, len(new), d["llm_calls_ok_total"], d["llm_calls_failed_total"],
                                d["llm_replies_invalid_total"], d["llm_degraded_total"]), flush=True)
        print("  text: %s" % (ev.get("text", "")[:200].replace("\n", " ")), flush=True)
        if cites:
            print("  cites: %s" % ", ".join(cites), flush=True)
        # The real server was called, as the llm-caller counted it and as the proxy saw it.
        calls = d["llm_calls_ok_total"] + d["llm_calls_failed_total"] + d["llm_replies_invalid_total"]
        if calls < 1:
            fail("the llm-caller counted no call to the model server (ok/failed/invalid unchanged)")
        if not new:
            fail("no request was answered by the model server")
        if action not in ("answer", "clarify", "hand_off", "decline"):
            fail("not a valid action: %r" % action)
        ok = d["llm_calls_ok_total"] >= 1 and d["llm_degraded_total"] == 0
        if ok:
            valid += 1
            print("  the model's tool call was valid (llm-caller/openai)", flush=True)
        elif d["llm_degraded_total"] >= 1:
            degraded += 1
            print("  the model's reply was not used: degraded to the offline provider", flush=True)
        else:
            fail("neither a valid tool call nor the degraded path was counted")
        if action == "answer" and cites and new:
            ids = turn_passage_ids(os.path.join(out_dir, new[-1] + ".request.json"))
            if ids is not None and ids and not set(cites) <= ids:
                fail("cites %s, not among the turn's passages %s" % (cites, sorted(ids)))
        if ok and action == "answer" and not cites:
            fail("an answer from the model that cites no passage")
    print("[llm-real] summary: %d questions; the model's tool call was valid in %d, degraded in %d; %d failed "
          "check(s)" % (len(questions), valid, degraded, len(failures)), flush=True)
    for f in failures:
        print("  " + f)
    print("%d passed, %d failed" % (len(questions) - len(failed_q), len(failed_q)))
    return 1 if failures else 0


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "proxy":
        proxy(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
        return 0
    if len(sys.argv) >= 4 and sys.argv[1] == "ask":
        return ask(sys.argv[2], sys.argv[3:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
