# Operations checks: the Helm chart, scaling, chaos, fuzzing, sanitized
# integration tests, soak. Scripts live in tests/ (see README.md, "Development").

.PHONY: helm-check test-llm-real test-scale chaos chaos-short fuzz fuzz-ci test-san-integration soak

helm-check:
	$(Q)bash tests/helm-check.sh

# Load driver of the chaos test.
CHAOS_LOAD := $(BUILD)/tests/chaos-load
$(CHAOS_LOAD): $(call objs,tests/chaos/chaos_load.c tools/chatctl/client.c) $(LIBCOMMON)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $(filter %.o,$^) $(LIBCOMMON) -lcurl $(LDLIBS)

chaos: $(CHAOS_LOAD)
	$(Q)bash tests/chaos/chaos.sh

chaos-short: $(CHAOS_LOAD)
	$(Q)bash tests/chaos/chaos.sh --short

include tests/fuzz/module.mk

# make fuzz FUZZ_SECONDS=600 (each target; default 600), make fuzz-ci (10 s each)
FUZZ_SECONDS ?= 600
fuzz:
	$(Q)bash tests/fuzz/fuzz.sh $(FUZZ_SECONDS)

fuzz-ci:
	$(Q)bash tests/fuzz/fuzz.sh 10

test-san-integration:
	$(Q)bash tests/san-integration.sh

# make soak SOAK_MINUTES=30 [SOAK_RATE=N]: see tests/bench.sh
soak: deps
	$(Q)bash tests/bench.sh --soak

# The scaling test alone (it is also part of make test): two replicas of one
# stage (IT_SCALE_SERVICE, default intent-classifier) against the running stack.
test-scale: $(INTEGRATION_BIN)
	$(Q)bash -c 'source deploy/env.sh && REPO_DIR="$$PWD" $(INTEGRATION_BIN) --jobs 1 --filter "scale/*"'

# The llm-caller against a real local model server (opt-in, not part of make
# test): builds llama-cpp-python into .run/llm-venv on first use (minutes).
test-llm-real: all
	$(Q)bash tests/llm-real.sh
