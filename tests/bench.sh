#!/usr/bin/env bash
# make bench: idle memory of every service, then open-loop load through the
# whole pipeline at fixed rates (BENCH_RATES, turns/s, BENCH_SECONDS each),
# printing latency percentiles and the per-hop breakdown. Starts the local
# stack if it is not running, and stops it again afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/env.sh
RATES=${BENCH_RATES:-"50 100 200"}
SECONDS_PER_STEP=${BENCH_SECONDS:-20}

make -j"$(nproc)" all >/dev/null
started=1
bash deploy/stack.sh status 2>/dev/null | awk 'NR > 1 && $2 == "running" { found = 1 } END { exit !found }' && started=0
cleanup() { [ "$started" = 1 ] && bash deploy/stack.sh down >/dev/null 2>&1 || true; }
trap cleanup EXIT
bash deploy/stack.sh up >/dev/null

echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m), $(. /etc/os-release; echo "$PRETTY_NAME")"
echo "everything on this machine: Kafka broker (KRaft), Redis, PostgreSQL, nine services, the load generator"
echo
echo "idle resident memory (RSS) per service:"
for svc in "${SERVICES[@]}"; do
	pid=$(cat "$RUN_DIR/pids/$svc.pid")
	printf '  %-18s %6.1f MB\n' "$svc" "$(awk '/VmRSS/{print $2/1024}' /proc/$pid/status)"
done
echo
# The broker is a JVM: its hot paths are compiled only after a while under
# load. Warm it (and every connection) up so the steps measure steady state.
echo "warming up for ${BENCH_WARMUP_SECONDS:-60} s..."
build/bin/chatctl bench --rate 150 --duration "${BENCH_WARMUP_SECONDS:-60}" --workers 64 >/dev/null || true
for rate in $RATES; do
	build/bin/chatctl bench --rate "$rate" --duration "$SECONDS_PER_STEP" --workers 64
	echo
done
