#!/usr/bin/env python3
"""make bench-first-token: how long after the provider writes a word the
customer sees it, through the whole pipeline (llm-caller -> guardrail ->
gateway -> client), with an OpenAI-compatible provider that streams.

The provider is a local server speaking the chat-completions streaming wire
format (SSE "data:" lines of chat.completion.chunk objects, a tool call
whose arguments arrive in fragments, "data: [DONE]"). It answers with the
`answer` tool: the id of the first passage in the prompt, then that
passage's first words, one word per event, BENCH_TOKEN_MS apart. It notes
when it wrote each word. The client opens a session, reads the session's
events as Server-Sent Events from the gateway, sends a question and notes
when each delta arrives. Both run in this process, on one monotonic clock.

Reported per turn, as p50/p99 over the turns:
  first word  customer's first delta - provider's first word of the answer
  every word  for every word of a delta: its arrival - when the provider
              completed it (wrote the next word's leading space, or ended):
              what the pipeline adds, since no one can show a word before
              it is known to be whole (it may be the start of an e-mail
              address or an amount)
  whole reply final event - provider's last event

The llm-caller is restarted with LLM_PROVIDER=openai pointing here, and put
back to the stack's own settings afterwards.

    first_token.py [--turns N] [--token-ms MS]
"""
import argparse
import http.client
import http.server
import json
import os
import re
import socketserver
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from gwclient import call, parse_url  # noqa: E402

GATEWAY = os.environ.get("GATEWAY_URL", "http://127.0.0.1:8080")
QUESTIONS = [
    "How many days do I have to return an item?",
    "Can I return something I bought in a store to a different store?",
    "How long does delivery to Penang take?",
    "What does the warranty cover on furniture?",
    "Which payment methods can I use at checkout?",
    "How do I earn loyalty points?",
    "What happens to my personal data?",
    "Do you price match other shops?",
]


def now():
    return time.monotonic()


class Provider:
    """State shared with the HTTP handler: one record per request."""

    def __init__(self, token_ms):
        self.token_ms = token_ms
        self.lock = threading.Lock()
        self.records = []


def first_passage(body):
    """The id and text of the first passage listed in the system prompt."""
    system = next((m.get("content", "") for m in body.get("messages", []) if m.get("role") == "system"), "")
    part = system.split("\nPassages:\n", 1)
    if len(part) < 2:
        return None, None
    m = re.match(r"\[([^\]\n]+)\] [^:\n]*: (.*?)(?:\n\[[^\]\n]+\] |\Z)", part[1], re.S)
    if not m:
        return None, None
    return m.group(1), m.group(2)


def make_handler(prov):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def send_event(self, obj):
            data = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False)
            payload = ("data: " + data + "\n\n").encode()
            self.wfile.write(b"%x\r\n" % len(payload) + payload + b"\r\n")
            self.wfile.flush()

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            if not self.path.endswith("/chat/completions") or not body.get("stream"):
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            pid, text = first_passage(body)
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            base = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": int(time.time()),
                    "model": body.get("model", "bench")}

            def chunk(delta, finish=None):
                return dict(base, choices=[{"index": 0, "delta": delta, "finish_reason": finish}])

            rec = {"words": [], "start": now()}
            if pid is None:
                calls = [{"index": 0, "id": "call_0", "type": "function",
                          "function": {"name": "clarify", "arguments": json.dumps({"question": "Could you say more?"})}}]
                self.send_event(chunk({"role": "assistant", "tool_calls": calls}))
            else:
                words = text.replace("\n", " ").split()[:40]
                self.send_event(chunk({"role": "assistant", "tool_calls": [
                    {"index": 0, "id": "call_0", "type": "function", "function": {"name": "answer", "arguments": ""}}]}))
                head = json.dumps({"citation_id": pid})[:-1] + ', "text": "'
                self.send_event(chunk({"tool_calls": [{"index": 0, "function": {"arguments": head}}]}))
                for i, w in enumerate(words):
                    time.sleep(prov.token_ms / 1000.0)
                    frag = json.dumps((" " if i else "") + w, ensure_ascii=False)[1:-1]
                    rec["words"].append(((" " if i else "") + w, now()))
                    self.send_event(chunk({"tool_calls": [{"index": 0, "function": {"arguments": frag}}]}))
                self.send_event(chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"}'}}]}))
            self.send_event(chunk({}, "tool_calls"))
            self.send_event("[DONE]")
            rec["end"] = now()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            with prov.lock:
                prov.records.append(rec)

    return Handler


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def request(method, path, body=None, token=None):
    status, data = call(parse_url(GATEWAY), method, path, body, token, timeout=30)
    if status >= 300:
        raise RuntimeError("%s %s: HTTP %d %s" % (method, path, status, str(data)[:200]))
    return data


class Events(threading.Thread):
    """The session's events as SSE: (arrival time, event) for each."""

    def __init__(self, sid, token):
        super().__init__(daemon=True)
        self.sid, self.token = sid, token
        self.cond = threading.Condition()
        self.events = []
        u = GATEWAY.split("://", 1)[1]
        host, port = u.split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=120)
        self.conn.request("GET", "/v1/sessions/%s/events?after=0" % sid,
                          headers={"Accept": "text/event-stream", "Authorization": "Bearer " + token})
        self.resp = self.conn.getresponse()
        if self.resp.status != 200:
            raise RuntimeError("event stream: HTTP %d" % self.resp.status)

    def run(self):
        try:
            for raw in self.resp:
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if line.startswith("data: "):
                    ev = json.loads(line[6:])
                    with self.cond:
                        self.events.append((now(), ev))
                        self.cond.notify_all()
        except Exception:
            pass

    def wait_final(self, turn_id, timeout):
        end = now() + timeout
        with self.cond:
            while now() < end:
                for t, ev in self.events:
                    if ev.get("type") == "final" and ev.get("turn_id") == turn_id:
                        return [(t2, e) for t2, e in self.events if e.get("turn_id") == turn_id]
                self.cond.wait(max(0.0, end - now()))
        return None

    def close(self):
        try:
            self.conn.sock.shutdown(2)
        except Exception:
            pass


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p / 100.0
    f = int(k)
    c = min(f + 1, len(xs) - 1)
    return xs[f] + (xs[c] - xs[f]) * (k - f)


def restart_llm(env):
    subprocess.run(["bash", "deploy/stack.sh", "restart", "llm-caller"], env=env, check=True,
                   stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--turns", type=int, default=int(os.environ.get("BENCH_TURNS", "40")))
    ap.add_argument("--token-ms", type=float, default=float(os.environ.get("BENCH_TOKEN_MS", "20")))
    args = ap.parse_args()

    prov = Provider(args.token_ms)
    port = 20190 + int(os.environ.get("PORT_OFFSET", "0"))
    srv = Server(("127.0.0.1", port), make_handler(prov))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    env = dict(os.environ, LLM_PROVIDER="openai", LLM_BASE_URL="http://127.0.0.1:%d/v1" % port, LLM_MODEL="bench",
               LLM_RETRIES="0")
    restart_llm(env)
    first, each, whole, skipped = [], [], [], 0
    try:
        sess = None
        for i in range(-1, args.turns):  # turn -1 warms up (the provider's first connection)
            if (i + 1) % 6 == 0:  # within the per-session rate limit
                if sess:
                    sess[2].close()
                s = request("POST", "/v1/sessions", {})
                ev = Events(s["session_id"], s["token"])
                ev.start()
                sess = (s["session_id"], s["token"], ev)
            sid, token, evs = sess
            with prov.lock:
                before = len(prov.records)
            r = request("POST", "/v1/sessions/%s/messages" % sid, {"text": QUESTIONS[i % len(QUESTIONS)]}, token)
            got = evs.wait_final(r["turn_id"], 60)
            with prov.lock:
                rec = prov.records[before] if len(prov.records) > before else None
            deltas = [(t, e) for t, e in (got or []) if e.get("type") == "delta"]
            if i < 0:
                continue
            if not got or not rec or not rec["words"] or not deltas:
                skipped += 1
                continue
            words = rec["words"]
            # a word is whole once the next one (it starts with a space) or
            # the end of the reply is written: only then may it be shown
            whole_at = [words[k + 1][1] if k + 1 < len(words) else rec["end"] for k in range(len(words))]
            first.append((deltas[0][0] - words[0][1]) * 1000)
            final_t = next(t for t, e in got if e.get("type") == "final")
            whole.append((final_t - rec["end"]) * 1000)
            text, k = "", 0
            ends = []
            acc = 0
            for w, _ in words:
                acc += len(w)
                ends.append(acc)
            for t, e in deltas:
                text += e.get("text", "")
                while k < len(words) and ends[k] <= len(text.rstrip()):
                    each.append((t - whole_at[k]) * 1000)
                    k += 1
            if not "".join(w for w, _ in words).startswith(text.rstrip()[:20]):
                print("note: turn %d streamed text that differs from the words written" % i, file=sys.stderr)
            print("turn %d: first word +%.1f ms, %d deltas" % (i + 1, first[-1], len(deltas)), file=sys.stderr,
                  flush=True)
        if sess:
            sess[2].close()
    finally:
        restart_llm(dict(os.environ))
        srv.shutdown()
    print("provider: %g ms between words; %d turns measured, %d without streamed text (not RAG, or held)"
          % (args.token_ms, len(first), skipped))
    print("%-58s %9s %9s" % ("", "p50 ms", "p99 ms"))
    print("%-58s %9.2f %9.2f" % ("first word: provider wrote it -> customer saw it", pct(first, 50), pct(first, 99)))
    print("%-58s %9.2f %9.2f" % ("every word: provider completed it -> customer saw it", pct(each, 50), pct(each, 99)))
    print("%-58s %9.2f %9.2f" % ("whole reply: provider's last event -> final event", pct(whole, 50), pct(whole, 99)))
    return 0 if first else 1


if __name__ == "__main__":
    sys.exit(main())
