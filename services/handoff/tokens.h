/* tokens: whose bearer token a request of the agent API carries: the
 * operator's (HANDOFF_AGENT_TOKEN, every tenant) or one tenant's agents'
 * (HANDOFF_AGENT_TOKENS), matched in constant time. */
#ifndef SERVICES_HANDOFF_TOKENS_H
#define SERVICES_HANDOFF_TOKENS_H

#include <stddef.h>

#define HTOK_MIN_LEN 16	     /* characters of a tenant token, at least */
#define HTOK_MAX_LEN 256     /* and at most */
#define HTOK_MAX_TENANTS 1024
#define HTOK_DIGEST_LEN 32

/* Tokens are kept as SHA-256 digests: every comparison is between two
 * 32-byte values, so its time says nothing about a token's length or how
 * much of it a guess got right. */
struct htok_tenant {
	char tenant[65];
	unsigned char digest[HTOK_DIGEST_LEN];
};

struct htok_set {
	int has_operator;
	unsigned char operator_digest[HTOK_DIGEST_LEN];
	struct htok_tenant *v;
	size_t n;
};

enum htok_who { HTOK_NONE, HTOK_OPERATOR, HTOK_TENANT };

/* Fill set from the operator token ("" for none) and spec, the value of
 * HANDOFF_AGENT_TOKENS: comma-separated tenant=token pairs ("" for none;
 * blanks around an entry and around '=' are ignored). A tenant is an id
 * (letters, digits, '.', '_', ':', '-'; at most 64); a token is 16 to 256
 * visible ASCII characters other than ','. A tenant named twice, a token
 * given to two tenants or equal to the operator token is an error too.
 * 0, or -1 with errstr naming the entry (never its token) and set left
 * empty. Release the set with htok_set_release either way. */
int htok_set_init(struct htok_set *set, const char *operator_token, const char *spec, char *errstr,
		  size_t errlen);
void htok_set_release(struct htok_set *set);

/* Whose token bearer is (NULL: none given). For HTOK_TENANT *tenant points
 * at the tenant id inside set. Every entry is compared whichever matches. */
enum htok_who htok_match(const struct htok_set *set, const char *bearer, const char **tenant);

#endif
