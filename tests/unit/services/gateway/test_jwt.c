/* jwt and auth: every way a token can be bad is refused, with a reason. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "../../testutil.h"
#include "services/gateway/auth.h"
#include "services/gateway/jwt.h"
#include "util.h"

TestSuite(jwt, .fini = tu_leak_check);

#define KEY "0123456789abcdef0123456789abcdef-test-key"
#define NOW 1800000000LL

static char *sign_claims(const char *key, json_t *claims)
{
	char *t = gw_jwt_sign(key, strlen(key), claims);
	json_decref(claims);
	return t;
}

static char *valid_token(void)
{
	return sign_claims(KEY, json_pack("{s:s,s:I,s:I,s:I}", "sid", "s-1", "iat", (json_int_t)NOW, "nbf",
					  (json_int_t)NOW, "exp", (json_int_t)(NOW + 900)));
}

/* Verify at NOW with 30 s leeway; returns the error text ("" on success). */
static int verify(const char *token, char *err, size_t errlen)
{
	json_t *claims = NULL;
	err[0] = '\0';
	int rc = gw_jwt_verify(KEY, strlen(KEY), token, NOW, 30, &claims, err, errlen);
	if (rc) {
		cr_assert_null(claims);
		cr_assert_neq(err[0], '\0', "a rejection says why");
	}
	json_decref(claims);
	return rc;
}

static void expect_refused(const char *token, const char *words)
{
	char err[256];
	cr_assert_eq(verify(token, err, sizeof(err)), -1, "accepted: %s", token ? token : "(null)");
	cr_assert(strstr(err, words), "\"%s\" does not say \"%s\"", err, words);
}

/* header.payload.signature with a raw header and payload, signed with key
 * over the signing input exactly as HS256 does (or not at all). */
static char *assemble(const char *header, const char *payload, const char *key)
{
	char *h = gw_b64url_encode((const unsigned char *)header, strlen(header));
	char *p = gw_b64url_encode((const unsigned char *)payload, strlen(payload));
	char *in = xasprintf("%s.%s", h, p);
	char *sig = xstrdup("");
	if (key) {
		unsigned char mac[64];
		unsigned int n = sizeof(mac);
		HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)in, strlen(in), mac, &n);
		free(sig);
		sig = gw_b64url_encode(mac, n);
	}
	char *t = xasprintf("%s.%s", in, sig);
	free(h);
	free(p);
	free(in);
	free(sig);
	return t;
}

static const char payload[] = "{\"sid\":\"s-1\",\"iat\":1800000000,\"exp\":1800000900}";

Test(jwt, b64url_round_trip_and_alphabet)
{
	const unsigned char bin[] = { 0xfb, 0xff, 0xfe, 0x00, 0x3e, 0x3f };
	for (size_t n = 0; n <= sizeof(bin); n++) {
		char *e = gw_b64url_encode(bin, n);
		cr_assert_null(strpbrk(e, "+/="), "not url-safe: %s", e);
		size_t m = 0;
		unsigned char *d = gw_b64url_decode(e, strlen(e), &m);
		cr_assert_not_null(d);
		cr_assert_eq(m, n);
		cr_assert_eq(memcmp(d, bin, n), 0);
		free(d);
		free(e);
	}
	size_t m;
	cr_assert_null(gw_b64url_decode("ab+c", 4, &m));
	cr_assert_null(gw_b64url_decode("ab=c", 4, &m));
	cr_assert_null(gw_b64url_decode("abcde", 5, &m));
}

Test(jwt, valid_token_round_trips)
{
	char *t = valid_token();
	json_t *claims = NULL;
	char err[128];
	cr_assert_eq(gw_jwt_verify(KEY, strlen(KEY), t, NOW, 30, &claims, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(json_string_value(json_object_get(claims, "sid")), "s-1");
	json_decref(claims);
	free(t);
}

Test(jwt, alg_none_refused)
{
	char *t = assemble("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, NULL);
	expect_refused(t, "HS256");
	free(t);
	/* even with a valid HS256 MAC, the header must say HS256 */
	t = assemble("{\"alg\":\"none\"}", payload, KEY);
	expect_refused(t, "HS256");
	free(t);
	t = assemble("{\"alg\":\"hs256\"}", payload, KEY);
	expect_refused(t, "HS256");
	free(t);
	t = assemble("{\"typ\":\"JWT\"}", payload, KEY);
	expect_refused(t, "HS256");
	free(t);
}

Test(jwt, header_chosen_algorithms_refused)
{
	/* HS512 / RS256 headers signed with the same secret (the classic
	 * algorithm-confusion attacks) never verify. */
	char *t = assemble("{\"alg\":\"HS512\"}", payload, KEY);
	expect_refused(t, "HS256");
	free(t);
	t = assemble("{\"alg\":\"RS256\"}", payload, KEY);
	expect_refused(t, "HS256");
	free(t);
	t = assemble("{\"alg\":\"HS256\",\"crit\":[\"b64\"]}", payload, KEY);
	expect_refused(t, "critical");
	free(t);
}

Test(jwt, tampered_payload_refused)
{
	char *t = valid_token();
	char *d1 = strchr(t, '.'), *d2 = strchr(d1 + 1, '.');
	char *p = gw_b64url_encode((const unsigned char *)"{\"sid\":\"s-2\",\"exp\":1800000900}", 31);
	char *forged = xasprintf("%.*s.%s%s", (int)(d1 - t), t, p, d2);
	expect_refused(forged, "signature");
	free(forged);
	free(p);
	free(t);
}

Test(jwt, tampered_signature_refused)
{
	char *t = valid_token();
	size_t n = strlen(t);
	t[n - 2] = t[n - 2] == 'A' ? 'B' : 'A';
	expect_refused(t, "signature");
	/* truncated and empty signatures */
	t[n - 4] = '\0';
	expect_refused(t, "signature");
	*(strrchr(t, '.') + 1) = '\0';
	expect_refused(t, "signature");
	free(t);
}

Test(jwt, wrong_key_refused)
{
	char *t = sign_claims("another-secret-of-at-least-32-bytes!!",
			      json_pack("{s:s,s:I}", "sid", "s-1", "exp", (json_int_t)(NOW + 60)));
	expect_refused(t, "signature");
	free(t);
}

Test(jwt, expiry_with_leeway)
{
	char *t = sign_claims(KEY, json_pack("{s:s,s:I}", "sid", "s-1", "exp", (json_int_t)(NOW - 20)));
	char err[128];
	cr_assert_eq(verify(t, err, sizeof(err)), 0, "within the leeway: %s", err);
	free(t);
	t = sign_claims(KEY, json_pack("{s:s,s:I}", "sid", "s-1", "exp", (json_int_t)(NOW - 31)));
	expect_refused(t, "expired");
	free(t);
	t = sign_claims(KEY, json_pack("{s:s}", "sid", "s-1"));
	expect_refused(t, "exp");
	free(t);
	t = sign_claims(KEY, json_pack("{s:s,s:s}", "sid", "s-1", "exp", "tomorrow"));
	expect_refused(t, "exp");
	free(t);
	/* a leeway over 30 s is clamped to 30 */
	t = sign_claims(KEY, json_pack("{s:s,s:I}", "sid", "s-1", "exp", (json_int_t)(NOW - 60)));
	json_t *c = NULL;
	cr_assert_eq(gw_jwt_verify(KEY, strlen(KEY), t, NOW, 3600, &c, err, sizeof(err)), -1);
	free(t);
}

Test(jwt, nbf_and_iat_in_the_future_refused)
{
	char *t = sign_claims(KEY, json_pack("{s:s,s:I,s:I}", "sid", "s-1", "nbf", (json_int_t)(NOW + 120), "exp",
					     (json_int_t)(NOW + 900)));
	expect_refused(t, "not valid yet");
	free(t);
	t = sign_claims(KEY, json_pack("{s:s,s:I,s:I}", "sid", "s-1", "iat", (json_int_t)(NOW + 120), "exp",
				       (json_int_t)(NOW + 900)));
	expect_refused(t, "future");
	free(t);
	t = sign_claims(KEY, json_pack("{s:s,s:I,s:I}", "sid", "s-1", "nbf", (json_int_t)(NOW + 10), "exp",
				       (json_int_t)(NOW + 900)));
	char err[128];
	cr_assert_eq(verify(t, err, sizeof(err)), 0, "nbf within the leeway: %s", err);
	free(t);
}

Test(jwt, missing_and_malformed_refused)
{
	expect_refused(NULL, "missing");
	expect_refused("", "missing");
	expect_refused("abc", "three");
	expect_refused("a.b.c.d", "three");
	expect_refused("!!!.e30.sig", "header");
	char *t = assemble("not json", payload, KEY);
	expect_refused(t, "header");
	free(t);
	t = assemble("[\"alg\",\"HS256\"]", payload, KEY);
	expect_refused(t, "header");
	free(t);
	t = assemble("{\"alg\":\"HS256\"}", "{\"exp\": ", KEY);
	expect_refused(t, "payload");
	free(t);
	t = assemble("{\"alg\":\"HS256\"}", "[1]", KEY);
	expect_refused(t, "payload");
	free(t);
	t = assemble("{\"alg\":\"HS256\",\"alg\":\"none\"}", payload, KEY);
	expect_refused(t, "header");
	free(t);
}

Test(jwt, short_keys_refused)
{
	char err[128];
	cr_assert_eq(gw_jwt_key_check("short", 5, err, sizeof(err)), -1);
	cr_assert(strstr(err, "256 bits"));
	cr_assert_eq(gw_jwt_key_check("0123456789abcdef0123456789abcde", 31, err, sizeof(err)), -1);
	cr_assert_eq(gw_jwt_key_check("0123456789abcdef0123456789abcdef", 32, err, sizeof(err)), 0);
	json_t *c = json_pack("{s:I}", "exp", (json_int_t)(NOW + 60));
	cr_assert_null(gw_jwt_sign("short", 5, c));
	json_decref(c);
	json_t *claims = NULL;
	cr_assert_eq(gw_jwt_verify("short", 5, "a.b.c", NOW, 0, &claims, err, sizeof(err)), -1);
}

/* --- auth: session tokens and customer assertions ----------------------- */

static const struct gw_auth_conf ac = {
	.jwt_secret = "session-secret-0123456789abcdef0123456789",
	.assertion_secret = "assertion-secret-0123456789abcdef012345678",
	.token_ttl_s = 900,
	.leeway_s = 30,
	.default_locale = "en-MY",
};

Test(jwt, auth_conf_refuses_missing_short_or_equal_secrets)
{
	char err[256];
	struct gw_auth_conf c = ac;
	cr_assert_eq(gw_auth_conf_check(&c, err, sizeof(err)), 0, "%s", err);
	c.jwt_secret = "";
	cr_assert_eq(gw_auth_conf_check(&c, err, sizeof(err)), -1);
	cr_assert(strstr(err, "GATEWAY_JWT_SECRET"), "%s", err);
	c.jwt_secret = "only-sixteen-b!!";
	cr_assert_eq(gw_auth_conf_check(&c, err, sizeof(err)), -1);
	c = ac;
	c.assertion_secret = NULL;
	cr_assert_eq(gw_auth_conf_check(&c, err, sizeof(err)), -1);
	cr_assert(strstr(err, "GATEWAY_ASSERTION_SECRET"), "%s", err);
	c = ac;
	c.assertion_secret = c.jwt_secret;
	cr_assert_eq(gw_auth_conf_check(&c, err, sizeof(err)), -1);
	c = ac;
	c.token_ttl_s = 3600;
	cr_assert_eq(gw_auth_conf_check(&c, err, sizeof(err)), -1);
}

Test(jwt, issue_and_verify_session_token)
{
	struct gw_customer cust = { .id = "c-9", .locale = "zh-MY", .tier = "silver", .authenticated = 1 };
	char *doc = gw_auth_issue(&ac, "sess-1", &cust, NOW);
	json_t *j = json_loads(doc, 0, NULL);
	free(doc);
	cr_assert_str_eq(json_string_value(json_object_get(j, "session_id")), "sess-1");
	cr_assert_eq(json_integer_value(json_object_get(j, "expires_in")), 900);
	const char *tok = json_string_value(json_object_get(j, "token"));
	struct gw_identity id;
	char err[128];
	cr_assert_eq(gw_auth_verify(&ac, tok, NOW + 10, &id, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(id.sid, "sess-1");
	cr_assert_str_eq(id.customer.id, "c-9");
	cr_assert_str_eq(id.customer.locale, "zh-MY");
	cr_assert_str_eq(id.customer.tier, "silver");
	cr_assert(id.customer.authenticated);
	cr_assert_eq(gw_auth_verify(&ac, tok, NOW + 900 + 31, &id, err, sizeof(err)), -1);
	/* the assertion secret does not make session tokens */
	struct gw_auth_conf swapped = ac;
	swapped.jwt_secret = ac.assertion_secret;
	swapped.assertion_secret = ac.jwt_secret;
	cr_assert_eq(gw_auth_verify(&swapped, tok, NOW, &id, err, sizeof(err)), -1);
	json_decref(j);
}

Test(jwt, session_token_needs_our_issuer_and_a_sid)
{
	struct gw_identity id;
	char err[128];
	char *t = sign_claims(ac.jwt_secret, json_pack("{s:s,s:s,s:I}", "iss", "someone-else", "sid", "s-1", "exp",
						      (json_int_t)(NOW + 60)));
	cr_assert_eq(gw_auth_verify(&ac, t, NOW, &id, err, sizeof(err)), -1);
	cr_assert(strstr(err, "issued"), "%s", err);
	free(t);
	t = sign_claims(ac.jwt_secret, json_pack("{s:s,s:I}", "iss", GW_ISSUER, "exp", (json_int_t)(NOW + 60)));
	cr_assert_eq(gw_auth_verify(&ac, t, NOW, &id, err, sizeof(err)), -1);
	cr_assert(strstr(err, "session"), "%s", err);
	free(t);
	t = sign_claims(ac.jwt_secret, json_pack("{s:s,s:s,s:I}", "iss", GW_ISSUER, "sid", "s 1", "exp",
						  (json_int_t)(NOW + 60)));
	cr_assert_eq(gw_auth_verify(&ac, t, NOW, &id, err, sizeof(err)), -1);
	free(t);
	/* longer-lived than 15 minutes: not ours */
	t = sign_claims(ac.jwt_secret, json_pack("{s:s,s:s,s:I}", "iss", GW_ISSUER, "sid", "s-1", "exp",
						  (json_int_t)(NOW + 86400)));
	cr_assert_eq(gw_auth_verify(&ac, t, NOW, &id, err, sizeof(err)), -1);
	free(t);
}

static int session_request(const char *body, struct gw_customer *c, int *status, char *err, size_t errlen)
{
	return gw_auth_session_request(&ac, body, strlen(body), NOW, c, status, err, errlen);
}

Test(jwt, session_request_guest_and_customer)
{
	struct gw_customer c;
	int status;
	char err[256];
	cr_assert_eq(session_request("", &c, &status, err, sizeof(err)), 0);
	cr_assert_str_eq(c.id, "");
	cr_assert_str_eq(c.locale, "en-MY");
	cr_assert_not(c.authenticated);
	cr_assert_eq(session_request("{\"locale\":\"ms-MY\"}", &c, &status, err, sizeof(err)), 0);
	cr_assert_str_eq(c.locale, "ms-MY");

	char *a = sign_claims(ac.assertion_secret, json_pack("{s:s,s:s,s:s,s:I,s:I}", "sub", "cust-7", "locale", "zh-MY",
							     "tier", "gold", "iat", (json_int_t)NOW, "exp",
							     (json_int_t)(NOW + 60)));
	char *body = xasprintf("{\"customer_assertion\":\"%s\"}", a);
	cr_assert_eq(session_request(body, &c, &status, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c.id, "cust-7");
	cr_assert_str_eq(c.locale, "zh-MY");
	cr_assert_str_eq(c.tier, "gold");
	cr_assert(c.authenticated);
	free(body);
	free(a);
}

Test(jwt, session_request_bad_assertions)
{
	struct gw_customer c;
	int status;
	char err[256];
	/* signed with the session secret, not the retailer's */
	char *a = sign_claims(ac.jwt_secret, json_pack("{s:s,s:I}", "sub", "cust-7", "exp", (json_int_t)(NOW + 60)));
	char *body = xasprintf("{\"customer_assertion\":\"%s\"}", a);
	cr_assert_eq(session_request(body, &c, &status, err, sizeof(err)), -1);
	cr_assert_eq(status, 401);
	cr_assert(strstr(err, "signature"), "%s", err);
	free(body);
	free(a);
	/* no sub */
	a = sign_claims(ac.assertion_secret, json_pack("{s:I}", "exp", (json_int_t)(NOW + 60)));
	body = xasprintf("{\"customer_assertion\":\"%s\"}", a);
	cr_assert_eq(session_request(body, &c, &status, err, sizeof(err)), -1);
	cr_assert_eq(status, 401);
	cr_assert(strstr(err, "sub"), "%s", err);
	free(body);
	free(a);
	/* no exp */
	a = sign_claims(ac.assertion_secret, json_pack("{s:s}", "sub", "cust-7"));
	body = xasprintf("{\"customer_assertion\":\"%s\"}", a);
	cr_assert_eq(session_request(body, &c, &status, err, sizeof(err)), -1);
	cr_assert_eq(status, 401);
	free(body);
	free(a);
	cr_assert_eq(session_request("{\"customer_assertion\":7}", &c, &status, err, sizeof(err)), -1);
	cr_assert_eq(status, 400);
	cr_assert_eq(session_request("{\"locale\":\"en MY\"}", &c, &status, err, sizeof(err)), -1);
	cr_assert_eq(status, 400);
	cr_assert_eq(session_request("{\"locale\":", &c, &status, err, sizeof(err)), -1);
	cr_assert(strstr(err, "malformed JSON"), "%s", err);
	cr_assert_eq(session_request("[]", &c, &status, err, sizeof(err)), -1);
}

Test(jwt, bearer_header)
{
	cr_assert_str_eq(gw_auth_bearer("Bearer abc.def.ghi"), "abc.def.ghi");
	cr_assert_str_eq(gw_auth_bearer("bearer  abc"), "abc");
	cr_assert_null(gw_auth_bearer("Basic abc"));
	cr_assert_null(gw_auth_bearer("Bearer "));
	cr_assert_null(gw_auth_bearer(NULL));
}
