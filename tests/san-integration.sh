#!/usr/bin/env bash
# make test-san-integration: the integration tests against services built
# with ASan + UBSan (make SAN=1, BIN_DIR=build-san/bin). Any sanitizer
# report in a service's log fails the run, as does a failing test.
#
# If a stack of plain binaries is running, its services are stopped first and
# started again afterwards (Kafka, Redis and PostgreSQL stay up), unless
# SAN_RESTORE=0 (make test: the stack goes down next anyway).
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/env.sh
JOBS=2
PLAIN_BIN_DIR=$BIN_DIR

make -j"$JOBS" SAN=1 all build-san/tests/integration

was_running=0
bash deploy/stack.sh status 2>/dev/null | awk 'NR > 1 && $1 != "kafka" && $1 != "redis" && $1 != "postgresql" && $2 == "running" { found = 1 } END { exit !found }' && was_running=1
infra_running=0
bash deploy/stack.sh status 2>/dev/null | awk '$1 == "kafka" && $2 == "running" { found = 1 } END { exit !found }' && infra_running=1

restore() {
    BIN_DIR="$PWD/build-san/bin" bash deploy/stack.sh services-down >/dev/null 2>&1 || true
    if [[ $was_running == 1 && "${SAN_RESTORE:-1}" == 1 ]]; then
        BIN_DIR="$PLAIN_BIN_DIR" bash deploy/stack.sh up >/dev/null 2>&1 || true
    elif [[ $infra_running == 0 ]]; then
        BIN_DIR="$PLAIN_BIN_DIR" bash deploy/stack.sh down >/dev/null 2>&1 || true
    fi
}
trap restore EXIT
[[ $was_running == 1 ]] && bash deploy/stack.sh services-down >/dev/null

# Leaks at exit are the unit tests' business (they run with LeakSanitizer);
# here a report of memory misuse or undefined behaviour stops the service.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export BIN_DIR="$PWD/build-san/bin"
mark=$(date +%s)
for svc in "${SERVICES[@]}"; do
    printf '== sanitized run %s\n' "$(date -u +%FT%TZ)" >>"$RUN_DIR/logs/$svc.log" 2>/dev/null || true
done
bash deploy/stack.sh up >/dev/null
rc=0
(REPO_DIR="$PWD" build-san/tests/integration --jobs 1) || rc=$?

# Sanitizer reports in the services' logs, since this run started.
found=0
for log in "$RUN_DIR"/logs/*.log; do
    [[ $(stat -c %Y "$log") -ge $mark ]] || continue
    if awk '/^== sanitized run/ { n = NR } END { exit 0 }' "$log" &&
       sed -n "$(grep -n '^== sanitized run' "$log" | tail -n 1 | cut -d: -f1),\$p" "$log" 2>/dev/null |
       grep -qE 'ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer'; then
        echo "sanitizer report in $log:" >&2
        grep -m 5 -E 'ERROR: AddressSanitizer|runtime error:|SUMMARY' "$log" | sed 's/^/    /' >&2
        found=1
    fi
done
if [[ $rc == 0 && $found == 0 ]]; then
    echo "sanitized integration tests: ok"
else
    echo "sanitized integration tests: FAILED (tests rc $rc, sanitizer reports: $found)" >&2
    exit 1
fi
