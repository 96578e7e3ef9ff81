# Retail assistant: one non-recursive Makefile. Each service adds its sources
# in services/<name>/module.mk; `make V=1` shows the commands, `make SAN=1`
# builds with ASan + UBSan (into build-san/).

SERVICES := gateway intent-classifier orchestrator retriever llm-caller guardrail formatter ingestion handoff

ifeq ($(SAN),1)
BUILD ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD ?= build
SANFLAGS :=
endif

CC ?= cc
PKGS := rdkafka libmicrohttpd libprotobuf-c hiredis libpq jansson libcurl libcrypto zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wpedantic -Wstrict-prototypes -Wvla -Wwrite-strings -Werror
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SANFLAGS) -MMD -MP \
	-I. -Icommon -I$(BUILD)/gen $(PKG_CFLAGS)
# Generated code is not ours to keep pedantic.
GEN_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall $(CFLAGS) $(SANFLAGS) -MMD -MP -I$(BUILD)/gen $(PKG_CFLAGS)
LDFLAGS_ALL := $(SANFLAGS) $(LDFLAGS)
LDLIBS := $(PKG_LIBS) -lpthread -lm

ifeq ($(V),1)
Q :=
else
Q := @
endif
say = $(if $(Q),@printf '  %-7s %s\n' $(1) $(2))

# --- generated protobuf code -------------------------------------------------
PROTOS := $(wildcard proto/*.proto)
PROTO_C := $(patsubst proto/%.proto,$(BUILD)/gen/proto/%.pb-c.c,$(PROTOS))
PROTO_H := $(PROTO_C:.c=.h)
.SECONDARY: $(PROTO_C) $(PROTO_H)

$(BUILD)/gen/proto/%.pb-c.c $(BUILD)/gen/proto/%.pb-c.h: proto/%.proto
	$(call say,PROTOC,$<)
	@mkdir -p $(BUILD)/gen
	$(Q)protoc-c --c_out=$(BUILD)/gen $<

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(GEN_CFLAGS) -c -o $@ $<

# --- libcommon ---------------------------------------------------------------
COMMON_SRCS := $(wildcard common/*.c)
COMMON_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(COMMON_SRCS)) \
	$(patsubst $(BUILD)/gen/%.c,$(BUILD)/obj/gen/%.o,$(PROTO_C))
LIBCOMMON := $(BUILD)/lib/libcommon.a

$(LIBCOMMON): $(COMMON_OBJS)
	$(call say,AR,$@)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/obj/%.o: %.c | $(PROTO_H)
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# --- services and tools ------------------------------------------------------
# A module.mk may add programs (EXTRA_BINS += name, with name_MAIN/_SRCS/_LIBS)
# and files that `make all` must also produce (EXTRA_TARGETS += path).
BINS :=
EXTRA_BINS :=
EXTRA_TARGETS :=
include $(foreach s,$(SERVICES),services/$(s)/module.mk)
include tools/chatctl/module.mk

objs = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

# $(1): binary name; objects from $(1)_SRCS (logic) and $(1)_MAIN.
define BIN_template
BINS += $(BUILD)/bin/$(1)
$(BUILD)/bin/$(1): $(call objs,$($(1)_MAIN) $($(1)_SRCS)) $(LIBCOMMON)
	$$(call say,LD,$$@)
	@mkdir -p $$(dir $$@)
	$$(Q)$$(CC) $$(LDFLAGS_ALL) -o $$@ $$(filter %.o,$$^) $(LIBCOMMON) $$($(1)_LIBS) $$(LDLIBS)
endef
$(foreach b,$(SERVICES) chatctl $(EXTRA_BINS),$(eval $(call BIN_template,$(b))))

# --- tests -------------------------------------------------------------------
include tests/module.mk
include tests/integration/module.mk
include tests/ops.mk
include tests/e2e/module.mk

.PHONY: all clean run stop status test test-unit test-integration check-compose bench
.DEFAULT_GOAL := all
all: $(BINS) $(EXTRA_TARGETS)

deps:
	$(Q)bash deploy/install-deps.sh

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bash deploy/stack.sh up

stop:
	$(Q)bash deploy/stack.sh down

status:
	$(Q)bash deploy/stack.sh status

test: deps
	$(Q)bash tests/run.sh

bench: deps
	$(Q)bash tests/bench.sh

clean:
	rm -rf build build-san

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
