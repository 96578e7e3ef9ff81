#!/usr/bin/env bash
# make fuzz [FUZZ_SECONDS=600] / make fuzz-ci (10 s): build every libFuzzer
# target of tests/fuzz/ with clang (ASan + UBSan + libFuzzer, into
# build-fuzz/), run each for the given seconds from its seeds
# (tests/fuzz/corpus/<name>/, read-only; new inputs go to
# build-fuzz/corpus/<name>/), and print executions per target. Fails when a
# target crashes, leaks or breaks an invariant; the input that did it is in
# build-fuzz/artifacts/<name>/.
#
# FUZZ_RUNS=N stops each target after N executions (SECONDS stays the cap);
# FUZZ_NICE=19 runs the targets at low priority beside other work;
# FUZZ_TIMEOUT (10) is the seconds one input may take before it counts as a
# hang (wall clock: raise it for a run that is paused now and then):
# make fuzz FUZZ_RUNS=10000000 FUZZ_SECONDS=3600 is the long run.
#
# Usage: bash tests/fuzz/fuzz.sh [SECONDS [TARGET...]]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${1:-600}
shift || true
OUT=build-fuzz

command -v clang >/dev/null 2>&1 || { echo "fuzz: clang not found: run make deps (deploy/packages.txt)" >&2; exit 1; }

make -j2 --no-print-directory BUILD="$OUT" CC=clang \
    SANFLAGS="-fsanitize=address,undefined,fuzzer-no-link -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
    WARN="-Wall -Wextra -Werror -Wno-unused-parameter" fuzz-bins >/dev/null

# With autogroup scheduling (most desktop and many server kernels) a nice
# value only ranks processes within their session's group: lower the
# group's weight too, or the fuzzers take a full share of the cores.
if [[ -n ${FUZZ_NICE:-} && -w /proc/self/autogroup ]]; then
    echo "$FUZZ_NICE" >/proc/self/autogroup 2>/dev/null || true
fi

targets=("$@")
if ((${#targets[@]} == 0)); then
    for f in tests/fuzz/fuzz_*.c; do t=${f#tests/fuzz/fuzz_}; targets+=("${t%.c}"); done
fi

printf '%-24s %12s %10s %8s  %s\n' target executions exec/s corpus result
failed=0
total=0
for t in "${targets[@]}"; do
    mkdir -p "$OUT/corpus/$t" "$OUT/artifacts/$t" tests/fuzz/corpus/"$t"
    log="$OUT/fuzz-$t.log"
    rc=0
    # Customer and reply text is at most TURN_MAX_TEXT (8192) bytes: longer
    # inputs only slow the text checks' targets down.
    case $t in
        guard_injection | guard_price | guard_competitor | redact | entities) max_len=8192 ;;
        *) max_len=65536 ;;
    esac
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ${FUZZ_NICE:+nice -n "$FUZZ_NICE"} "$OUT/fuzz/$t" -max_total_time="$SECONDS_EACH" \
        ${FUZZ_RUNS:+-runs="$FUZZ_RUNS"} -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 -max_len=$max_len \
        -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$t/" \
        "$OUT/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
    execs=$(awk '/stat::number_of_executed_units/ { print $NF }' "$log" | tail -n 1)
    speed=$(awk '/stat::average_exec_per_sec/ { print $NF }' "$log" | tail -n 1)
    corpus=$(find "$OUT/corpus/$t" -type f | wc -l)
    if [[ $rc == 0 ]]; then
        result=ok
    else
        result="FAILED (exit $rc, see $log and $OUT/artifacts/$t/)"
        failed=$((failed + 1))
    fi
    total=$((total + ${execs:-0}))
    printf '%-24s %12s %10s %8s  %s\n' "$t" "${execs:-?}" "${speed:-?}" "$corpus" "$result"
    if [[ $rc != 0 ]]; then
        grep -m 20 -E 'ERROR|SUMMARY|invariant|runtime error|#[0-9]+ 0x' "$log" | sed 's/^/    /' || true
    fi
done
echo "fuzz: ${#targets[@]} targets, ${SECONDS_EACH} s each, $total executions, $failed failed"
((failed == 0))
