guardrail_MAIN := services/guardrail/main.c
guardrail_SRCS := services/guardrail/guardrail.c services/guardrail/redact.c services/guardrail/injection.c \
	services/guardrail/price.c services/guardrail/competitor.c services/guardrail/store.c \
	services/guardrail/catalog.c \
	services/intent-classifier/model.c

# The prompt-injection model: the intent classifier's learner (intent-train)
# on the guardrail's own labeled data, built by `make all`.
INJECTION_DATA := services/guardrail/data/injection.tsv
INJECTION_MODEL_FILE := $(BUILD)/models/injection.model
EXTRA_TARGETS += $(INJECTION_MODEL_FILE)

$(INJECTION_MODEL_FILE): $(BUILD)/bin/intent-train $(INJECTION_DATA)
	$(call say,TRAIN,$@)
	@mkdir -p $(dir $@)
	$(Q)$(BUILD)/bin/intent-train --quiet --in $(INJECTION_DATA) --out $@ --seed 1

# `make eval-guard`: redaction precision and recall on tests/eval/guard/,
# injection detection and false-positive rates on the public prompt-injection
# set (read from ../shared/data at run time) and on our retail benign set.
.PHONY: eval-guard
eval-guard: $(BUILD)/bin/guardrail $(INJECTION_MODEL_FILE)
	$(Q)python3 tests/eval/guard/score.py tests/eval/guard/redaction.tsv $(BUILD)/bin/guardrail
	$(Q)GUARD_INJECTION_MODEL=$(INJECTION_MODEL_FILE) python3 tests/eval/guard/injection.py $(BUILD)/bin/guardrail \
		tests/eval/guard/benign_retail.txt ../shared/data/prompt-injections/prompt_injections.jsonl
