# libFuzzer targets: one file each, tests/fuzz/fuzz_<name>.c, with seeds in
# tests/fuzz/corpus/<name>/. Built by tests/fuzz/fuzz.sh with clang into
# build-fuzz/ (make BUILD=build-fuzz CC=clang SANFLAGS=... fuzz-bins).
# A target that needs a service's logic names the service here.
FUZZ_SVC_rest_message := gateway
FUZZ_SVC_redact := guardrail
FUZZ_SVC_entities := intent-classifier
FUZZ_SVC_stores_config := intent-classifier
FUZZ_SVC_wa_webhook := gateway
FUZZ_SVC_wa_signature := gateway
FUZZ_SVC_graph_body := gateway
FUZZ_SVC_wa_format := formatter
FUZZ_SVC_sse := llm-caller
FUZZ_SVC_openai_stream := llm-caller
FUZZ_SVC_bedrock_stream := llm-caller
FUZZ_SVC_json_partial := llm-caller
FUZZ_SVC_guard_price := guardrail
FUZZ_SVC_guard_injection := guardrail
FUZZ_SVC_guard_competitor := guardrail
FUZZ_SVC_jwt := gateway
FUZZ_SVC_ingest_json := ingestion
FUZZ_SVC_feedback := gateway
FUZZ_SVC_pdf := chatctl
FUZZ_SVC_offline := llm-caller

FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(addprefix $(BUILD)/fuzz/,$(FUZZ_NAMES))

define FUZZ_template
$(BUILD)/fuzz/$(1): $(call objs,tests/fuzz/fuzz_$(1).c $(if $(FUZZ_SVC_$(1)),$($(FUZZ_SVC_$(1))_SRCS))) $(LIBCOMMON)
	$$(call say,LD,$$@)
	@mkdir -p $$(dir $$@)
	$$(Q)$$(CC) $$(LDFLAGS_ALL) -fsanitize=fuzzer -o $$@ $$(filter %.o,$$^) $(LIBCOMMON) $(if $(FUZZ_SVC_$(1)),$($(FUZZ_SVC_$(1))_LIBS)) $$(LDLIBS)
endef
$(foreach t,$(FUZZ_NAMES),$(eval $(call FUZZ_template,$(t))))

.PHONY: fuzz-bins
fuzz-bins: $(FUZZ_BINS)
