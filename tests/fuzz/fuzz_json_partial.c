/* llm_json_partial_string, which streams the answer text out of tool-call
 * arguments that are still arriving. What it decodes from a prefix of the
 * arguments is a prefix of what it decodes from all of them (text shown to
 * the customer is never taken back); on a complete JSON object it agrees
 * with jansson on the "text" member. */
#include <jansson.h>

#include "fuzz.h"
#include "services/llm-caller/provider.h"

static size_t count(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle), c = 0;
	for (size_t i = 0; i + k <= n; i++)
		c += !memcmp(s + i, needle, k);
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char *full = llm_json_partial_string(s, size, "text");
	size_t fl = full ? strlen(full) : 0;
	FUZZ_CHECK(!full || fl <= size);
	size_t step = size <= 512 ? 1 : size / 256;
	for (size_t k = 0; k < size; k += step) {
		char *part = llm_json_partial_string(s, k, "text");
		if (part) {
			FUZZ_CHECK(full != NULL);
			size_t pl = strlen(part);
			FUZZ_CHECK(pl <= fl && !memcmp(part, full, pl));
			free(part);
		}
	}
	json_error_t jerr;
	json_t *j = json_loadb(s, size, 0, &jerr);
	const char *want = json_string_value(json_object_get(j, "text"));
	if (full && want && count(s, size, "\"text\"") == 1 && !count(s, size, "\\u") &&
	    strlen(want) == json_string_length(json_object_get(j, "text")))
		FUZZ_CHECK(!strcmp(full, want));
	json_decref(j);
	free(full);
	return 0;
}
