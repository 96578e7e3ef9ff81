/* util_parse_long: every number read from configuration, query strings and
 * headers. An accepted value is within bounds and prints back to a string
 * that parses to the same value. */
#include <limits.h>

#include "fuzz.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	long v = 0;
	if (util_parse_long(s, -1000000, 1000000, &v) == 0) {
		FUZZ_CHECK(v >= -1000000 && v <= 1000000);
		char back[32];
		snprintf(back, sizeof(back), "%ld", v);
		long w = 0;
		FUZZ_CHECK(util_parse_long(back, -1000000, 1000000, &w) == 0 && w == v);
	}
	if (util_parse_long(s, LONG_MIN, LONG_MAX, &v) == 0) {
		char back[32];
		snprintf(back, sizeof(back), "%ld", v);
		long w = 0;
		FUZZ_CHECK(util_parse_long(back, LONG_MIN, LONG_MAX, &w) == 0 && w == v);
	}
	free(s);
	return 0;
}
