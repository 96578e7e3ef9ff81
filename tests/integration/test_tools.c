/* The orchestrator's tools against the running stack and the Halia Living
 * demo data: guest order look-ups (right and wrong e-mail) and stock with
 * the live price. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "util.h"

static const char *reply_text(const json_t *ev)
{
	const char *text = json_string_value(json_object_get(ev, "text"));
	cr_assert_not_null(text, "the reply has no text");
	return text;
}

/* "RM 1,499.00" from sen, as the orchestrator writes prices. */
static void format_rm(long long sen, char *out, size_t len)
{
	char digits[32], grouped[48];
	snprintf(digits, sizeof(digits), "%lld", sen / 100);
	size_t n = strlen(digits), j = 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			grouped[j++] = ',';
		grouped[j++] = digits[i];
	}
	grouped[j] = '\0';
	snprintf(out, len, "RM %s.%02lld", grouped, sen % 100);
}

Test(tools, guest_with_the_orders_email_sees_its_status)
{
	char sid[64];
	it_open_session(sid, sizeof(sid));
	json_t *ev = it_ask(sid, "I checked out as a guest: where is my order ORD-102173? My e-mail is ben.condo@example.com");
	const char *text = reply_text(ev);
	cr_assert(strstr(text, "ORD-102173"), "%s", text);
	cr_assert(strstr(text, "on its way"), "shipped status missing: %s", text);
	cr_assert(strstr(text, "Pos Laju") && strstr(text, "ER489462867MY"), "carrier and tracking missing: %s", text);
	cr_assert(strstr(text, "RM "), "total missing: %s", text);
	json_decref(ev);
}

Test(tools, guest_with_a_wrong_email_learns_nothing)
{
	char sid[64];
	it_open_session(sid, sizeof(sid));
	json_t *ev = it_ask(sid, "Where is my order ORD-102695? My e-mail is weiling.tan@example.my");
	const char *text = reply_text(ev);
	cr_assert(strstr(text, "couldn't find an order with those details"), "%s", text);
	cr_assert_null(strstr(text, "JTMY"), "tracking number leaked: %s", text);
	cr_assert_null(strstr(text, "J&T"), "carrier leaked: %s", text);
	cr_assert_null(strstr(text, "RM "), "total leaked: %s", text);
	cr_assert_null(strstr(text, "aisyah"), "owner leaked: %s", text);
	json_decref(ev);

	/* An order that does not exist gets the very same answer. */
	it_open_session(sid, sizeof(sid));
	json_t *none = it_ask(sid, "Where is my order ORD-999999? My e-mail is weiling.tan@example.my");
	ev = it_ask(sid, "Where is my order ORD-102695? My e-mail is weiling.tan@example.my");
	cr_assert_str_eq(reply_text(none), reply_text(ev));
	json_decref(none);
	json_decref(ev);
}

/* The demo catalogue's live price of sku, as a reply shows it. */
static void live_price(const char *sku, char *rm, size_t len)
{
	char *price = it_pg_wait("SELECT price_sen::text FROM prices WHERE tenant_id = 'demo' AND sku = $1", sku, 1000);
	cr_assert_not_null(price, "demo data missing: no price for %s", sku);
	long sen;
	cr_assert_eq(util_parse_long(price, 0, 1000000000L, &sen), 0);
	format_rm(sen, rm, len);
	free(price);
}

Test(tools, stock_of_a_sku_at_a_store_shows_the_live_price)
{
	char rm[64];
	live_price("HL-BED-0003", rm, sizeof(rm));

	char sid[64];
	it_open_session(sid, sizeof(sid));
	json_t *ev = it_ask(sid, "Is HL-BED-0003 in stock at Mid Valley?");
	const char *text = reply_text(ev);
	cr_assert(strstr(text, "HL-BED-0003") && strstr(text, "Damai Queen Bed Frame"), "%s", text);
	cr_assert(strstr(text, rm), "live price %s missing: %s", rm, text);
	cr_assert(strstr(text, "Mid Valley"), "%s", text);
	json_decref(ev);
}

Test(tools, unknown_sku_is_a_polite_answer)
{
	char sid[64];
	it_open_session(sid, sizeof(sid));
	json_t *ev = it_ask(sid, "Is HL-ZZZ-9999 in stock?");
	const char *text = reply_text(ev);
	cr_assert(strstr(text, "couldn't find that product"), "%s", text);
	json_decref(ev);
}

/* A price question that names a product, not its SKU, gets the live price
 * from the catalogue; one about a service's fee goes to the knowledge base. */
Test(tools, a_price_question_naming_a_product_gets_the_live_price)
{
	char rm[64];
	live_price("HL-SOFA-0016", rm, sizeof(rm));

	char sid[64];
	it_open_session(sid, sizeof(sid));
	json_t *ev = it_ask(sid, "what does the Kinabalu sectional cost?");
	const char *text = reply_text(ev);
	cr_assert(strstr(text, "HL-SOFA-0016") && strstr(text, rm), "live price %s of HL-SOFA-0016 missing: %s", rm, text);
	json_decref(ev);

	it_open_session(sid, sizeof(sid));
	ev = it_ask(sid, "what does it cost to have a bed frame assembled?");
	text = reply_text(ev);
	cr_assert_null(strstr(text, "HL-BED"), "an assembly fee answered with a bed's price: %s", text);
	json_decref(ev);
}
