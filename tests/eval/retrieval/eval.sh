#!/usr/bin/env bash
# make eval-retrieval: recall@5 and MRR of full text alone, vectors alone
# and both fused, on tests/eval/retrieval/questions.tsv (halves A-C tuned
# on, D held out; see the set's header). Loads deploy/demo/kb straight into the
# stack's PostgreSQL under a tenant of its own ("eval-retrieval"), the way
# the ingestion service stores it, and removes it afterwards. Starts the
# local infrastructure when PostgreSQL is not up (with PORT_OFFSET honoured).
set -euo pipefail
cd "$(dirname "$0")/../../.."
source deploy/env.sh
BUILD=${BUILD:-build}
TENANT=eval-retrieval
if ! pg_isready -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; then
	echo "eval-retrieval: PostgreSQL is not up on :$PG_PORT; starting the local infrastructure" >&2
	bash deploy/stack.sh infra-up >&2
	bash deploy/stack.sh bootstrap >&2
fi
trap '"$BUILD/bin/retriever-bench" clean --tenant "$TENANT" >/dev/null 2>&1 || true' EXIT
"$BUILD/bin/retriever-bench" load --tenant "$TENANT" deploy/demo/kb >&2
echo "embeddings: ${EMBED_PROVIDER:-local}; questions: tests/eval/retrieval/questions.tsv"
"$BUILD/bin/retriever-bench" eval --tenant "$TENANT" tests/eval/retrieval/questions.tsv 2> >(grep -v '"level":"info"' >&2)
