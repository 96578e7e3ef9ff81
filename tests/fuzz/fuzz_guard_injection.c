/* Prompt-injection scoring without a model (guard_injection_rules and
 * guard_injection_score with model NULL) on any bytes: a score in [0,1],
 * the same for the same text, and the rules-only combined score equal to
 * the rule score. */
#include <math.h>

#include "fuzz.h"
#include "services/guardrail/injection.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	size_t len = strlen(text);
	float r = guard_injection_rules(text, len);
	FUZZ_CHECK(!isnan(r) && r >= 0.0f && r <= 1.0f);
	FUZZ_CHECK(guard_injection_rules(text, len) == r);
	float s = guard_injection_score(NULL, text, len);
	FUZZ_CHECK(!isnan(s) && s >= 0.0f && s <= 1.0f);
	FUZZ_CHECK(fabsf(s - r) < 1e-6f); /* 1 - (1 - r) * 1 */
	/* The raw bytes too (the rules take any bytes, NULs included). */
	float raw = guard_injection_rules((const char *)data, size);
	FUZZ_CHECK(!isnan(raw) && raw >= 0.0f && raw <= 1.0f);
	free(text);
	return 0;
}
