#!/usr/bin/env bash
# make bench-retrieval: top-5 retrieval latency (p50/p99, in-process, per
# ranking) over the demo KB and over a generated KB of BENCH_CHUNKS chunks
# (default 100000; retriever-bench gen: sentences of the English demo
# documents recombined), each loaded under a tenant of its own and removed
# afterwards. The machine is shared: numbers are indicative.
set -euo pipefail
cd "$(dirname "$0")/../../.."
source deploy/env.sh
BUILD=${BUILD:-build}
CHUNKS=${BENCH_CHUNKS:-100000}
ROUNDS=${BENCH_ROUNDS:-20}
B="$BUILD/bin/retriever-bench"
if ! pg_isready -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; then
	echo "bench-retrieval: PostgreSQL is not up on :$PG_PORT; starting the local infrastructure" >&2
	bash deploy/stack.sh infra-up >&2
	bash deploy/stack.sh bootstrap >&2
fi
cleanup() {
	"$B" clean --tenant bench-demo >/dev/null 2>&1 || true
	"$B" clean --tenant bench-gen >/dev/null 2>&1 || true
}
trap cleanup EXIT
quiet() { grep -v '"level":"info"' >&2 || true; }
"$B" load --tenant bench-demo deploy/demo/kb >&2
echo "| KB | ranking | searches | p50 ms | p99 ms |"
echo "| --- | --- | --- | --- | --- |"
"$B" latency --tenant bench-demo --lang en --rounds "$ROUNDS" --queries tests/eval/retrieval/questions.tsv 2> >(quiet)
"$B" gen --tenant bench-gen --chunks "$CHUNKS" --from deploy/demo/kb >&2
"$B" latency --tenant bench-gen --lang en --rounds "$ROUNDS" --queries tests/eval/retrieval/questions.tsv 2> >(quiet)
