# Operations checks: the Helm chart, scaling, chaos, fuzzing, sanitized
# integration tests, soak. Scripts live in tests/ (see docs/notes/ops.md).

.PHONY: helm-check test-scale chaos chaos-short fuzz fuzz-ci test-san-integration soak

helm-check:
	$(Q)bash tests/helm-check.sh
