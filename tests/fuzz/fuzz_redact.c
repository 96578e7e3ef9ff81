/* Guardrail redaction of a draft, whole and as a stream cut at arbitrary
 * places (the first byte picks the cut size): never a crash, a leak or a
 * held-back tail beyond its bound; and with the text's own contact details
 * kept, no e-mail or phone number replaced but every NRIC and card. */
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

	/* Kept when the text itself states them: no e-mail or phone number is
	 * replaced, and NRIC and card numbers go as before. */
	char *cstr = fuzz_cstr((const uint8_t *)in, len);
	size_t clen = strlen(cstr);
	struct redact_counts strict, kept;
	memset(&strict, 0, sizeof(strict));
	memset(&kept, 0, sizeof(kept));
	const char *keep[] = { cstr };
	char *a = redact_buf(cstr, clen, REDACT_ALL, &strict);
	char *b = redact_text_keep(cstr, REDACT_ALL, keep, 1, &kept);
	FUZZ_CHECK(kept.n[REDACT_EMAIL] == 0 && kept.n[REDACT_PHONE] == 0);
	FUZZ_CHECK(kept.n[REDACT_NRIC] == strict.n[REDACT_NRIC] && kept.n[REDACT_CARD] == strict.n[REDACT_CARD]);
	free(a);
	free(b);
	free(cstr);

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
