/* tokens: the operator's and the tenants' bearer tokens of the agent API. */
#include "tokens.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static void digest(const char *s, size_t len, unsigned char out[HTOK_DIGEST_LEN])
{
	unsigned int n = HTOK_DIGEST_LEN;
	EVP_Digest(s, len, out, &n, EVP_sha256(), NULL);
}

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

/* [*s, *e) without the blanks at either end. */
static void trim(const char **s, const char **e)
{
	while (*s < *e && blank(**s))
		(*s)++;
	while (*e > *s && blank((*e)[-1]))
		(*e)--;
}

/* One entry [s, e), the k-th (from 1), into set. 0 or -1 (errstr). */
static int add_entry(struct htok_set *set, size_t k, const char *s, const char *e, char *errstr, size_t errlen)
{
	trim(&s, &e);
	if (s == e) {
		snprintf(errstr, errlen, "HANDOFF_AGENT_TOKENS entry %zu is empty (want tenant=token,tenant=token)", k);
		return -1;
	}
	const char *eq = memchr(s, '=', (size_t)(e - s));
	if (!eq) {
		snprintf(errstr, errlen, "HANDOFF_AGENT_TOKENS entry %zu has no '=' (want tenant=token)", k);
		return -1;
	}
	const char *ts = s, *te = eq, *ks = eq + 1, *ke = e;
	trim(&ts, &te);
	trim(&ks, &ke);
	char tenant[65];
	size_t tl = (size_t)(te - ts);
	if (!tl || tl >= sizeof(tenant)) {
		snprintf(errstr, errlen, "HANDOFF_AGENT_TOKENS entry %zu: the tenant must be 1 to 64 characters", k);
		return -1;
	}
	memcpy(tenant, ts, tl);
	tenant[tl] = '\0';
	if (!util_valid_id(tenant, 64)) {
		snprintf(errstr, errlen,
			 "HANDOFF_AGENT_TOKENS entry %zu: tenant \"%s\" may hold only letters, digits, '.', '_', ':', '-'",
			 k, tenant);
		return -1;
	}
	size_t kl = (size_t)(ke - ks);
	if (kl < HTOK_MIN_LEN || kl > HTOK_MAX_LEN) {
		snprintf(errstr, errlen, "HANDOFF_AGENT_TOKENS entry %zu (tenant \"%s\"): the token is %zu characters, "
			 "it must be %d to %d", k, tenant, kl, HTOK_MIN_LEN, HTOK_MAX_LEN);
		return -1;
	}
	for (const char *p = ks; p < ke; p++) {
		if (*p < 0x21 || *p > 0x7e) {
			snprintf(errstr, errlen, "HANDOFF_AGENT_TOKENS entry %zu (tenant \"%s\"): the token may hold only "
				 "visible ASCII characters, no blanks", k, tenant);
			return -1;
		}
	}
	if (set->n >= HTOK_MAX_TENANTS) {
		snprintf(errstr, errlen, "HANDOFF_AGENT_TOKENS has more than %d entries", HTOK_MAX_TENANTS);
		return -1;
	}
	struct htok_tenant t;
	memset(&t, 0, sizeof(t));
	util_strlcpy(t.tenant, tenant, sizeof(t.tenant));
	digest(ks, kl, t.digest);
	if (set->has_operator && !memcmp(t.digest, set->operator_digest, HTOK_DIGEST_LEN)) {
		snprintf(errstr, errlen, "HANDOFF_AGENT_TOKENS entry %zu (tenant \"%s\"): the token is the operator's "
			 "HANDOFF_AGENT_TOKEN; give the tenant its own", k, tenant);
		return -1;
	}
	for (size_t i = 0; i < set->n; i++) {
		if (!strcmp(set->v[i].tenant, tenant)) {
			snprintf(errstr, errlen, "HANDOFF_AGENT_TOKENS names tenant \"%s\" twice (entries %zu and %zu)",
				 tenant, i + 1, k);
			return -1;
		}
		if (!memcmp(set->v[i].digest, t.digest, HTOK_DIGEST_LEN)) {
			snprintf(errstr, errlen, "HANDOFF_AGENT_TOKENS gives tenants \"%s\" and \"%s\" the same token",
				 set->v[i].tenant, tenant);
			return -1;
		}
	}
	set->v = xrealloc(set->v, (set->n + 1) * sizeof(*set->v));
	set->v[set->n++] = t;
	return 0;
}

int htok_set_init(struct htok_set *set, const char *operator_token, const char *spec, char *errstr,
		  size_t errlen)
{
	memset(set, 0, sizeof(*set));
	if (operator_token && *operator_token) {
		set->has_operator = 1;
		digest(operator_token, strlen(operator_token), set->operator_digest);
	}
	if (!spec)
		return 0;
	const char *s = spec;
	while (*s && blank(*s))
		s++;
	if (!*s)
		return 0;
	size_t k = 1;
	for (const char *p = spec;; k++) {
		const char *comma = strchr(p, ',');
		const char *e = comma ? comma : p + strlen(p);
		if (add_entry(set, k, p, e, errstr, errlen)) {
			htok_set_release(set);
			return -1;
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	return 0;
}

void htok_set_release(struct htok_set *set)
{
	free(set->v);
	memset(set, 0, sizeof(*set));
}

enum htok_who htok_match(const struct htok_set *set, const char *bearer, const char **tenant)
{
	*tenant = NULL;
	if (!bearer || !*bearer)
		return HTOK_NONE;
	unsigned char d[HTOK_DIGEST_LEN];
	digest(bearer, strlen(bearer), d);
	/* No early exit: every entry is compared. Tokens are distinct (see
	 * htok_set_init), so at most one matches. */
	int op = set->has_operator && CRYPTO_memcmp(d, set->operator_digest, HTOK_DIGEST_LEN) == 0;
	size_t hit = set->n;
	for (size_t i = 0; i < set->n; i++) {
		int eq = CRYPTO_memcmp(d, set->v[i].digest, HTOK_DIGEST_LEN) == 0;
		hit = eq ? i : hit;
	}
	if (op)
		return HTOK_OPERATOR;
	if (hit < set->n) {
		*tenant = set->v[hit].tenant;
		return HTOK_TENANT;
	}
	return HTOK_NONE;
}
