/* auth: sessions' tokens. POST /v1/sessions issues a short-lived HS256
 * session token (jwt.h) for a guest, or, when the caller presents the
 * retailer's signed customer assertion, for that customer; every
 * /v1/sessions/{id}/... request and the WebSocket carry it back. */
#ifndef SERVICES_GATEWAY_AUTH_H
#define SERVICES_GATEWAY_AUTH_H

#include <jansson.h>
#include <stdint.h>

#include "gateway.h"
#include "turn.h"

#define GW_ISSUER "retail-assistant"
#define GW_MAX_LOCALE 35
#define GW_MAX_TIER 32
#define GW_MAX_CUSTOMER_ID 128

struct gw_auth_conf {
	const char *jwt_secret;       /* signs session tokens, >= 32 bytes */
	const char *assertion_secret; /* verifies customer assertions, >= 32 bytes */
	long token_ttl_s;             /* <= 900 */
	int leeway_s;                 /* <= 30 */
	const char *default_locale;
};

struct gw_customer {
	char id[GW_MAX_CUSTOMER_ID + 1]; /* empty for a guest */
	char locale[GW_MAX_LOCALE + 1];
	char tier[GW_MAX_TIER + 1];
	int authenticated;
};

/* What a valid session token says. */
struct gw_identity {
	char sid[GW_MAX_SESSION_ID + 1];
	struct gw_customer customer;
	int64_t exp;
};

/* Both secrets present and long enough, the TTL and leeway in bounds; else
 * -1 with errstr naming the variable. */
int gw_auth_conf_check(const struct gw_auth_conf *c, char *errstr, size_t errlen);

/* Parse the optional body of POST /v1/sessions ({"customer_assertion",
 * "locale"}; empty means a guest) into the customer it describes. 0; -1
 * with errstr and *status 400 (bad body) or 401 (bad assertion). */
int gw_auth_session_request(const struct gw_auth_conf *c, const char *body, size_t len, int64_t now_s,
			    struct gw_customer *cust, int *status, char *errstr, size_t errlen);

/* A fresh session token for sid and cust, and the JSON response document
 * {"session_id","token","token_type","expires_in","customer"} (heap). */
char *gw_auth_issue(const struct gw_auth_conf *c, const char *sid, const struct gw_customer *cust, int64_t now_s);

/* Verify a session token. 0 with *id; -1 with errstr. */
int gw_auth_verify(const struct gw_auth_conf *c, const char *token, int64_t now_s, struct gw_identity *id,
		   char *errstr, size_t errlen);

/* The token of an "Authorization: Bearer <token>" header value, or NULL. */
const char *gw_auth_bearer(const char *header);

/* Copy cust into turn->customer. */
void gw_auth_stamp_turn(Chat__Turn *turn, const struct gw_customer *cust);

/* 1 when s looks like a language tag (letters, digits, '-' and '_',
 * 2..35 characters). */
int gw_auth_valid_locale(const char *s);

#endif
