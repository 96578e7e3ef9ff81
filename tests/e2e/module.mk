# OpenAPI lint and the widget's end-to-end test (tools from npm, pinned in
# tests/e2e/package-lock.json and installed with `npm ci` into
# tests/e2e/node_modules, which git ignores).
#   make lint-openapi   lint docs/openapi.yaml (Redocly, recommended-strict)
#   make test-e2e       the gateway's answers against docs/openapi.yaml, and the
#                       widget in headless Chromium, against the running stack

E2E_DIR := tests/e2e
E2E_STAMP := $(E2E_DIR)/node_modules/.package-lock.json
# Redocly asks neither for telemetry nor for updates in CI.
E2E_ENV := REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true

$(E2E_STAMP): $(E2E_DIR)/package.json $(E2E_DIR)/package-lock.json
	$(call say,NPM,$(E2E_DIR))
	$(Q)cd $(E2E_DIR) && npm ci --no-audit --no-fund --loglevel=error

.PHONY: e2e-deps lint-openapi test-e2e
e2e-deps: $(E2E_STAMP)

lint-openapi: $(E2E_STAMP)
	$(Q)cd $(E2E_DIR) && $(E2E_ENV) ./node_modules/.bin/redocly lint --format=stylish --config redocly.yaml ../../docs/openapi.yaml

# openapi.test.mjs: the gateway's answers against docs/openapi.yaml;
# widget.test.mjs: the widget in Chromium. Both run, then the target fails if
# either did.
test-e2e: $(E2E_STAMP)
	$(Q)bash -c 'source deploy/env.sh && cd $(E2E_DIR) && rc=0; node openapi.test.mjs || rc=1; node widget.test.mjs || rc=1; exit $$rc'
