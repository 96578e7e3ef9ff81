# intent-classifier: the stage service, the trainer (intent-train) and the
# model file `make all` builds from the project's labeled data.
intent-classifier_MAIN := services/intent-classifier/main.c
intent-classifier_SRCS := services/intent-classifier/intent-classifier.c \
	services/intent-classifier/model.c services/intent-classifier/entities.c

EXTRA_BINS += intent-train
intent-train_MAIN := services/intent-classifier/train.c
intent-train_SRCS := services/intent-classifier/model.c

INTENT_DATA := services/intent-classifier/data/intents.tsv
INTENT_MODEL_FILE := $(BUILD)/models/intent.model
EXTRA_TARGETS += $(INTENT_MODEL_FILE)

$(INTENT_MODEL_FILE): $(BUILD)/bin/intent-train $(INTENT_DATA)
	$(call say,TRAIN,$@)
	@mkdir -p $(dir $@)
	$(Q)$(BUILD)/bin/intent-train --quiet --in $(INTENT_DATA) --out $@ --seed 1

# Accuracy and macro-F1 on a held-out split of our data, and on the public
# Bitext split side by side with fastText (see services/intent-classifier/README.md).
.PHONY: eval-intents
eval-intents: $(BUILD)/bin/intent-train $(BUILD)/bin/intent-classifier
	$(Q)BUILD=$(BUILD) bash tests/eval/intents.sh

# Classification time per message: make bench-intents (no stack needed).
EXTRA_BINS += intent-bench
intent-bench_MAIN := services/intent-classifier/bench.c
intent-bench_SRCS := services/intent-classifier/intent-classifier.c services/intent-classifier/model.c \
	services/intent-classifier/entities.c
.PHONY: bench-intents
bench-intents: $(BUILD)/bin/intent-bench $(INTENT_MODEL_FILE)
	$(Q)$(BUILD)/bin/intent-bench $${BITEXT:-../shared/data/bitext/customer_support_intents.tsv} $(INTENT_MODEL_FILE)
