/* Sessions and tokens at the gateway: a guest and a signed-in customer get
 * a token; every session endpoint refuses a missing, forged, tampered,
 * expired or foreign token; feedback reaches chat.feedback.v1. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/gateway/jwt.h"
#include "helpers.h"
#include "topics.h"
#include "turn.h"
#include "util.h"

static const char *secret(const char *name)
{
	const char *v = getenv(name);
	cr_assert(v && strlen(v) >= 32, "%s must be set (deploy/env.sh sets a development value)", name);
	return v;
}

static int64_t now_s(void)
{
	return util_now_us() / 1000000;
}

struct resp {
	long status;
	json_t *body;
};

/* POST (body non-NULL) or GET path with an optional bearer token. */
static struct resp call(const char *path, const char *body, const char *token)
{
	struct cc_http h;
	char url[512], errstr[256], *auth = NULL, *out = NULL;
	cr_assert_eq(cc_http_init(&h, it_gateway_url()), 0);
	snprintf(url, sizeof(url), "%s%s", it_gateway_url(), path);
	if (token)
		auth = xasprintf("Authorization: Bearer %s", token);
	const char *hdrs[] = { auth, NULL };
	struct resp r = { 0, NULL };
	cr_assert_eq(cc_request(&h, url, body, hdrs, 10000, &r.status, &out, errstr, sizeof(errstr)), 0, "%s", errstr);
	r.body = json_loads(out, 0, NULL);
	free(out);
	free(auth);
	cc_http_release(&h);
	return r;
}

static void expect(struct resp r, long status, const char *words)
{
	const char *err = json_string_value(json_object_get(r.body, "error"));
	cr_assert_eq(r.status, status, "expected HTTP %ld, got %ld (%s)", status, r.status, err ? err : "");
	cr_assert_not_null(err, "error body is not {\"error\": ...}");
	cr_assert(strstr(err, words), "error \"%s\" does not say \"%s\"", err, words);
	json_decref(r.body);
}

/* A session-token-shaped JWT signed with key, for sid, expiring at exp. */
static char *forge(const char *key, const char *sid, int64_t exp)
{
	json_t *c = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I}", "iss", "retail-assistant", "sid", sid, "locale", "en-MY",
			      "iat", (json_int_t)(exp - 900), "nbf", (json_int_t)(exp - 900), "exp", (json_int_t)exp);
	char *t = gw_jwt_sign(key, strlen(key), c);
	json_decref(c);
	return t;
}

static char *token_of(const char *sid)
{
	struct cc_http h;
	cr_assert_eq(cc_http_init(&h, it_gateway_url()), 0);
	char *t = cc_token(&h, sid);
	cc_http_release(&h);
	return t;
}

static char *msg_path(const char *sid)
{
	return xasprintf("/v1/sessions/%s/messages", sid);
}

Test(auth, guest_session_gets_a_short_lived_bearer_token)
{
	struct resp r = call("/v1/sessions", "", NULL);
	cr_assert_eq(r.status, 201);
	cr_assert_str_eq(json_string_value(json_object_get(r.body, "token_type")), "Bearer");
	json_int_t ttl = json_integer_value(json_object_get(r.body, "expires_in"));
	cr_assert(ttl > 0 && ttl <= 900, "expires_in %lld", (long long)ttl);
	json_t *cust = json_object_get(r.body, "customer");
	cr_assert(json_is_false(json_object_get(cust, "authenticated")));
	json_t *claims = NULL;
	char err[128];
	const char *tok = json_string_value(json_object_get(r.body, "token"));
	cr_assert_eq(gw_jwt_verify(secret("GATEWAY_JWT_SECRET"), strlen(secret("GATEWAY_JWT_SECRET")), tok, now_s(), 0,
				   &claims, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_str_eq(json_string_value(json_object_get(claims, "sid")),
			 json_string_value(json_object_get(r.body, "session_id")));
	cr_assert_null(json_object_get(claims, "sub"));
	cr_assert(json_integer_value(json_object_get(claims, "exp")) - json_integer_value(json_object_get(claims, "iat")) <=
		  900);
	json_decref(claims);
	json_decref(r.body);
}

Test(auth, customer_assertion_puts_the_customer_on_the_turn, .timeout = 60)
{
	const char *key = secret("GATEWAY_ASSERTION_SECRET");
	json_t *c = json_pack("{s:s,s:s,s:s,s:I,s:I}", "sub", "cust-42", "locale", "ms-MY", "tier", "gold", "iat",
			      (json_int_t)now_s(), "exp", (json_int_t)(now_s() + 120));
	char *assertion = gw_jwt_sign(key, strlen(key), c);
	json_decref(c);
	struct cc_http h;
	char sid[64], errstr[256];
	long status = 0;
	json_t *resp = NULL;
	cr_assert_eq(cc_http_init(&h, it_gateway_url()), 0);
	cr_assert_eq(cc_open_session(&h, assertion, NULL, sid, sizeof(sid), &status, &resp, errstr, sizeof(errstr)), 0);
	cr_assert_eq(status, 201, "answered %ld", status);
	json_t *cust = json_object_get(resp, "customer");
	cr_assert_str_eq(json_string_value(json_object_get(cust, "id")), "cust-42");
	cr_assert_str_eq(json_string_value(json_object_get(cust, "locale")), "ms-MY");
	cr_assert_str_eq(json_string_value(json_object_get(cust, "loyalty_tier")), "gold");
	cr_assert(json_is_true(json_object_get(cust, "authenticated")));
	json_decref(resp);

	rd_kafka_t *rk = it_tail(TOPIC_INBOUND);
	resp = NULL;
	cr_assert_eq(cc_post_message(&h, sid, "what are your opening hours?", NULL, 0, &status, &resp, errstr,
				     sizeof(errstr)),
		     0);
	cr_assert_eq(status, 202);
	json_decref(resp);
	rd_kafka_message_t *rkm = it_poll_key(rk, sid, 30000);
	cr_assert_not_null(rkm, "the turn never reached %s", TOPIC_INBOUND);
	Chat__Turn *turn = turn_decode(rkm->payload, rkm->len, errstr, sizeof(errstr));
	cr_assert_not_null(turn, "%s", errstr);
	cr_assert_str_eq(turn->customer->id, "cust-42");
	cr_assert_str_eq(turn->customer->locale, "ms-MY");
	cr_assert_str_eq(turn->customer->loyalty_tier, "gold");
	cr_assert(turn->customer->authenticated);
	turn_free(turn);
	rd_kafka_message_destroy(rkm);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	cc_http_release(&h);
	free(assertion);
}

Test(auth, bad_customer_assertions_are_401)
{
	const char *key = secret("GATEWAY_ASSERTION_SECRET");
	const char *wrong = "0123456789abcdef0123456789abcdef-not-the-key";
	json_t *c = json_pack("{s:s,s:I}", "sub", "cust-1", "exp", (json_int_t)(now_s() + 120));
	char *good = gw_jwt_sign(key, strlen(key), c), *other = gw_jwt_sign(wrong, strlen(wrong), c);
	json_object_set_new(c, "exp", json_integer(now_s() - 3600));
	char *expired = gw_jwt_sign(key, strlen(key), c);
	json_decref(c);
	char *body;
	body = xasprintf("{\"customer_assertion\":\"%s\"}", other);
	expect(call("/v1/sessions", body, NULL), 401, "signature");
	free(body);
	body = xasprintf("{\"customer_assertion\":\"%s\"}", expired);
	expect(call("/v1/sessions", body, NULL), 401, "expired");
	free(body);
	/* alg none: the header says none and the signature is empty */
	const char *none_json = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
	char *none = gw_b64url_encode((const unsigned char *)none_json, strlen(none_json));
	const char *dot = strchr(good, '.');
	body = xasprintf("{\"customer_assertion\":\"%s%.*s.\"}", none, (int)(strchr(dot + 1, '.') - dot), dot);
	expect(call("/v1/sessions", body, NULL), 401, "HS256");
	free(body);
	expect(call("/v1/sessions", "{\"customer_assertion\": 42}", NULL), 400, "customer_assertion");
	expect(call("/v1/sessions", "{\"locale\": \"x y\"}", NULL), 400, "locale");
	expect(call("/v1/sessions", "{\"locale\":", NULL), 400, "malformed JSON");
	free(none);
	free(good);
	free(other);
	free(expired);
}

Test(auth, session_endpoints_refuse_bad_tokens)
{
	char sid[64], other_sid[64];
	it_open_session(sid, sizeof(sid));
	it_open_session(other_sid, sizeof(other_sid));
	char *path = msg_path(sid);
	const char *body = "{\"text\":\"hello\"}";
	const char *key = secret("GATEWAY_JWT_SECRET");

	struct resp r = call(path, body, NULL);
	cr_assert_eq(r.status, 401);
	expect(r, 401, "Bearer");

	char *wrong_key = forge("an-entirely-different-32-byte-secret!!", sid, now_s() + 300);
	expect(call(path, body, wrong_key), 401, "signature");
	char *expired = forge(key, sid, now_s() - 120);
	expect(call(path, body, expired), 401, "expired");

	/* tampered payload: the real token with another session in its claims */
	char *tok = token_of(sid);
	char *d1 = strchr(tok, '.'), *d2 = strchr(d1 + 1, '.');
	char *claims = xasprintf("{\"iss\":\"retail-assistant\",\"sid\":\"%s\",\"exp\":%lld}", other_sid,
				 (long long)now_s() + 300);
	char *p64 = gw_b64url_encode((const unsigned char *)claims, strlen(claims));
	char *tampered = xasprintf("%.*s.%s%s", (int)(d1 - tok), tok, p64, d2);
	expect(call(msg_path(other_sid), body, tampered), 401, "signature");

	/* alg none with the real payload */
	const char *none_json = "{\"alg\":\"none\"}";
	char *none_hdr = gw_b64url_encode((const unsigned char *)none_json, strlen(none_json));
	char *none = xasprintf("%s%.*s.", none_hdr, (int)(d2 - d1), d1);
	expect(call(path, body, none), 401, "HS256");
	expect(call(path, body, "not-a-jwt"), 401, "malformed");

	/* a valid token of another session, and of a session that does not exist */
	char *other_tok = token_of(other_sid);
	expect(call(path, body, other_tok), 403, "another session");
	char *ghost = forge(key, "it-no-such-session", now_s() + 300);
	expect(call("/v1/sessions/it-no-such-session/messages", body, ghost), 404, "unknown");
	expect(call("/v1/sessions/it-no-such-session/events", NULL, ghost), 404, "unknown");

	/* and the right one works */
	r = call(path, body, tok);
	cr_assert_eq(r.status, 202);
	json_decref(r.body);
	free(path);
	free(wrong_key);
	free(expired);
	free(tok);
	free(claims);
	free(p64);
	free(tampered);
	free(none_hdr);
	free(none);
	free(other_tok);
	free(ghost);
}

Test(auth, refresh_gives_a_fresh_token_for_the_same_session)
{
	char sid[64];
	it_open_session(sid, sizeof(sid));
	char *tok = token_of(sid);
	char *path = xasprintf("/v1/sessions/%s/token", sid);
	struct resp r = call(path, "", tok);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(json_string_value(json_object_get(r.body, "session_id")), sid);
	const char *fresh = json_string_value(json_object_get(r.body, "token"));
	cr_assert_not_null(fresh);
	char *mp = msg_path(sid);
	struct resp m = call(mp, "{\"text\":\"hi again\"}", fresh);
	cr_assert_eq(m.status, 202);
	json_decref(m.body);
	json_decref(r.body);
	expect(call(path, "", NULL), 401, "Bearer");
	free(mp);
	free(path);
	free(tok);
}

Test(auth, feedback_is_published_and_checked, .timeout = 60)
{
	char sid[64];
	it_open_session(sid, sizeof(sid));
	char *tok = token_of(sid);
	rd_kafka_t *rk = it_tail(TOPIC_FEEDBACK);
	char *body = xasprintf("{\"session_id\":\"%s\",\"turn_id\":\"t-123\",\"rating\":\"down\",\"comment\":\"wrong store\"}",
			       sid);
	struct resp r = call("/v1/feedback", body, tok);
	cr_assert_eq(r.status, 202, "answered %ld", r.status);
	json_decref(r.body);
	rd_kafka_message_t *rkm = it_poll_key(rk, sid, 30000);
	cr_assert_not_null(rkm, "no feedback on %s", TOPIC_FEEDBACK);
	Chat__Feedback *fb = chat__feedback__unpack(NULL, rkm->len, rkm->payload);
	cr_assert_not_null(fb);
	cr_assert_str_eq(fb->turn_id, "t-123");
	cr_assert_eq(fb->rating, -1);
	cr_assert_str_eq(fb->comment, "wrong store");
	chat__feedback__free_unpacked(fb, NULL);
	rd_kafka_message_destroy(rkm);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	expect(call("/v1/feedback", body, NULL), 401, "Bearer");
	free(body);
	body = xasprintf("{\"session_id\":\"%s\",\"turn_id\":\"t-123\",\"rating\":\"meh\"}", sid);
	expect(call("/v1/feedback", body, tok), 400, "rating");
	expect(call("/v1/feedback", "{\"session_id\":", tok), 400, "malformed JSON");
	free(body);
	free(tok);
}
