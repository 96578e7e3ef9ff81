/* jwt: HS256 JSON Web Tokens (RFC 7519) on OpenSSL, for the session tokens
 * the gateway issues and the customer assertions a retailer's backend signs.
 * Only HS256 is accepted, whatever the header says; the MAC is compared in
 * constant time; exp is required and exp/nbf/iat are checked with a small
 * leeway. Keys shorter than 256 bits are refused. */
#ifndef SERVICES_GATEWAY_JWT_H
#define SERVICES_GATEWAY_JWT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define GW_JWT_MIN_KEY 32   /* bytes: 256 bits */
#define GW_JWT_MAX_LEEWAY 30 /* seconds */
#define GW_JWT_MAX_LEN 4096 /* longest token accepted */

/* 0 when key is usable as an HS256 secret, else -1 with errstr. */
int gw_jwt_key_check(const char *key, size_t keylen, char *errstr, size_t errlen);

/* Sign claims (a JSON object) with header {"alg":"HS256","typ":"JWT"}.
 * Returns a heap string, or NULL when the key is too short. */
char *gw_jwt_sign(const char *key, size_t keylen, const json_t *claims);

/* Verify token at time now_s (seconds since the epoch) with leeway_s
 * (clamped to GW_JWT_MAX_LEEWAY). 0 with *claims (caller decrefs), or -1
 * with errstr saying what is wrong (safe to show the client). */
int gw_jwt_verify(const char *key, size_t keylen, const char *token, int64_t now_s, int leeway_s, json_t **claims,
		  char *errstr, size_t errlen);

/* base64url without padding (RFC 4648 section 5) through OpenSSL's base64. */
char *gw_b64url_encode(const unsigned char *in, size_t len);
/* Decode into a heap buffer (NUL-terminated for convenience); NULL on any
 * character outside the alphabet or an impossible length. */
unsigned char *gw_b64url_decode(const char *in, size_t len, size_t *outlen);

#endif
