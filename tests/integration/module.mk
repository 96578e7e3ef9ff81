# Integration tests: run against the real local stack (make run).
INTEGRATION_SRCS := $(wildcard tests/integration/*.c) tools/chatctl/client.c tools/chatctl/agent.c \
	tools/chatctl/wsclient.c services/gateway/jwt.c
INTEGRATION_BIN := $(BUILD)/tests/integration

$(INTEGRATION_BIN): $(call objs,$(INTEGRATION_SRCS)) $(LIBCOMMON)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $(filter %.o,$^) $(LIBCOMMON) -lcriterion -lcurl -lcrypto $(LDLIBS)

.PHONY: test-integration
test-integration: $(INTEGRATION_BIN)
	$(Q)bash -c 'source deploy/env.sh && REPO_DIR="$$PWD" $(INTEGRATION_BIN) --jobs 1'

