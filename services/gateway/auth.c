/* auth: session tokens and customer assertions. */
#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jwt.h"
#include "util.h"

static size_t slen(const char *s)
{
	return s ? strlen(s) : 0;
}

int gw_auth_conf_check(const struct gw_auth_conf *c, char *errstr, size_t errlen)
{
	char why[128];
	if (gw_jwt_key_check(c->jwt_secret, slen(c->jwt_secret), why, sizeof(why))) {
		snprintf(errstr, errlen,
			 "GATEWAY_JWT_SECRET is required and must be at least %d bytes (%s); set it to a random secret, "
			 "e.g. `openssl rand -base64 48`",
			 GW_JWT_MIN_KEY, why);
		return -1;
	}
	if (gw_jwt_key_check(c->assertion_secret, slen(c->assertion_secret), why, sizeof(why))) {
		snprintf(errstr, errlen,
			 "GATEWAY_ASSERTION_SECRET is required and must be at least %d bytes (%s); it is the secret the "
			 "retailer's backend signs customer assertions with",
			 GW_JWT_MIN_KEY, why);
		return -1;
	}
	if (!strcmp(c->jwt_secret, c->assertion_secret)) {
		snprintf(errstr, errlen,
			 "GATEWAY_JWT_SECRET and GATEWAY_ASSERTION_SECRET must differ (a customer assertion must not "
			 "pass as a session token)");
		return -1;
	}
	if (c->token_ttl_s < 10 || c->token_ttl_s > 900) {
		snprintf(errstr, errlen, "GATEWAY_TOKEN_TTL_S must be 10..900 seconds");
		return -1;
	}
	if (c->leeway_s < 0 || c->leeway_s > GW_JWT_MAX_LEEWAY) {
		snprintf(errstr, errlen, "the token leeway must be 0..%d seconds", GW_JWT_MAX_LEEWAY);
		return -1;
	}
	return 0;
}

int gw_auth_valid_locale(const char *s)
{
	size_t n = slen(s);
	if (n < 2 || n > GW_MAX_LOCALE)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
		      *s == '_'))
			return 0;
	return 1;
}

static int valid_tier(const char *s)
{
	size_t n = slen(s);
	if (n < 1 || n > GW_MAX_TIER)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
		      *s == '_'))
			return 0;
	return 1;
}

int gw_auth_session_request(const struct gw_auth_conf *c, const char *body, size_t len, int64_t now_s,
			    struct gw_customer *cust, int *status, char *errstr, size_t errlen)
{
	memset(cust, 0, sizeof(*cust));
	util_strlcpy(cust->locale, c->default_locale ? c->default_locale : "en-MY", sizeof(cust->locale));
	*status = 400;
	size_t i = 0;
	while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
		i++;
	if (i == len)
		return 0; /* no body: a guest */
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(errstr, errlen, "malformed JSON at line %d column %d: %s", jerr.line, jerr.column, jerr.text);
		return -1;
	}
	int rc = -1;
	if (!json_is_object(root)) {
		snprintf(errstr, errlen, "the body must be a JSON object");
		goto out;
	}
	json_t *loc = json_object_get(root, "locale");
	if (loc && !json_is_null(loc)) {
		if (!gw_auth_valid_locale(json_string_value(loc))) {
			snprintf(errstr, errlen, "\"locale\" must be a language tag such as \"ms-MY\"");
			goto out;
		}
		util_strlcpy(cust->locale, json_string_value(loc), sizeof(cust->locale));
	}
	json_t *as = json_object_get(root, "customer_assertion");
	if (!as || json_is_null(as)) {
		rc = 0;
		goto out;
	}
	if (!json_is_string(as)) {
		snprintf(errstr, errlen, "\"customer_assertion\" must be a string (a JWT)");
		goto out;
	}
	json_t *claims = NULL;
	char why[160];
	*status = 401;
	if (gw_jwt_verify(c->assertion_secret, slen(c->assertion_secret), json_string_value(as), now_s, c->leeway_s,
			  &claims, why, sizeof(why))) {
		snprintf(errstr, errlen, "customer assertion rejected: %s", why);
		goto out;
	}
	const char *sub = json_string_value(json_object_get(claims, "sub"));
	const char *alocale = json_string_value(json_object_get(claims, "locale"));
	const char *tier = json_string_value(json_object_get(claims, "tier"));
	if (!sub || !util_valid_id(sub, GW_MAX_CUSTOMER_ID)) {
		snprintf(errstr, errlen, "customer assertion rejected: \"sub\" must be a customer id of 1..%d letters, "
			 "digits and . _ : -", GW_MAX_CUSTOMER_ID);
	} else if (alocale && !gw_auth_valid_locale(alocale)) {
		snprintf(errstr, errlen, "customer assertion rejected: \"locale\" is not a language tag");
	} else if (tier && !valid_tier(tier)) {
		snprintf(errstr, errlen, "customer assertion rejected: \"tier\" must be 1..%d letters or digits",
			 GW_MAX_TIER);
	} else {
		util_strlcpy(cust->id, sub, sizeof(cust->id));
		if (alocale && !(loc && !json_is_null(loc)))
			util_strlcpy(cust->locale, alocale, sizeof(cust->locale));
		if (tier)
			util_strlcpy(cust->tier, tier, sizeof(cust->tier));
		cust->authenticated = 1;
		rc = 0;
	}
	json_decref(claims);
out:
	json_decref(root);
	return rc;
}

static json_t *customer_json(const struct gw_customer *cust)
{
	json_t *j = json_pack("{s:s?,s:s,s:s?,s:b}", "id", cust->id[0] ? cust->id : NULL, "locale", cust->locale,
			      "loyalty_tier", cust->tier[0] ? cust->tier : NULL, "authenticated", cust->authenticated);
	return j;
}

char *gw_auth_issue(const struct gw_auth_conf *c, const char *sid, const struct gw_customer *cust, int64_t now_s)
{
	json_t *claims = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I}", "iss", GW_ISSUER, "sid", sid, "locale", cust->locale,
				   "iat", (json_int_t)now_s, "nbf", (json_int_t)now_s, "exp",
				   (json_int_t)(now_s + c->token_ttl_s));
	if (cust->id[0])
		json_object_set_new(claims, "sub", json_string(cust->id));
	if (cust->tier[0])
		json_object_set_new(claims, "tier", json_string(cust->tier));
	char *tok = gw_jwt_sign(c->jwt_secret, slen(c->jwt_secret), claims);
	json_decref(claims);
	json_t *doc = json_pack("{s:s,s:s,s:s,s:I,s:o}", "session_id", sid, "token", tok, "token_type", "Bearer",
				"expires_in", (json_int_t)c->token_ttl_s, "customer", customer_json(cust));
	free(tok);
	char *out = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return out;
}

int gw_auth_verify(const struct gw_auth_conf *c, const char *token, int64_t now_s, struct gw_identity *id,
		   char *errstr, size_t errlen)
{
	json_t *claims = NULL;
	memset(id, 0, sizeof(*id));
	if (gw_jwt_verify(c->jwt_secret, slen(c->jwt_secret), token, now_s, c->leeway_s, &claims, errstr, errlen))
		return -1;
	int rc = -1;
	const char *iss = json_string_value(json_object_get(claims, "iss"));
	const char *sid = json_string_value(json_object_get(claims, "sid"));
	const char *sub = json_string_value(json_object_get(claims, "sub"));
	const char *locale = json_string_value(json_object_get(claims, "locale"));
	const char *tier = json_string_value(json_object_get(claims, "tier"));
	if (!iss || strcmp(iss, GW_ISSUER)) {
		snprintf(errstr, errlen, "token was not issued by this service");
	} else if (!sid || !util_valid_id(sid, GW_MAX_SESSION_ID)) {
		snprintf(errstr, errlen, "token names no valid session");
	} else if ((sub && !util_valid_id(sub, GW_MAX_CUSTOMER_ID)) || (locale && !gw_auth_valid_locale(locale)) ||
		   (tier && !valid_tier(tier))) {
		snprintf(errstr, errlen, "token has malformed claims");
	} else if (json_integer_value(json_object_get(claims, "exp")) - now_s > 900 + GW_JWT_MAX_LEEWAY) {
		snprintf(errstr, errlen, "token lives longer than this service issues");
	} else {
		util_strlcpy(id->sid, sid, sizeof(id->sid));
		if (sub) {
			util_strlcpy(id->customer.id, sub, sizeof(id->customer.id));
			id->customer.authenticated = 1;
		}
		util_strlcpy(id->customer.locale, locale ? locale : (c->default_locale ? c->default_locale : "en-MY"),
			     sizeof(id->customer.locale));
		if (tier)
			util_strlcpy(id->customer.tier, tier, sizeof(id->customer.tier));
		id->exp = json_integer_value(json_object_get(claims, "exp"));
		rc = 0;
	}
	json_decref(claims);
	return rc;
}

const char *gw_auth_bearer(const char *header)
{
	if (!header || strncasecmp(header, "Bearer ", 7))
		return NULL;
	header += 7;
	while (*header == ' ')
		header++;
	return *header ? header : NULL;
}

void gw_auth_stamp_turn(Chat__Turn *turn, const struct gw_customer *cust)
{
	if (!turn->customer) {
		turn->customer = xmalloc(sizeof(*turn->customer));
		chat__customer__init(turn->customer);
	}
	turn_set_str(&turn->customer->id, cust->id);
	turn_set_str(&turn->customer->locale, cust->locale);
	turn_set_str(&turn->customer->loyalty_tier, cust->tier);
	turn->customer->authenticated = cust->authenticated ? 1 : 0;
}
