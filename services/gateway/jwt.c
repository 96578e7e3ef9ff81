/* jwt: HS256 tokens on OpenSSL. */
#include "jwt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int gw_jwt_key_check(const char *key, size_t keylen, char *errstr, size_t errlen)
{
	if (!key || keylen < GW_JWT_MIN_KEY) {
		snprintf(errstr, errlen, "the key is %zu bytes; HS256 needs at least %d (256 bits)", key ? keylen : 0,
			 GW_JWT_MIN_KEY);
		return -1;
	}
	return 0;
}

char *gw_b64url_encode(const unsigned char *in, size_t len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);
	int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (char *p = out; *p; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	}
	return out;
}

unsigned char *gw_b64url_decode(const char *in, size_t len, size_t *outlen)
{
	if (len % 4 == 1 || len > GW_JWT_MAX_LEN)
		return NULL;
	size_t pad = (4 - len % 4) % 4;
	char *std = xmalloc(len + pad + 1);
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
			free(std);
			return NULL;
		}
		std[i] = c;
	}
	memset(std + len, '=', pad);
	std[len + pad] = '\0';
	unsigned char *out = xmalloc((len + pad) / 4 * 3 + 1);
	int n = EVP_DecodeBlock(out, (unsigned char *)std, (int)(len + pad));
	free(std);
	if (n < 0 || (size_t)n < pad) {
		free(out);
		return NULL;
	}
	*outlen = (size_t)n - pad; /* EVP_DecodeBlock counts the padding as zero bytes */
	out[*outlen] = '\0';
	return out;
}

static char *b64url_json(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	char *out = gw_b64url_encode((const unsigned char *)s, strlen(s));
	free(s);
	return out;
}

static void hs256(const char *key, size_t keylen, const char *data, size_t len, unsigned char mac[32])
{
	unsigned int maclen = 32;
	HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)data, len, mac, &maclen);
}

char *gw_jwt_sign(const char *key, size_t keylen, const json_t *claims)
{
	char err[128];
	if (gw_jwt_key_check(key, keylen, err, sizeof(err)))
		return NULL;
	json_t *hdr = json_pack("{s:s,s:s}", "alg", "HS256", "typ", "JWT");
	char *h = b64url_json(hdr), *p = b64url_json(claims);
	json_decref(hdr);
	char *signing = xasprintf("%s.%s", h, p);
	free(h);
	free(p);
	unsigned char mac[32];
	hs256(key, keylen, signing, strlen(signing), mac);
	char *sig = gw_b64url_encode(mac, sizeof(mac));
	char *tok = xasprintf("%s.%s", signing, sig);
	free(signing);
	free(sig);
	return tok;
}

/* The decoded JSON object of one base64url segment, or NULL. */
static json_t *segment_json(const char *seg, size_t len)
{
	size_t n;
	unsigned char *raw = gw_b64url_decode(seg, len, &n);
	if (!raw)
		return NULL;
	json_t *j = json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, NULL);
	free(raw);
	if (j && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* A NumericDate claim: -1 absent, -2 present but not a number, else 0. */
static int numeric_claim(const json_t *claims, const char *name, int64_t *out)
{
	const json_t *v = json_object_get(claims, name);
	if (!v)
		return -1;
	if (json_is_integer(v))
		*out = (int64_t)json_integer_value(v);
	else if (json_is_real(v))
		*out = (int64_t)json_real_value(v);
	else
		return -2;
	return 0;
}

int gw_jwt_verify(const char *key, size_t keylen, const char *token, int64_t now_s, int leeway_s, json_t **claims,
		  char *errstr, size_t errlen)
{
	*claims = NULL;
	if (leeway_s < 0)
		leeway_s = 0;
	if (leeway_s > GW_JWT_MAX_LEEWAY)
		leeway_s = GW_JWT_MAX_LEEWAY;
	if (gw_jwt_key_check(key, keylen, errstr, errlen))
		return -1;
	if (!token || !*token) {
		snprintf(errstr, errlen, "token is missing");
		return -1;
	}
	size_t len = strlen(token);
	if (len > GW_JWT_MAX_LEN) {
		snprintf(errstr, errlen, "token is longer than %d bytes", GW_JWT_MAX_LEN);
		return -1;
	}
	const char *d1 = strchr(token, '.');
	const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (!d1 || !d2 || strchr(d2 + 1, '.')) {
		snprintf(errstr, errlen, "token is malformed: a JWT has three dot-separated parts");
		return -1;
	}
	json_t *hdr = segment_json(token, (size_t)(d1 - token));
	if (!hdr) {
		snprintf(errstr, errlen, "token header is not base64url-encoded JSON");
		return -1;
	}
	/* The algorithm is ours, not the header's: anything but HS256 (none,
	 * HS512, RS256 with our secret as a "public key", ...) is refused. */
	const char *alg = json_string_value(json_object_get(hdr, "alg"));
	int alg_ok = alg && !strcmp(alg, "HS256");
	int crit = json_object_get(hdr, "crit") != NULL;
	json_decref(hdr);
	if (!alg_ok) {
		snprintf(errstr, errlen, "token algorithm must be HS256");
		return -1;
	}
	if (crit) {
		snprintf(errstr, errlen, "token has critical header parameters this server does not understand");
		return -1;
	}
	size_t siglen;
	unsigned char *sig = gw_b64url_decode(d2 + 1, len - (size_t)(d2 + 1 - token), &siglen);
	unsigned char mac[32];
	hs256(key, keylen, token, (size_t)(d2 - token), mac);
	int sig_ok = sig && siglen == sizeof(mac) && CRYPTO_memcmp(sig, mac, sizeof(mac)) == 0;
	free(sig);
	if (!sig_ok) {
		snprintf(errstr, errlen, "token signature is invalid");
		return -1;
	}
	json_t *c = segment_json(d1 + 1, (size_t)(d2 - d1 - 1));
	if (!c) {
		snprintf(errstr, errlen, "token payload is not base64url-encoded JSON");
		return -1;
	}
	int64_t exp, nbf, iat;
	int r = numeric_claim(c, "exp", &exp);
	if (r) {
		snprintf(errstr, errlen, r == -1 ? "token has no expiry (exp)" : "token exp is not a number");
		goto bad;
	}
	if (now_s > exp + leeway_s) {
		snprintf(errstr, errlen, "token has expired");
		goto bad;
	}
	r = numeric_claim(c, "nbf", &nbf);
	if (r == -2 || (r == 0 && nbf > now_s + leeway_s)) {
		snprintf(errstr, errlen, r == -2 ? "token nbf is not a number" : "token is not valid yet (nbf)");
		goto bad;
	}
	r = numeric_claim(c, "iat", &iat);
	if (r == -2 || (r == 0 && iat > now_s + leeway_s)) {
		snprintf(errstr, errlen, r == -2 ? "token iat is not a number" : "token was issued in the future (iat)");
		goto bad;
	}
	*claims = c;
	return 0;
bad:
	json_decref(c);
	return -1;
}
