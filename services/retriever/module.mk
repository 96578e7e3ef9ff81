retriever_MAIN := services/retriever/main.c
retriever_SRCS := services/retriever/retriever.c services/retriever/store.c services/retriever/vindex.c
retriever_LIBS := -lcurl

# retriever-bench: latency of the three rankings over the demo KB and a
# generated KB (make bench-retrieval).
EXTRA_BINS += retriever-bench
retriever-bench_MAIN := services/retriever/bench.c
retriever-bench_SRCS := $(retriever_SRCS) services/ingestion/ingestion.c tools/chatctl/pdf.c
retriever-bench_LIBS := -lcurl -lcrypto $(shell pkg-config --libs poppler-glib 2>/dev/null)

.PHONY: eval-retrieval bench-retrieval
eval-retrieval: $(BUILD)/bin/retriever $(BUILD)/bin/chatctl $(BUILD)/bin/ingestion
	$(Q)bash tests/eval/retrieval/eval.sh
bench-retrieval: $(BUILD)/bin/retriever-bench $(BUILD)/bin/retriever $(BUILD)/bin/chatctl $(BUILD)/bin/ingestion
	$(Q)bash tests/eval/retrieval/bench.sh
