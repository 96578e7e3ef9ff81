/* Entity extraction from a customer message (intent-classifier): entities
 * lie inside the text, sorted and never overlapping. */
#include "fuzz.h"
#include "services/intent-classifier/entities.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ent_stores stores;
	static char buf[512];
	static int init;
	if (!init) {
		ent_stores_parse(&stores, "Mid Valley,Sunway Pyramid,KLCC,Gurney Plaza,IOI City Mall", buf, sizeof(buf));
		init = 1;
	}
	char *text = fuzz_cstr(data, size);
	size_t len = strlen(text);
	struct ent out[ENT_MAX];
	int n = ent_extract(text, &stores, out, ENT_MAX);
	FUZZ_CHECK(n >= 0 && n <= ENT_MAX);
	for (int i = 0; i < n; i++) {
		FUZZ_CHECK(out[i].type != NULL);
		FUZZ_CHECK(out[i].start >= 0 && out[i].start < out[i].end && (size_t)out[i].end <= len);
		FUZZ_CHECK(i == 0 || out[i - 1].end <= out[i].start);
		FUZZ_CHECK(memchr(out[i].value, '\0', ENT_MAX_VALUE) != NULL);
	}
	free(text);
	return 0;
}
