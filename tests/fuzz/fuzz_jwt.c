/* HS256 tokens (services/gateway/jwt.c). The input is a token, verified
 * with a fixed key: a token accepted carries the key's own MAC over its
 * first two parts, a header saying HS256, an object of claims and an exp
 * not in the past; the same token fails under another key. The input as
 * JSON claims (exp set to the future, nbf and iat dropped) signs and
 * verifies back to the same claims; base64url round-trips any bytes whose
 * encoding fits in a token (GW_JWT_MAX_LEN), and refuses longer. */
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fuzz.h"
#include "services/gateway/jwt.h"

static const char KEY[] = "0123456789abcdef0123456789abcdef-fuzz";
static const char OTHER[] = "fedcba9876543210fedcba9876543210-fuzz";
#define NOW 1800000000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *tok = fuzz_cstr(data, size);
	json_t *claims = NULL;
	char err[256] = "";
	int rc = gw_jwt_verify(KEY, strlen(KEY), tok, NOW, 5, &claims, err, sizeof(err));
	if (rc != 0) {
		FUZZ_CHECK(rc == -1 && err[0]);
	} else {
		FUZZ_CHECK(json_is_object(claims));
		const char *d1 = strchr(tok, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
		FUZZ_CHECK(d1 && d2 && !strchr(d2 + 1, '.'));
		unsigned char mac[EVP_MAX_MD_SIZE];
		unsigned int ml = 0;
		FUZZ_CHECK(HMAC(EVP_sha256(), KEY, (int)strlen(KEY), (const unsigned char *)tok, (size_t)(d2 - tok), mac,
				&ml));
		size_t sl = 0;
		unsigned char *sig = gw_b64url_decode(d2 + 1, strlen(d2 + 1), &sl);
		FUZZ_CHECK(sig && sl == ml && !memcmp(sig, mac, ml));
		free(sig);
		size_t hl = 0;
		unsigned char *hdr = gw_b64url_decode(tok, (size_t)(d1 - tok), &hl);
		json_t *h = hdr ? json_loadb((const char *)hdr, hl, 0, NULL) : NULL;
		FUZZ_CHECK(!strcmp(json_string_value(json_object_get(h, "alg")), "HS256"));
		json_decref(h);
		free(hdr);
		json_t *exp = json_object_get(claims, "exp");
		FUZZ_CHECK(json_is_number(exp) && json_number_value(exp) >= NOW - 5);
		json_t *c2 = NULL;
		FUZZ_CHECK(gw_jwt_verify(OTHER, strlen(OTHER), tok, NOW, 5, &c2, err, sizeof(err)) == -1 && !c2);
		json_decref(claims);
	}

	/* The input as claims: sign and verify back. */
	json_t *in = json_loadb((const char *)data, size, 0, NULL);
	if (json_is_object(in)) {
		json_object_set_new(in, "exp", json_integer(NOW + 600));
		json_object_del(in, "nbf");
		json_object_del(in, "iat");
		char *t = gw_jwt_sign(KEY, strlen(KEY), in);
		FUZZ_CHECK(t != NULL);
		json_t *back = NULL;
		FUZZ_CHECK(gw_jwt_verify(KEY, strlen(KEY), t, NOW, 0, &back, err, sizeof(err)) == 0 ||
			   strlen(t) > GW_JWT_MAX_LEN);
		if (back)
			FUZZ_CHECK(json_equal(back, in));
		json_decref(back);
		free(t);
	}
	json_decref(in);

	char *e = gw_b64url_encode(data, size);
	FUZZ_CHECK(e && !strchr(e, '=') && !strchr(e, '+') && !strchr(e, '/'));
	size_t dl = 0, el = strlen(e);
	unsigned char *d = gw_b64url_decode(e, el, &dl);
	if (el > GW_JWT_MAX_LEN)
		FUZZ_CHECK(!d); /* longer than any token: refused before decoding */
	else
		FUZZ_CHECK(d && dl == size && (!size || !memcmp(d, data, size)));
	free(d);
	free(e);
	free(tok);
	return 0;
}
