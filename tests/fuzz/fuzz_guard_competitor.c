/* Competitor removal (guard_comp_find, guard_comp_remove). The input's
 * first line gives up to four names (its words, letters and digits only;
 * the third is for another tenant), plus the fixed name 宜家; the rest is
 * the answer. Every hit guard_comp_find reports is the name at that
 * offset; the text that comes out names no competitor of the tenant, is
 * shorter when a sentence was removed, and is the input itself (less
 * trailing blanks) when none was. */
#include <ctype.h>

#include "fuzz.h"
#include "services/guardrail/competitor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_cstr(data, size);
	char *nl = strchr(in, '\n');
	const char *text = nl ? nl + 1 : "";
	if (nl)
		*nl = '\0';
	struct guard_comp c;
	memset(&c, 0, sizeof(c));
	char *tok = in;
	while (c.n < 4 && *tok) {
		while (*tok && !isalnum((unsigned char)*tok))
			tok++;
		size_t k = 0;
		while (isalnum((unsigned char)tok[k]))
			k++;
		if (!k)
			break;
		c.tenant[c.n] = strdup(c.n == 2 ? "other" : c.n == 1 ? "*" : "demo");
		c.name[c.n] = strndup(tok, k);
		c.n++;
		tok += k;
	}
	c.tenant[c.n] = strdup("demo");
	c.name[c.n] = strdup("\xE5\xAE\x9C\xE5\xAE\xB6"); /* 宜家 */
	c.n++;

	size_t len = strlen(text);
	for (size_t i = 0; i < c.n; i++) {
		size_t at = 0, nlen = strlen(c.name[i]);
		if (guard_comp_find(text, len, c.name[i], &at)) {
			FUZZ_CHECK(at + nlen <= len);
			FUZZ_CHECK(!strncasecmp(text + at, c.name[i], nlen));
		}
	}

	int removed = -1;
	char *out = guard_comp_remove(&c, "demo", text, &removed);
	FUZZ_CHECK(out != NULL && removed >= 0);
	size_t ol = strlen(out);
	FUZZ_CHECK(ol <= len);
	for (size_t i = 0; i < c.n; i++) {
		size_t at;
		if (strcmp(c.tenant[i], "other"))
			FUZZ_CHECK(!guard_comp_find(out, ol, c.name[i], &at));
	}
	if (removed == 0) {
		size_t tl = len;
		while (tl && (text[tl - 1] == ' ' || text[tl - 1] == '\n'))
			tl--;
		FUZZ_CHECK(ol == tl && !memcmp(out, text, ol));
	} else {
		FUZZ_CHECK(ol < len);
	}
	free(out);
	guard_comp_release(&c);
	free(in);
	return 0;
}
