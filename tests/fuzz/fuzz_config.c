/* Configuration from the environment (common/config.c): the input, cut at
 * NUL bytes, becomes the values of an integer, a boolean and a string
 * variable. A value is accepted within bounds or refused with a message. */
#include <stdlib.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	const char *vals[3] = { s, "", "" };
	size_t at = strlen(s);
	for (int i = 1; i < 3 && at < size; i++) {
		vals[i] = s + at + 1;
		at += 1 + strlen(vals[i]);
	}
	setenv("FUZZ_INT", vals[0], 1);
	setenv("FUZZ_BOOL", vals[1], 1);
	setenv("FUZZ_STR", vals[2], 1);
	long i_val = 0;
	int b_val = 0;
	const char *s_val = NULL;
	const struct cfg_entry tab[] = {
		{ "FUZZ_INT", CFG_INT, "5", -1000, 100000, "an integer", &i_val },
		{ "FUZZ_BOOL", CFG_BOOL, "0", 0, 0, "a boolean", &b_val },
		{ "FUZZ_STR", CFG_STR, "x", 0, 0, "a string", &s_val },
	};
	static char prog[] = "fuzz";
	char *argv[] = { prog, NULL };
	char errstr[256] = "";
	int rc = cfg_load(tab, 3, "fuzz", "fuzz target", 1, argv, errstr, sizeof(errstr));
	if (rc == 0) {
		FUZZ_CHECK(i_val >= -1000 && i_val <= 100000);
		FUZZ_CHECK(b_val == 0 || b_val == 1);
		FUZZ_CHECK(s_val != NULL);
	} else {
		FUZZ_CHECK(rc == -1 && errstr[0] != '\0');
	}
	free(s);
	return 0;
}
