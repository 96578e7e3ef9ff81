#!/usr/bin/env bash
# make test: unit tests (plain and ASan+UBSan), a bounded fuzzing run, then
# integration tests against the real local stack (started here if it is not
# running, and stopped again afterwards), the short chaos test, the
# integration tests again against services built with ASan+UBSan, then the
# compose file and Helm chart checks.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)

# Everything is also kept in a log, so the run can end with one line adding
# up every test binary's result.
LOG=$(mktemp /tmp/make-test.XXXXXX)
exec > >(tee "$LOG") 2>&1

step() { printf '\n== %s\n' "$*"; }

step "build"
make -j"$JOBS" all build/tests/integration

step "OpenAPI lint (docs/openapi.yaml)"
make --no-print-directory lint-openapi

step "unit tests"
make -j"$JOBS" test-unit

step "unit tests under ASan + UBSan"
make -j"$JOBS" SAN=1 test-unit

step "fuzzing: every libFuzzer target for ${FUZZ_CI_SECONDS:-10} s"
bash tests/fuzz/fuzz.sh "${FUZZ_CI_SECONDS:-10}"

step "integration tests against the local stack"
# Stop afterwards only what this run started.
started=1
bash deploy/stack.sh status 2>/dev/null | awk 'NR > 1 && $2 == "running" { found = 1 } END { exit !found }' && started=0
cleanup() {
	if [ "$started" = 1 ]; then
		step "stopping the stack this run started"
		bash deploy/stack.sh down || true
		started=0
	fi
}
trap cleanup EXIT
bash deploy/stack.sh up
# The tests find the stack where deploy/env.sh puts it (PORT_OFFSET and all).
(source deploy/env.sh && REPO_DIR="$PWD" build/tests/integration --jobs 1)

step "web widget end to end (headless Chromium, tests/e2e)"
make --no-print-directory test-e2e

step "chaos (short): SIGKILL each service and restart Kafka under load"
make -j"$JOBS" build/tests/chaos-load >/dev/null
bash tests/chaos/chaos.sh --short

step "integration tests against services built with ASan + UBSan"
SAN_RESTORE=$((started == 1 ? 0 : 1)) bash tests/san-integration.sh

step "docker-compose.yml"
bash tests/check-compose.sh

step "Helm chart (lint, template, kubeconform)"
bash tests/helm-check.sh

cleanup
trap - EXIT

step "summary"
awk '/Synthesis: Tested/ { for (i = 1; i <= NF; i++) { if ($i == "Passing:") p += $(i + 1); if ($i == "Failing:") f += $(i + 1); if ($i == "Crashing:") c += $(i + 1) } }
     END { printf "tests: %d passed, %d failed\n", p, f + c; exit (f + c) > 0 }' "$LOG"
rm -f "$LOG"
