orchestrator_MAIN := services/orchestrator/main.c
orchestrator_SRCS := services/orchestrator/orchestrator.c services/orchestrator/tools.c services/orchestrator/refs.c services/orchestrator/store.c

# Turn time with the real store (needs the stack's Redis and PostgreSQL):
# make bench-orchestrator.
EXTRA_BINS += orch-bench
orch-bench_MAIN := services/orchestrator/bench.c
orch-bench_SRCS := $(orchestrator_SRCS)
.PHONY: bench-orchestrator
bench-orchestrator: $(BUILD)/bin/orch-bench
	$(Q)bash -c 'source deploy/env.sh && $(BUILD)/bin/orch-bench $${BENCH_TURNS:-2000}'
