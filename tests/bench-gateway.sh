#!/usr/bin/env bash
# make bench-gateway: the gateway alone under WebSocket load (chatctl
# ws-bench): BENCH_WS_CONNECTIONS idle connections held (default 10000,
# spread over BENCH_WS_SOURCES loopback addresses), the gateway's RSS per
# 1,000 of them, then BENCH_WS_TURNS turns over BENCH_WS_ACTIVE connections
# with the latency the gateway and its Kafka hops add (round trip minus the
# pipeline's own stage-to-stage time). Starts the local stack if it is not
# running, and stops it again afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
# The benchmark opens one session per connection, all from loopback, and
# measures the gateway, not its rate limits: set before deploy/env.sh, whose
# development defaults would win otherwise.
export GATEWAY_RATE_SESSION_BURST=${GATEWAY_RATE_SESSION_BURST:-100000}
export GATEWAY_RATE_SESSION_PER_MIN=${GATEWAY_RATE_SESSION_PER_MIN:-1000000}
export GATEWAY_RATE_ADDR_BURST=${GATEWAY_RATE_ADDR_BURST:-100000}
export GATEWAY_RATE_ADDR_PER_MIN=${GATEWAY_RATE_ADDR_PER_MIN:-1000000}
source deploy/env.sh

make -j2 all >/dev/null
started=1
bash deploy/stack.sh status 2>/dev/null | awk 'NR > 1 && $2 == "running" { found = 1 } END { exit !found }' && started=0
cleanup() { [ "$started" = 1 ] && bash deploy/stack.sh down >/dev/null 2>&1 || true; }
trap cleanup EXIT
bash deploy/stack.sh up >/dev/null
# A fresh gateway, so its RSS before the connections is a clean baseline.
bash deploy/stack.sh restart gateway >/dev/null

# Both ends need a descriptor per connection.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), open-file limit $(ulimit -n)"
build/bin/chatctl ws-bench --connections "${BENCH_WS_CONNECTIONS:-10000}" --sources "${BENCH_WS_SOURCES:-4}" \
	--gateway-pid "$(cat "$RUN_DIR/pids/gateway.pid")" --active "${BENCH_WS_ACTIVE:-100}" \
	--turns "${BENCH_WS_TURNS:-1000}" --hold "${BENCH_WS_HOLD_SECONDS:-10}" \
	--metrics "http://127.0.0.1:${SERVICE_ADMIN_PORT[gateway]}/metrics"
