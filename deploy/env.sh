# shellcheck shell=bash
# Shared settings for the local stack. Sourced (not executed) by deploy/*.sh.
# Every value is a default: anything already set in the environment wins,
# so e.g. `KAFKA_BROKERS=host:9092 LOCAL_INFRA=0 make run` points at existing infra.

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$DEPLOY_DIR/.." && pwd)"
export DEPLOY_DIR REPO_DIR

# --- where things live
: "${RUN_DIR:=$REPO_DIR/.run}"          # pids/, logs/, kafka/, redis/, pg/
: "${BIN_DIR:=$REPO_DIR/build/bin}"     # service binaries and chatctl (built by make)

# --- ports: PORT_OFFSET shifts every default port below (Kafka, Redis,
# PostgreSQL, gateway, admin), so a second stack can run beside the first,
# each in its own checkout (RUN_DIR is per checkout).
: "${PORT_OFFSET:=0}"
_po=$PORT_OFFSET

# --- infrastructure
: "${LOCAL_INFRA:=1}"                   # 1: stack.sh runs Kafka/Redis/PostgreSQL; 0: use the URLs below
: "${KAFKA_BROKERS:=127.0.0.1:$((9092 + _po))}"
: "${KAFKA_CONTROLLER_PORT:=$((9093 + _po))}"
: "${KAFKA_HEAP:=1g}"
: "${KAFKA_JVM_OPTS:=-XX:+UseParallelGC}"
: "${KAFKA_NETWORK_THREADS:=2}"
: "${KAFKA_IO_THREADS:=2}"
: "${KAFKA_RETENTION_HOURS:=24}"        # the local broker keeps a day of messages ...
: "${KAFKA_RETENTION_MB:=256}"          # ... and at most this much per partition
: "${TOPIC_PARTITIONS:=6}"
: "${REDIS_PORT:=$((6379 + _po))}"
: "${REDIS_URL:=redis://127.0.0.1:$REDIS_PORT/0}"
: "${PG_PORT:=$((5432 + _po))}"
: "${DATABASE_URL:=postgresql://chat:chat@127.0.0.1:$PG_PORT/chat}"
: "${DEMO_DATA:=1}"                     # 1: load deploy/demo/seed.sql after migrations (idempotent); 0: skip

# --- gateway public ports
: "${GATEWAY_HTTP_PORT:=$((8080 + _po))}"          # widget + REST
: "${GATEWAY_WS_PORT:=$((8081 + _po))}"            # WebSocket

# --- WhatsApp channel: dev-only values so the local stack's webhook is on;
# replies go to a local Graph API that the integration tests run on this
# port. A real deployment sets its own secrets and leaves WHATSAPP_GRAPH_BASE
# at https://graph.facebook.com (docs: services/gateway/whatsapp.h).
: "${WHATSAPP_VERIFY_TOKEN:=dev-verify-token}"
: "${WHATSAPP_APP_SECRET:=dev-app-secret}"
: "${WHATSAPP_ACCESS_TOKEN:=dev-access-token}"
: "${WHATSAPP_API_VERSION:=v21.0}"
: "${WHATSAPP_GRAPH_BASE:=http://127.0.0.1:$((20090 + _po))}"
export WHATSAPP_VERIFY_TOKEN WHATSAPP_APP_SECRET WHATSAPP_ACCESS_TOKEN WHATSAPP_API_VERSION WHATSAPP_GRAPH_BASE

: "${GATEWAY_URL:=http://127.0.0.1:$GATEWAY_HTTP_PORT}"

# --- gateway secrets. DEVELOPMENT ONLY: these well-known values make the local
# stack start; a real deployment sets its own (>= 32 random bytes each, e.g.
# `openssl rand -base64 48`). The gateway has no built-in default and refuses
# to start without them.
: "${GATEWAY_JWT_SECRET:=dev-only-session-token-secret-not-for-production-0001}"
: "${GATEWAY_ASSERTION_SECRET:=dev-only-customer-assertion-secret-not-for-production-0001}"
# Rate limits of the local stack: every test and benchmark client shares
# 127.0.0.1, so the per-address buckets are wide here (the gateway's own
# defaults are 30/min burst 10 per session, 600/min burst 100 per address,
# 60/min burst 20 new sessions per address; the benchmarks open 10,000).
: "${GATEWAY_RATE_SESSION_PER_MIN:=120}"
: "${GATEWAY_RATE_SESSION_BURST:=20}"
: "${GATEWAY_RATE_ADDR_PER_MIN:=600000}"
: "${GATEWAY_RATE_ADDR_BURST:=20000}"
: "${GATEWAY_RATE_NEW_SESSIONS_PER_MIN:=600000}"
: "${GATEWAY_RATE_NEW_SESSIONS_BURST:=20000}"
# Store pages on other origins that may use the gateway (CORS, WebSocket
# Origin check); the gateway's own pages always may. The integration tests
# call it as a page on http://shop.test.
: "${GATEWAY_ALLOWED_ORIGINS:=http://shop.test}"
: "${ADMIN_PORT_BASE:=$((9101 + _po))}"  # gateway; the others follow in SERVICES order

# --- handoff agent API (tickets, erasure) and agent notifications; the local
# stack's tokens are for development only. HANDOFF_AGENT_TOKEN is the
# operator's (every tenant's tickets); HANDOFF_AGENT_TOKENS gives each tenant
# its own (tenant=token, comma-separated, 16+ characters each): `demo` and
# `acme-test`, a second tenant the integration tests keep apart from demo.
# The webhook URL points at a port the integration tests listen on; nothing
# listening only costs retries.
: "${HANDOFF_API_PORT:=$((9110 + _po))}"
: "${HANDOFF_API_URL:=http://127.0.0.1:$HANDOFF_API_PORT}"
: "${HANDOFF_AGENT_TOKEN:=local-agent-token}"
: "${HANDOFF_AGENT_TOKENS:=demo=local-demo-agent-token,acme-test=local-acme-test-agent-token}"
: "${HANDOFF_ADMIN_TOKEN:=local-admin-token}"
: "${HANDOFF_WEBHOOK_URL:=http://127.0.0.1:$((20050 + _po))/hooks/handoff}"
export HANDOFF_API_PORT HANDOFF_API_URL HANDOFF_AGENT_TOKEN HANDOFF_AGENT_TOKENS HANDOFF_ADMIN_TOKEN HANDOFF_WEBHOOK_URL

export PORT_OFFSET GATEWAY_URL ADMIN_PORT_BASE RUN_DIR BIN_DIR LOCAL_INFRA KAFKA_BROKERS KAFKA_CONTROLLER_PORT KAFKA_HEAP KAFKA_JVM_OPTS KAFKA_NETWORK_THREADS KAFKA_IO_THREADS KAFKA_RETENTION_HOURS KAFKA_RETENTION_MB \
       TOPIC_PARTITIONS REDIS_URL REDIS_PORT PG_PORT DATABASE_URL DEMO_DATA \
       GATEWAY_HTTP_PORT GATEWAY_WS_PORT GATEWAY_JWT_SECRET GATEWAY_ASSERTION_SECRET \
       GATEWAY_RATE_SESSION_PER_MIN GATEWAY_RATE_SESSION_BURST GATEWAY_RATE_ADDR_PER_MIN GATEWAY_RATE_ADDR_BURST \
       GATEWAY_RATE_NEW_SESSIONS_PER_MIN GATEWAY_RATE_NEW_SESSIONS_BURST GATEWAY_ALLOWED_ORIGINS

# --- llm-caller: the answer provider (offline needs no network or key;
# openai and bedrock read LLM_BASE_URL, LLM_MODEL, LLM_API_KEY / AWS_*)
: "${LLM_PROVIDER:=offline}"
: "${LLM_TENANT_DIR:=$DEPLOY_DIR/tenants}"   # <tenant>.conf: the L0 config
export LLM_PROVIDER LLM_TENANT_DIR

# --- services, in start order. Each reads its admin port (/healthz, /readyz)
# from ADMIN_PORT; stack.sh sets it per process from this table.
# shellcheck disable=SC2034  # used by the scripts that source this file
SERVICES=(gateway intent-classifier orchestrator retriever llm-caller guardrail formatter ingestion handoff)
# shellcheck disable=SC2034
declare -gA SERVICE_ADMIN_PORT=()
for _i in "${!SERVICES[@]}"; do
    SERVICE_ADMIN_PORT[${SERVICES[$_i]}]=$((ADMIN_PORT_BASE + _i))
done
unset _i

# Port part of the first broker in KAFKA_BROKERS (the one a local broker listens on).
KAFKA_PORT="${KAFKA_BROKERS%%,*}"
KAFKA_PORT="${KAFKA_PORT##*:}"
