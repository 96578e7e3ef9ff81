/* X-Hub-Signature-256 checks (wa_verify_signature). The input is
 * secret \0 header \0 body. The fuzzed header passes only when it is the
 * body's real HMAC (in either case); the real HMAC always passes, upper-
 * or lower-case; one flipped digit or a missing secret never does. */
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fuzz.h"
#include "services/gateway/whatsapp.h"

static void sign(const char *secret, const void *body, size_t len, int upper, char out[7 + 64 + 1])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	FUZZ_CHECK(HMAC(EVP_sha256(), secret, (int)strlen(secret), body, len, mac, &n) && n == 32);
	memcpy(out, "sha256=", 7);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, upper ? "%02X" : "%02x", mac[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_cstr(data, size);
	const char *secret = in;
	const char *header = memchr(in, '\0', size) ? in + strlen(in) + 1 : in + size;
	const char *end = in + size;
	if (header > end)
		header = end;
	const char *body = header + strlen(header);
	body = body < end ? body + 1 : end;
	size_t blen = (size_t)(end - body);

	int rc = wa_verify_signature(secret, body, blen, header);
	FUZZ_CHECK(rc == 0 || rc == -1 || rc == -2);
	if (*secret) {
		char good[7 + 64 + 1];
		sign(secret, body, blen, 0, good);
		if (rc == 0)
			FUZZ_CHECK(strlen(header) == 71 && !strncmp(header, "sha256=", 7) &&
				   !strcasecmp(header + 7, good + 7));
		FUZZ_CHECK(wa_verify_signature(secret, body, blen, good) == 0);
		FUZZ_CHECK(wa_verify_signature("", body, blen, good) == -2);
		char upper[7 + 64 + 1];
		sign(secret, body, blen, 1, upper);
		FUZZ_CHECK(wa_verify_signature(secret, body, blen, upper) == 0);
		size_t at = 7 + (blen ? (unsigned char)body[0] % 64 : 0);
		good[at] = good[at] == '0' ? '1' : '0';
		FUZZ_CHECK(wa_verify_signature(secret, body, blen, good) == -2);
		good[7] = 'g';
		FUZZ_CHECK(wa_verify_signature(secret, body, blen, good) == -1);
		FUZZ_CHECK(wa_verify_signature(secret, body, blen, NULL) == -1);
	} else {
		FUZZ_CHECK(rc != 0);
	}
	free(in);
	return 0;
}
