/* Guardrail redaction of a draft, whole and as a stream cut at arbitrary
 * places (the first byte picks the cut size): never a crash, a leak or a
 * held-back tail beyond its bound. */
#include "fuzz.h"
#include "services/guardrail/redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned step = 1u + data[0] % 37;
	const char *in = (const char *)data + 1;
	size_t len = size - 1;

	struct redact_counts whole;
	memset(&whole, 0, sizeof(whole));
	char *out = redact_buf(in, len, REDACT_ALL, &whole);
	FUZZ_CHECK(out != NULL);
	/* The redacted text goes through again (placeholders are input too). */
	struct redact_counts again;
	memset(&again, 0, sizeof(again));
	char *twice = redact_text(out, REDACT_ALL, &again);
	free(twice);
	free(out);

	struct redact_stream rs;
	redact_stream_init(&rs, REDACT_ALL);
	for (size_t off = 0; off < len || off == 0; off += step) {
		size_t n = len - off < step ? len - off : step;
		int final = off + n >= len;
		char *piece = redact_stream_feed(&rs, in + off, n, final);
		free(piece);
		FUZZ_CHECK(final || redact_stream_held(&rs) <= REDACT_HOLD_MAX + step + 8);
		if (final)
			break;
	}
	redact_stream_release(&rs);
	return 0;
}
