guardrail_MAIN := services/guardrail/main.c
guardrail_SRCS := services/guardrail/guardrail.c services/guardrail/redact.c

# `make eval-guard`: redaction precision and recall on tests/eval/guard/.
.PHONY: eval-guard
eval-guard: $(BUILD)/bin/guardrail
	$(Q)python3 tests/eval/guard/score.py tests/eval/guard/redaction.tsv $(BUILD)/bin/guardrail
