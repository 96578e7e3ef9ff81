#!/usr/bin/env bash
# make bench: open-loop load through the whole pipeline (offline LLM
# provider, everything on this machine), swept over BENCH_RATES turns/s until
# saturation. Per step: sustained turns/s, latency p50/p99/p99.9 from the
# client and gateway-to-gateway with the per-hop breakdown (chatctl bench),
# and CPU and RSS per process from /proc. Results: a Markdown report and a
# plot (gnuplot PNG) in BENCH_OUT.
#
# make soak SOAK_MINUTES=30: steady load at SOAK_RATE (default: half the
# saturation rate of the last sweep, else 100) for SOAK_MINUTES, RSS per
# process sampled each minute; reports each process's growth.
#
#   BENCH_RATES      turns/s steps      (default "50 100 200 300 400 500 600 800 1000")
#   BENCH_SECONDS    seconds per step   (default 20)
#   BENCH_WARMUP_SECONDS                (default 60)
#   BENCH_OUT        where the report and plots go (default docs/; build/bench/ keeps raw output)
#
# Starts the local stack if it is not running, and stops it afterwards.
# Usage: bash tests/bench.sh [--soak]
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/env.sh
source tests/bench/procs.sh

MODE=sweep
[[ "${1:-}" == --soak ]] && MODE=soak
RATES=${BENCH_RATES:-"50 100 200 300 400 500 600 800 1000"}
SECONDS_PER_STEP=${BENCH_SECONDS:-20}
WARMUP=${BENCH_WARMUP_SECONDS:-60}
OUT=${BENCH_OUT:-docs}
RAW=build/bench
SOAK_MINUTES=${SOAK_MINUTES:-30}
mkdir -p "$RAW" "$OUT"
HZ=$(getconf CLK_TCK)

command -v gnuplot >/dev/null 2>&1 || bash deploy/install-deps.sh
make -j2 all >/dev/null
started=1
bash deploy/stack.sh status 2>/dev/null | awk 'NR > 1 && $2 == "running" { found = 1 } END { exit !found }' && started=0
cleanup() { [ "$started" = 1 ] && bash deploy/stack.sh down >/dev/null 2>&1 || true; }
trap cleanup EXIT
bash deploy/stack.sh up >/dev/null
# Measure the binaries of this build, not a sanitized or stale stack.
for svc in "${SERVICES[@]}"; do
    exe=$(readlink -f "/proc/$(cat "$RUN_DIR/pids/$svc.pid")/exe" 2>/dev/null || true)
    if [[ "$exe" != "$(readlink -f "$BIN_DIR/$svc")" ]]; then
        echo "bench: $svc runs ${exe:-?}, not $BIN_DIR/$svc: restart the stack (make stop; make run)" >&2
        exit 1
    fi
done

machine="$(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, $(uname -m), $(. /etc/os-release; echo "$PRETTY_NAME"), kernel $(uname -r)"
echo "machine: $machine"
echo "everything on this machine: Kafka broker (KRaft, one node), Redis, PostgreSQL, nine services (LLM_PROVIDER=${LLM_PROVIDER:-offline}), the load generator"
printf '%s\n' "$machine" >"$RAW/machine.txt"

echo "warming up for $WARMUP s..."
# One session per turn/s offered (at least 100): a customer sending more
# than a message a second would meet the gateway's per-session rate limit
# (GATEWAY_RATE_SESSION_PER_MIN), and the sweep would measure that limit.
sessions_for() { echo $(($1 > 100 ? $1 : 100)); }
build/bin/chatctl bench --rate 150 --duration "$WARMUP" --workers 64 --sessions "$(sessions_for 150)" >/dev/null || true

if [[ $MODE == sweep ]]; then
    : >"$RAW/steps.tsv"
    for rate in $RATES; do
        proc_sample >"$RAW/procs-$rate.before"
        t0=$(date +%s.%N)
        rc=0
        build/bin/chatctl bench --rate "$rate" --duration "$SECONDS_PER_STEP" --workers 128 \
            --sessions "$(sessions_for "${rate%.*}")" >"$RAW/step-$rate.txt" || rc=$?
        t1=$(date +%s.%N)
        proc_sample >"$RAW/procs-$rate.after"
        cat "$RAW/step-$rate.txt"
        printf '%s\t%s\t%s\n' "$rate" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$rc" >>"$RAW/steps.tsv"
        # Saturated: fewer than 95% of the offered turns/s answered, or some
        # turns not answered within chatctl's 10 s wait.
        if awk -v r="$rate" '/^bench:/ { for (i = 1; i <= NF; i++) if ($i == "turns/s" && $(i+1) == "achieved") a = $(i-1); sent = $8; ans = $10 }
                               END { exit !(a < 0.95 * r || ans < sent) }' "$RAW/step-$rate.txt"; then
            echo "saturated at $rate turns/s offered: stopping the sweep"
            echo "$rate" >"$RAW/saturation"
            break
        fi
        echo
    done
    python3 tests/bench/report.py sweep "$RAW" "$OUT" "$HZ"
else
    rate=${SOAK_RATE:-}
    if [[ -z "$rate" ]]; then
        if [[ -s "$RAW/saturation" ]]; then rate=$(( $(cat "$RAW/saturation") / 2 )); else rate=100; fi
    fi
    echo "soak: $rate turns/s for $SOAK_MINUTES min, RSS per process each minute"
    : >"$RAW/soak.tsv"
    proc_sample | awk -v m=0 '{ print m "\t" $1 "\t" $3 }' >>"$RAW/soak.tsv"
    : >"$RAW/soak-steps.txt"
    for ((m = 1; m <= SOAK_MINUTES; m++)); do
        build/bin/chatctl bench --rate "$rate" --duration 60 --workers 128 --sessions "$(sessions_for "${rate%.*}")" \
            >"$RAW/soak-step.txt" || true
        head -n 1 "$RAW/soak-step.txt" | sed "s/^/minute $m: /" | tee -a "$RAW/soak-steps.txt"
        proc_sample | awk -v m="$m" '{ print m "\t" $1 "\t" $3 }' >>"$RAW/soak.tsv"
    done
    python3 tests/bench/report.py soak "$RAW" "$OUT" "$rate"
fi
