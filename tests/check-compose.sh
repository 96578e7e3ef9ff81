#!/usr/bin/env bash
# Validate docker-compose.yml without a Docker engine.
#
# Runs `config -q` (schema + interpolation + anchors) with every compose
# implementation found: $COMPOSE (a command, e.g. "/path/docker-compose-v2"),
# the `docker compose` v2 plugin, and `docker-compose` (Debian's 1.29.2 or a
# v2 standalone binary). If none exists, installs Debian's docker-compose.
# Then renders the config once and checks the stack's contracts (services,
# init jobs, depends_on conditions, healthchecks, read-only non-root app
# containers). Prints `compose config: ok` and exits 0, or prints the errors
# and exits 1. Takes a few seconds once the tool is installed.
#
# Usage: bash tests/check-compose.sh [path/to/docker-compose.yml]
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COMPOSE_FILE_PATH="${1:-$REPO_DIR/docker-compose.yml}"
TIMEOUT_S="${CHECK_COMPOSE_TIMEOUT:-20}"

say() { printf '[check-compose] %s\n' "$*"; }
die() { printf 'compose config: FAILED: %s\n' "$*" >&2; exit 1; }

[[ -r "$COMPOSE_FILE_PATH" ]] || die "no such file: $COMPOSE_FILE_PATH"
COMPOSE_FILE_PATH="$(cd "$(dirname "$COMPOSE_FILE_PATH")" && pwd)/$(basename "$COMPOSE_FILE_PATH")"

as_root() {
    if [[ $EUID -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "need root (or sudo) to run: $*"
    fi
}

# --- find the compose implementations -------------------------------------------
# Each entry is a command line (word-split on purpose) that accepts compose args.
tools=()
find_tools() {
    tools=()
    if [[ -n "${COMPOSE:-}" ]]; then
        tools+=("$COMPOSE")
    fi
    if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
        tools+=("docker compose")
    fi
    if command -v docker-compose >/dev/null 2>&1; then
        tools+=("docker-compose")
    fi
}

find_tools
if ((${#tools[@]} == 0)); then
    command -v apt-get >/dev/null 2>&1 || die "no compose command found and no apt-get to install docker-compose"
    say "no compose command found: installing Debian's docker-compose"
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker-compose >/dev/null 2>&1; then
        as_root apt-get update -qq >/dev/null
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker-compose >/dev/null \
            || die "apt-get install docker-compose failed"
    fi
    find_tools
    ((${#tools[@]} > 0)) || die "docker-compose installed but not found on PATH"
fi

# The checks must not depend on the caller's environment or an .env file.
unset COMPOSE_FILE COMPOSE_PROJECT_NAME COMPOSE_PROFILES RETAIL_IMAGE TOPIC_PARTITIONS LOG_LEVEL \
      GATEWAY_HTTP_PUBLISH GATEWAY_WS_PUBLISH
export COMPOSE_PROJECT_NAME=retail-check

run_compose() { # run_compose TOOL ARGS...: compose with our file, bounded in time
    local tool=$1; shift
    # shellcheck disable=SC2086  # tool is a command line
    timeout "$TIMEOUT_S" $tool -f "$COMPOSE_FILE_PATH" --project-directory "$(dirname "$COMPOSE_FILE_PATH")" "$@"
}

tool_version() {
    local tool=$1 v
    # shellcheck disable=SC2086
    v=$(timeout "$TIMEOUT_S" $tool version --short 2>/dev/null || timeout "$TIMEOUT_S" $tool version 2>/dev/null | head -n1 || true)
    printf '%s' "${v:-unknown version}"
}

# --- 1. quiet validation with every tool ----------------------------------------------
used=()
failed=0
for tool in "${tools[@]}"; do
    version=$(tool_version "$tool")
    if out=$(run_compose "$tool" config -q 2>&1); then
        # Compose prints warnings (unset variables, obsolete keys) even with -q.
        if [[ -n "$out" ]]; then
            printf '%s\n' "$out" | sed "s|^|[$tool] |" >&2
            if grep -qiE 'warn|not set|obsolete|deprecated' <<<"$out"; then
                printf 'compose config: FAILED: %s (%s) printed warnings\n' "$tool" "$version" >&2
                failed=1
                continue
            fi
        fi
        used+=("$tool $version")
    else
        printf 'compose config: FAILED: %s (%s):\n' "$tool" "$version" >&2
        printf '%s\n' "$out" | sed 's/^/    /' >&2
        failed=1
    fi
done
((failed == 0)) || exit 1

# --- 2. contracts of the stack, on the rendered config ------------------------------------
# Rendered by the first tool; v2 can emit JSON, 1.29 only YAML (python3-yaml
# comes with Debian's docker-compose).
tool=${tools[0]}
if rendered=$(run_compose "$tool" config --format json 2>/dev/null) && [[ "$rendered" == \{* ]]; then
    format=json
else
    rendered=$(run_compose "$tool" config 2>&1) || die "$tool config: $rendered"
    format=yaml
fi

if ! command -v python3 >/dev/null 2>&1; then
    say "python3 not found: skipping the contract checks"
elif [[ $format == yaml ]] && ! python3 -c 'import yaml' 2>/dev/null; then
    say "python3 yaml module not found: skipping the contract checks"
else
    if ! problems=$(FORMAT=$format python3 -c '
import json, os, sys
text = sys.stdin.read()
if os.environ["FORMAT"] == "json":
    cfg = json.loads(text)
else:
    import yaml
    cfg = yaml.safe_load(text)

apps = {  # service -> (admin port, needs redis, needs postgres)
    "gateway": (9101, True, False),
    "intent-classifier": (9102, False, False),
    "orchestrator": (9103, True, True),
    "retriever": (9104, False, True),
    "llm-caller": (9105, False, False),
    "guardrail": (9106, False, False),
    "formatter": (9107, False, False),
    "ingestion": (9108, True, True),
    "handoff": (9109, False, True),
}
svcs = cfg.get("services") or {}
errs = []

def cond(svc, dep):
    d = svcs[svc].get("depends_on") or {}
    if isinstance(d, list):
        return "service_started" if dep in d else None
    return (d.get(dep) or {}).get("condition") if dep in d else None

def want_dep(svc, dep, c):
    got = cond(svc, dep)
    if got != c:
        errs.append("%s: depends_on %s should be %s, is %s" % (svc, dep, c, got))

for name in ["kafka", "redis", "postgres", "topics", "migrate"] + list(apps):
    if name not in svcs:
        errs.append("missing service: " + name)
if errs:
    print("\n".join(errs)); sys.exit(1)

for name in ("kafka", "redis", "postgres"):
    hc = svcs[name].get("healthcheck") or {}
    if not hc.get("test") or hc.get("disable"):
        errs.append(name + ": needs a healthcheck")

for job, dep in (("topics", "kafka"), ("migrate", "postgres")):
    s = svcs[job]
    want_dep(job, dep, "service_healthy")
    if str(s.get("restart", "no")) != "no":
        errs.append(job + ": restart must be \"no\", is %r" % s.get("restart"))

image = svcs["gateway"].get("image")
for name, (port, redis, pg) in apps.items():
    s = svcs[name]
    env = s.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) for e in env)
    if str(env.get("ADMIN_PORT")) != str(port):
        errs.append("%s: ADMIN_PORT should be %d, is %s" % (name, port, env.get("ADMIN_PORT")))
    if env.get("ADMIN_ADDR") != "0.0.0.0":
        errs.append(name + ": ADMIN_ADDR should be 0.0.0.0")
    if not env.get("KAFKA_BROKERS"):
        errs.append(name + ": KAFKA_BROKERS not set")
    if redis and not env.get("REDIS_URL"):
        errs.append(name + ": REDIS_URL not set")
    if pg and not env.get("DATABASE_URL"):
        errs.append(name + ": DATABASE_URL not set")
    if s.get("image") != image:
        errs.append(name + ": image differs from the gateway image")
    if not s.get("read_only"):
        errs.append(name + ": read_only must be true")
    if str(s.get("user", "")).split(":")[0] != "10001":
        errs.append(name + ": user should be 10001")
    if str(s.get("restart", "no")) == "no":
        errs.append(name + ": needs a restart policy")
    cmd = s.get("command") or []
    if isinstance(cmd, str):
        cmd = cmd.split()
    if not cmd or cmd[0] != name:
        errs.append("%s: command should run %s, is %r" % (name, name, cmd))
    hc = s.get("healthcheck") or {}
    test = " ".join(hc.get("test") or [])
    if hc.get("disable") or "curl" not in test or "/healthz" not in test:
        errs.append(name + ": healthcheck should curl /healthz")
    want_dep(name, "kafka", "service_healthy")
    want_dep(name, "topics", "service_completed_successfully")
    if redis:
        want_dep(name, "redis", "service_healthy")
    if pg:
        want_dep(name, "postgres", "service_healthy")
        want_dep(name, "migrate", "service_completed_successfully")

gw = svcs["gateway"].get("environment") or {}
if isinstance(gw, list):
    gw = dict(e.split("=", 1) for e in gw)
for k, v in (("GATEWAY_HTTP_ADDR", "0.0.0.0"), ("GATEWAY_ORDINAL", "0")):
    if str(gw.get(k)) != v:
        errs.append("gateway: %s should be %s, is %s" % (k, v, gw.get(k)))

targets = set()
for p in svcs["gateway"].get("ports") or []:
    if isinstance(p, dict):
        targets.add(int(p.get("target")))
    else:
        targets.add(int(str(p).split("/")[0].rsplit(":", 1)[-1]))
for port in (8080, 8081):
    if port not in targets:
        errs.append("gateway: should publish %d" % port)

print("\n".join(errs))
sys.exit(1 if errs else 0)
' <<<"$rendered" 2>&1); then
        printf 'compose config: FAILED: contract checks on the %s-rendered config:\n' "$tool" >&2
        printf '%s\n' "$problems" | sed 's/^/    /' >&2
        exit 1
    fi
fi

say "validated with: $(IFS=';'; printf '%s' "${used[*]}")"
echo "compose config: ok"
