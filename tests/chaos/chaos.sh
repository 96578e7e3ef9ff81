#!/usr/bin/env bash
# make chaos / make chaos-short: under steady load, SIGKILL each service in
# turn and restart it, and restart the Kafka broker once; then count turns
# sent, replies, duplicate replies and dead letters (tests/chaos/chaos_load.c).
# Fails unless every turn got a reply and none was answered twice.
#
#   CHAOS_RATE      turns/s of steady load             (default 30)
#   CHAOS_ROUNDS    kill rounds over every service     (default 2; short: 1)
#   CHAOS_PAUSE     seconds of load between two faults (default 5; short: 2)
#   CHAOS_SERVICES  services to kill (default: all of deploy/env.sh SERVICES)
#   CHAOS_KAFKA     1: restart the broker once, mid-run (default 1)
#   CHAOS_STRICT    1 (default): also fail when a restarted gateway delivers
#                   a reply again (0: only reported)
#
# Usage: bash tests/chaos/chaos.sh [--short]
# Starts the local stack if it is not running, and stops it afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/env.sh

short=0
[[ "${1:-}" == --short ]] && short=1
RATE=${CHAOS_RATE:-30}
ROUNDS=${CHAOS_ROUNDS:-$((short ? 1 : 2))}
PAUSE=${CHAOS_PAUSE:-$((short ? 2 : 5))}
KAFKA=${CHAOS_KAFKA:-1}
read -r -a VICTIMS <<<"${CHAOS_SERVICES:-${SERVICES[*]}}"

say() { printf '[chaos %s] %s\n' "$(date +%T)" "$*"; }

make -j2 all build/tests/chaos-load >/dev/null
started=1
bash deploy/stack.sh status 2>/dev/null | awk 'NR > 1 && $2 == "running" { found = 1 } END { exit !found }' && started=0
work=$(mktemp -d)
load_pid=
cleanup() {
    [[ -n "$load_pid" ]] && kill "$load_pid" 2>/dev/null || true
    [[ "$started" == 1 ]] && bash deploy/stack.sh down >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
bash deploy/stack.sh up >/dev/null

say "steady load at $RATE turns/s; faults: ${#VICTIMS[@]} services x $ROUNDS round(s)$( ((KAFKA)) && echo ", one Kafka restart")"
build/tests/chaos-load --rate "$RATE" --stop-file "$work/stop" --sessions 400 --drain 300 \
    --gateway-pidfile "$RUN_DIR/pids/gateway.pid" --strict "${CHAOS_STRICT:-1}" >"$work/counts" 2>"$work/load.log" &
load_pid=$!
sleep "$PAUSE"

kafka_at=$(( ROUNDS * ${#VICTIMS[@]} / 2 ))
n=0
for ((round = 1; round <= ROUNDS; round++)); do
    for svc in "${VICTIMS[@]}"; do
        if ((KAFKA && n == kafka_at)); then
            say "restarting the Kafka broker"
            bash deploy/stack.sh kafka-restart >/dev/null 2>"$work/kafka-restart.log" || { cat "$work/kafka-restart.log" >&2; exit 1; }
            # A static group member can be fenced when the broker comes back
            # (librdkafka reports that as fatal, and the service exits for its
            # supervisor to restart it, as Kubernetes does). Give the groups
            # time to settle, then start whatever exited, and say so.
            sleep 20
            for s in "${SERVICES[@]}"; do
                if ! bash deploy/stack.sh status 2>/dev/null | awk -v s="$s" '$1 == s && $2 == "running" { ok = 1 } END { exit !ok }'; then
                    say "$s exited after the broker restart; starting it again"
                fi
                bash deploy/stack.sh start "$s" >/dev/null 2>"$work/start.log" || { say "cannot start $s:"; cat "$work/start.log" >&2; exit 1; }
            done
            sleep "$PAUSE"
        fi
        n=$((n + 1))
        say "round $round: SIGKILL $svc, then start it again"
        bash deploy/stack.sh kill "$svc" >/dev/null
        sleep 1
        bash deploy/stack.sh start "$svc" >/dev/null
        sleep "$PAUSE"
    done
done

say "faults done; stopping the load and waiting for every reply"
touch "$work/stop"
rc=0
wait "$load_pid" || rc=$?
load_pid=
mkdir -p "$RUN_DIR/logs" && cp "$work/load.log" "$RUN_DIR/logs/chaos-load.log"
grep '^chaos-load:' "$work/load.log" >&2 || true
echo "chaos counts:"
sed 's/^/  /' "$work/counts"
declare -A c
while read -r k v; do c[$k]=$v; done <"$work/counts"
if [[ $rc == 0 && "${c[replies]:-x}" == "${c[turns]:-y}" && "${c[duplicates]:-1}" == 0 ]] &&
   [[ "${CHAOS_STRICT:-1}" == 0 || "${c[redelivered_after_gateway_restart]:-1}" == 0 ]]; then
    echo "chaos: ok (turns ${c[turns]}, replies ${c[replies]}, duplicates ${c[duplicates]}, redelivered after a gateway restart ${c[redelivered_after_gateway_restart]}, dlq ${c[dlq]})"
else
    echo "chaos: FAILED (turns ${c[turns]:-?}, replies ${c[replies]:-?}, duplicates ${c[duplicates]:-?}, dlq ${c[dlq]:-?})" >&2
    exit 1
fi
