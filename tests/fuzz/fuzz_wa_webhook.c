/* WhatsApp webhook notifications: wa_parse_webhook on any body. What it
 * returns is bounded and usable: ids within their sizes and non-empty,
 * text present exactly for the kinds that carry it, valid UTF-8 and at most
 * TURN_MAX_TEXT bytes. */
#include "fuzz.h"
#include "services/gateway/whatsapp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wa_batch b;
	memset(&b, 0, sizeof(b));
	char err[256] = "";
	int rc = wa_parse_webhook((const char *)data, size, &b, err, sizeof(err));
	if (rc < 0) {
		FUZZ_CHECK(err[0] != '\0');
		wa_batch_release(&b);
		return 0;
	}
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(b.n <= WA_MAX_MESSAGES);
	for (size_t i = 0; i < b.n; i++) {
		const struct wa_message *m = &b.msgs[i];
		FUZZ_CHECK(m->wamid[0] && strlen(m->wamid) <= WA_MAX_ID);
		FUZZ_CHECK(m->from[0] && strlen(m->from) <= WA_MAX_PHONE);
		FUZZ_CHECK(m->phone_number_id[0] && strlen(m->phone_number_id) <= WA_MAX_PHONE);
		FUZZ_CHECK(memchr(m->type, '\0', sizeof(m->type)) != NULL);
		FUZZ_CHECK((m->kind == WA_UNSUPPORTED) == (m->text == NULL));
		if (m->text) {
			size_t n = strlen(m->text);
			FUZZ_CHECK(n <= TURN_MAX_TEXT);
			FUZZ_CHECK(fuzz_utf8_valid(m->text, n));
		}
		FUZZ_CHECK(m->timestamp >= 0);
	}
	wa_batch_release(&b);
	return 0;
}
