/* turn_decode: every stage's entry point for a Turn off Kafka. What decodes
 * must encode and decode again (unless it kept unknown fields: see
 * FUZZ_PROTO in fuzz.h). */
#include "fuzz.h"
#include "turn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char errstr[256];
	Chat__Turn *t = turn_decode(data, size, errstr, sizeof(errstr));
	if (!t) {
		FUZZ_CHECK(errstr[0] != '\0');
		return 0;
	}
	size_t n = 0;
	void *buf = turn_encode(t, &n);
	FUZZ_CHECK(buf != NULL);
	if (!fuzz_proto_unknown(&t->base)) {
		Chat__Turn *again = turn_decode(buf, n, errstr, sizeof(errstr));
		FUZZ_CHECK(again != NULL);
		turn_free(again);
	}
	free(buf);
	turn_free(t);
	return 0;
}
