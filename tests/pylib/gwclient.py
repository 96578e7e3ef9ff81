"""JSON over HTTP to the gateway's REST API (and the services' admin
endpoints), shared by the Python test and benchmark tools."""
import http.client
import json
import re


def parse_url(url):
    """(host, port) of an http://host:port[/...] URL."""
    m = re.match(r"^http://([^:/]+):(\d+)", url)
    if not m:
        raise SystemExit("not an http://host:port URL: %s" % url)
    return m.group(1), int(m.group(2))


def call(target, method, path, body=None, token=None, timeout=60):
    """Send body as JSON (with the session token as bearer when given).
    target is an open http.client.HTTPConnection (kept for the next call) or
    a (host, port) pair (one connection for this call). Returns (status,
    body): the parsed JSON, {} when empty, {"raw": text} when not JSON."""
    conn = target
    if isinstance(target, tuple):
        conn = http.client.HTTPConnection(target[0], target[1], timeout=timeout)
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = "Bearer " + token
    conn.request(method, path, json.dumps(body) if body is not None else None, h)
    r = conn.getresponse()
    data = r.read()
    if conn is not target:
        conn.close()
    try:
        return r.status, json.loads(data) if data else {}
    except ValueError:
        return r.status, {"raw": data.decode("utf-8", "replace")}
