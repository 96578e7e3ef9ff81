# Unit tests (Criterion). One binary for common/ and one per service that has
# tests under tests/unit/services/<name>/; each links the service's logic
# objects (<name>_SRCS, never main.c), libcommon and the usual libraries.
#   make test-unit          build and run every binary
#   make SAN=1 test-unit    the same under ASan + UBSan (into build-san/)

UNIT_TESTS :=

# $(1): binary suffix; $(2): test sources; $(3): objects under test;
# $(4): extra libraries.
define UNIT_template
UNIT_TESTS += $(BUILD)/tests/unit-$(1)
$(BUILD)/tests/unit-$(1): $(call objs,$(2)) $(3) $(LIBCOMMON)
	$$(call say,LD,$$@)
	@mkdir -p $$(dir $$@)
	$$(Q)$$(CC) $$(LDFLAGS_ALL) -o $$@ $$(filter %.o,$$^) $(LIBCOMMON) $(4) $$(LDLIBS) -lcriterion
endef

$(eval $(call UNIT_template,common,$(wildcard tests/unit/common/*.c),,))
$(foreach s,$(SERVICES),$(if $(wildcard tests/unit/services/$(s)/*.c),$(eval $(call UNIT_template,$(s),\
	$(wildcard tests/unit/services/$(s)/*.c),$(call objs,$($(s)_SRCS)),$($(s)_LIBS)))))

# Criterion's options after the binary, e.g. make test-unit UNIT_ARGS=--verbose
UNIT_ARGS ?=

# Every binary runs (so every summary line shows) and the target fails when
# any of them failed.
test-unit: $(UNIT_TESTS)
	$(Q)rc=0; for t in $^; do echo "== $$t"; $$t --jobs 2 $(UNIT_ARGS) || rc=1; done; exit $$rc
