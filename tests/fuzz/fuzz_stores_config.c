/* INTENT_STORES, the comma-separated store list of the intent-classifier's
 * configuration. */
#include "fuzz.h"
#include "services/intent-classifier/entities.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *list = fuzz_cstr(data, size);
	struct ent_stores stores;
	char buf[256];
	memset(&stores, 0, sizeof(stores));
	int n = ent_stores_parse(&stores, list, buf, sizeof(buf));
	FUZZ_CHECK(n >= -1 && n <= ENT_MAX_STORES);
	for (int i = 0; i < n; i++) {
		FUZZ_CHECK(stores.name[i] >= buf && stores.name[i] < buf + sizeof(buf));
		FUZZ_CHECK(stores.name[i][0] != '\0');
	}
	free(list);
	return 0;
}
