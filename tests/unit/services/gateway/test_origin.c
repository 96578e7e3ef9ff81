/* origin: the GATEWAY_ALLOWED_ORIGINS list and the allowed-origin rule. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../testutil.h"
#include "services/gateway/origin.h"

TestSuite(origin, .fini = tu_leak_check);

Test(origin, listed_origins_match_exactly_and_without_case)
{
	struct gw_origins o;
	char err[256];
	cr_assert_eq(gw_origins_init(&o, " https://shop.example.com , http://shop.test:8080,", err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(o.n, 2);
	cr_assert_eq(o.any, 0);
	cr_assert(gw_origin_allowed(&o, "https://shop.example.com", "gw.example.net"));
	cr_assert(gw_origin_allowed(&o, "HTTPS://Shop.Example.com", "gw.example.net"));
	cr_assert(gw_origin_allowed(&o, "http://shop.test:8080", "gw.example.net"));
	cr_assert_not(gw_origin_allowed(&o, "http://shop.example.com", "gw.example.net"), "scheme differs");
	cr_assert_not(gw_origin_allowed(&o, "http://shop.test", "gw.example.net"), "port differs");
	cr_assert_not(gw_origin_allowed(&o, "https://shop.example.com.evil.test", "gw.example.net"));
	cr_assert_not(gw_origin_allowed(&o, "null", "gw.example.net"));
	cr_assert_not(gw_origin_allowed(&o, NULL, "gw.example.net"));
	gw_origins_release(&o);
}

Test(origin, empty_list_allows_only_the_gateways_own_host)
{
	struct gw_origins o;
	char err[256];
	cr_assert_eq(gw_origins_init(&o, "", err, sizeof(err)), 0);
	cr_assert_eq(o.n, 0);
	cr_assert(gw_origin_allowed(&o, "http://127.0.0.1:8080", "127.0.0.1:8081"), "widget page on the REST port");
	cr_assert(gw_origin_allowed(&o, "https://chat.example.com", "Chat.Example.com"));
	cr_assert(gw_origin_allowed(&o, "http://[::1]:8080", "[::1]:8081"));
	cr_assert_not(gw_origin_allowed(&o, "http://evil.test", "127.0.0.1:8081"));
	cr_assert_not(gw_origin_allowed(&o, "http://127.0.0.1.evil.test", "127.0.0.1:8081"));
	cr_assert_not(gw_origin_allowed(&o, "http://127.0.0.1:8080", NULL), "no Host: nothing to compare");
	cr_assert_not(gw_origin_allowed(&o, "ftp://127.0.0.1", "127.0.0.1"));
	cr_assert_not(gw_origin_allowed(NULL, "http://evil.test", "127.0.0.1"));
	gw_origins_release(&o);
}

Test(origin, star_allows_every_origin)
{
	struct gw_origins o;
	char err[256];
	cr_assert_eq(gw_origins_init(&o, "*", err, sizeof(err)), 0);
	cr_assert_eq(o.any, 1);
	cr_assert(gw_origin_allowed(&o, "https://anything.test", "gw.example.net"));
	cr_assert_not(gw_origin_allowed(&o, NULL, "gw.example.net"), "no Origin is no cross-origin request");
	gw_origins_release(&o);
}

Test(origin, entries_that_are_not_origins_are_refused_with_their_text)
{
	static const char *const bad[] = { "shop.example.com", "https://shop.example.com/", "https://shop.example.com/x",
					   "https://", "https://a b", "https://shop:99999", "https://shop:",
					   "file:///etc", "https://[::1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct gw_origins o;
		char err[256] = "";
		cr_assert_eq(gw_origins_init(&o, bad[i], err, sizeof(err)), -1, "\"%s\" was accepted", bad[i]);
		cr_assert_not_null(strstr(err, bad[i]), "the message does not quote \"%s\": %s", bad[i], err);
		cr_assert_eq(o.n, 0);
		cr_assert_null(o.list);
	}
}

Test(origin, same_host_ignores_the_port_only)
{
	cr_assert(gw_origin_same_host("http://gw.test:8080", "gw.test"));
	cr_assert(gw_origin_same_host("https://gw.test", "gw.test:443"));
	cr_assert_not(gw_origin_same_host("https://gw.test", "other.test"));
	cr_assert_not(gw_origin_same_host("https://gw.test/path", "gw.test"));
	cr_assert_not(gw_origin_same_host("gw.test", "gw.test"));
	cr_assert_not(gw_origin_same_host("https://gw.test", "gw.test:x"));
	cr_assert_not(gw_origin_same_host(NULL, "gw.test"));
}
