/* tokens: parsing HANDOFF_AGENT_TOKENS and telling whose a bearer token is. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../testutil.h"
#include "services/handoff/tokens.h"

TestSuite(tokens, .fini = tu_leak_check);

#define OP "operator-token"
#define DEMO "demo-token-0123456789"
#define ACME "acme-token-0123456789"

/* The error htok_set_init gives spec with the operator token OP, or ""
 * when it accepts it. */
static const char *refusal(const char *spec)
{
	static char errstr[256];
	struct htok_set set;
	errstr[0] = '\0';
	int rc = htok_set_init(&set, OP, spec, errstr, sizeof(errstr));
	cr_assert_eq(rc == 0, errstr[0] == '\0', "rc %d with errstr \"%s\"", rc, errstr);
	if (rc)
		cr_assert_eq(set.n, 0, "a refused spec leaves the set empty");
	htok_set_release(&set);
	return errstr;
}

Test(tokens, parses_pairs_and_matches_each)
{
	struct htok_set set;
	char errstr[256] = "";
	int rc = htok_set_init(&set, OP, " demo = " DEMO " ,acme-test=" ACME, errstr, sizeof(errstr));
	cr_assert_eq(rc, 0, "%s", errstr);
	cr_assert_eq(set.n, 2);
	const char *tenant = "unset";
	cr_assert_eq(htok_match(&set, DEMO, &tenant), HTOK_TENANT);
	cr_assert_str_eq(tenant, "demo");
	cr_assert_eq(htok_match(&set, ACME, &tenant), HTOK_TENANT);
	cr_assert_str_eq(tenant, "acme-test");
	cr_assert_eq(htok_match(&set, OP, &tenant), HTOK_OPERATOR);
	cr_assert_null(tenant, "the operator has no tenant");
	htok_set_release(&set);
}

Test(tokens, refuses_near_misses)
{
	struct htok_set set;
	char errstr[256] = "";
	cr_assert_eq(htok_set_init(&set, OP, "demo=" DEMO, errstr, sizeof(errstr)), 0, "%s", errstr);
	const char *tenant = "unset";
	static const char *const wrong[] = { "", DEMO "x", "demo-token-012345678", "DEMO-TOKEN-0123456789",
					     OP "x", "demo", " " DEMO };
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		cr_assert_eq(htok_match(&set, wrong[i], &tenant), HTOK_NONE, "\"%s\" matched", wrong[i]);
		cr_assert_null(tenant);
	}
	cr_assert_eq(htok_match(&set, NULL, &tenant), HTOK_NONE);
	htok_set_release(&set);
}

Test(tokens, empty_spec_and_no_operator)
{
	struct htok_set set;
	char errstr[256] = "";
	cr_assert_eq(htok_set_init(&set, "", "  ", errstr, sizeof(errstr)), 0, "%s", errstr);
	cr_assert_eq(set.n, 0);
	const char *tenant;
	cr_assert_eq(htok_match(&set, "", &tenant), HTOK_NONE, "no operator token: the empty bearer is nobody");
	cr_assert_eq(htok_match(&set, "anything-at-all-here", &tenant), HTOK_NONE);
	htok_set_release(&set);
	cr_assert_eq(htok_set_init(&set, NULL, NULL, errstr, sizeof(errstr)), 0, "%s", errstr);
	cr_assert_eq(htok_match(&set, OP, &tenant), HTOK_NONE);
	htok_set_release(&set);
}

Test(tokens, token_may_hold_equals_signs)
{
	struct htok_set set;
	char errstr[256] = "";
	cr_assert_eq(htok_set_init(&set, OP, "demo=abc+/def==ghijklmnop==", errstr, sizeof(errstr)), 0, "%s", errstr);
	const char *tenant;
	cr_assert_eq(htok_match(&set, "abc+/def==ghijklmnop==", &tenant), HTOK_TENANT);
	cr_assert_str_eq(tenant, "demo");
	htok_set_release(&set);
}

Test(tokens, malformed_specs_are_refused_with_the_reason)
{
	cr_assert_str_eq(refusal("demo=" DEMO), "");
	cr_assert(strstr(refusal("demo"), "entry 1 has no '='"), "%s", refusal("demo"));
	cr_assert(strstr(refusal("demo=" DEMO ",acme"), "entry 2 has no '='"));
	cr_assert(strstr(refusal("demo=" DEMO ","), "entry 2 is empty"));
	cr_assert(strstr(refusal(",demo=" DEMO), "entry 1 is empty"));
	cr_assert(strstr(refusal("=" DEMO), "tenant must be 1 to 64"));
	cr_assert(strstr(refusal("de mo=" DEMO), "tenant \"de mo\" may hold only"));
	cr_assert(strstr(refusal("demo/x=" DEMO), "may hold only"));
	const char *r = refusal("demo=short-token");
	cr_assert(strstr(r, "the token is 11 characters, it must be 16 to 256"), "%s", r);
	cr_assert(strstr(refusal("demo=0123456789abcde"), "the token is 15 characters"));
	cr_assert_str_eq(refusal("demo=0123456789abcdef"), "", "16 characters is enough");
	cr_assert(strstr(refusal("demo=0123456789 abcdef"), "visible ASCII"));
	cr_assert(strstr(refusal("demo=" DEMO ",demo=" ACME), "tenant \"demo\" twice"));
	cr_assert(strstr(refusal("demo=" DEMO ",acme=" DEMO), "the same token"));
	cr_assert_str_eq(refusal("demo=" OP "-but-longer"), "", "a token may start like the operator's");
}

Test(tokens, the_operator_token_cannot_be_a_tenants)
{
	struct htok_set set;
	char errstr[256] = "";
	int rc = htok_set_init(&set, "an-operator-token-xyz", "demo=an-operator-token-xyz", errstr, sizeof(errstr));
	cr_assert_eq(rc, -1);
	cr_assert(strstr(errstr, "operator's"), "%s", errstr);
	htok_set_release(&set);
}

Test(tokens, errors_never_quote_the_token)
{
	static const char *const specs[] = { "demo=secret-short", "demo=secret value with blanks",
					     "demo=secret-token-000000001,acme=secret-token-000000001" };
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		const char *r = refusal(specs[i]);
		cr_assert_neq(*r, '\0', "\"%s\" refused", specs[i]);
		cr_assert_null(strstr(r, "secret"), "the error quotes the token: %s", r);
	}
}

Test(tokens, too_long_token_and_too_many_entries)
{
	char spec[400];
	memset(spec, 'x', sizeof(spec));
	memcpy(spec, "demo=", 5);
	spec[5 + HTOK_MAX_LEN] = '\0';
	cr_assert_str_eq(refusal(spec), "", "%d characters is the most", HTOK_MAX_LEN);
	spec[5 + HTOK_MAX_LEN] = 'x';
	spec[6 + HTOK_MAX_LEN] = '\0';
	cr_assert(strstr(refusal(spec), "it must be 16 to 256"));

	size_t cap = (HTOK_MAX_TENANTS + 1) * 48;
	char *many = xmalloc(cap);
	size_t len = 0;
	for (int i = 0; i <= HTOK_MAX_TENANTS; i++)
		len += (size_t)snprintf(many + len, cap - len, "%st%d=token-number-%06d", i ? "," : "", i, i);
	cr_assert(strstr(refusal(many), "more than 1024 entries"), "%s", refusal(many));
	free(many);
}
