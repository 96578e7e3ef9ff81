/* The orchestrator against the running stack and the demo retailer: L1
 * context for signed-in customers, follow-ups resolved from memory, the
 * start-a-return tool, knowledge gaps, and bad input that must never show
 * another customer's data. Signed-in turns are published to
 * chat.inbound.v1 directly, as the gateway will once it reads a JWT. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "util.h"

static const char *text_of(const json_t *ev)
{
	cr_assert_not_null(ev, "no reply within the time limit");
	const char *t = json_string_value(json_object_get(ev, "text"));
	cr_assert_not_null(t, "the reply has no text");
	return t;
}

Test(orch, signed_in_customer_sees_own_orders_and_picks_the_second, .timeout = 120)
{
	char sid[64];
	it_open_session(sid, sizeof(sid));
	json_t *ev = it_ask_as(sid, "CUST-1001", "Where is my order?", NULL, 30000);
	const char *t = text_of(ev);
	/* Newest first, from the customer's own orders, no e-mail asked. */
	cr_assert(strstr(t, "ORD-102893") && strstr(t, "ORD-102695"), "%s", t);
	cr_assert_null(strstr(t, "e-mail"), "a signed-in customer is not asked for an e-mail: %s", t);
	json_decref(ev);

	ev = it_ask_as(sid, "CUST-1001", "what about the second one?", NULL, 30000);
	t = text_of(ev);
	cr_assert(strstr(t, "ORD-102695") && strstr(t, "JTMY6861352767"), "second order expected: %s", t);
	json_decref(ev);
}

Test(orch, another_customers_order_is_not_shown, .timeout = 60)
{
	char sid[64];
	it_open_session(sid, sizeof(sid));
	/* ORD-102695 is CUST-1001's; CUST-1003 asks. */
	json_t *ev = it_ask_as(sid, "CUST-1003", "Where is my order ORD-102695?", NULL, 30000);
	const char *t = text_of(ev);
	cr_assert(strstr(t, "couldn't find an order"), "%s", t);
	cr_assert_null(strstr(t, "JTMY"), "tracking number leaked: %s", t);
	cr_assert_null(strstr(t, "RM "), "total leaked: %s", t);
	json_decref(ev);
}

Test(orch, malformed_order_id_gets_the_format, .timeout = 60)
{
	char sid[64];
	it_open_session(sid, sizeof(sid));
	json_t *ev = it_ask(sid, "Where is my order ORD-1A2B3C? e-mail ben.condo@example.com");
	const char *t = text_of(ev);
	cr_assert(strstr(t, "ORD-100234"), "the answer shows what an order number looks like: %s", t);
	cr_assert_null(strstr(t, "ER489462867MY"), "%s", t);
	json_decref(ev);
}

Test(orch, start_a_return_once_per_turn_and_only_in_the_window, .timeout = 120)
{
	/* ORD-101744: CUST-1003 (platinum), delivered about 12 days before the
	 * demo's today; earlier runs' requests are removed first. */
	free(it_pg_value("DELETE FROM return_requests WHERE order_id = $1", "ORD-101744", NULL));
	char sid[64], tid[40];
	it_open_session(sid, sizeof(sid));
	util_uuid(tid);
	json_t *ev = it_ask_as(sid, "CUST-1003", "I want to return order ORD-101744", tid, 30000);
	const char *t = text_of(ev);
	char *rid = it_pg_value("SELECT return_id FROM return_requests WHERE turn_id = $1", tid, NULL);
	cr_assert_not_null(rid, "no return request for the turn: %s", t);
	cr_assert(strstr(t, rid), "the answer names the return id %s: %s", rid, t);
	cr_assert(strstr(t, "Next steps"), "%s", t);
	json_decref(ev);

	/* The same turn again (a replay) opens nothing new. */
	it_ask_as(sid, "CUST-1003", "I want to return order ORD-101744", tid, 3000);
	char *n = it_pg_value("SELECT count(*) FROM return_requests WHERE order_id = $1", "ORD-101744", NULL);
	cr_assert_str_eq(n, "1");
	free(n);
	/* A new turn hears about the open one. */
	ev = it_ask_as(sid, "CUST-1003", "Please start a return for ORD-101744", NULL, 30000);
	t = text_of(ev);
	cr_assert(strstr(t, rid) && strstr(t, "already"), "%s", t);
	json_decref(ev);
	free(rid);

	/* Delivered months ago: past the 30-day window. */
	it_open_session(sid, sizeof(sid));
	ev = it_ask_as(sid, "CUST-1001", "I want to return order ORD-100189", NULL, 30000);
	t = text_of(ev);
	cr_assert(strstr(t, "return period"), "%s", t);
	cr_assert_null(strstr(t, "RET-"), "%s", t);
	json_decref(ev);
}

Test(orch, follow_ups_resolve_store_and_product_from_memory, .timeout = 90)
{
	char sid[64];
	it_open_session(sid, sizeof(sid));
	json_decref(it_ask(sid, "Is HL-BED-0003 in stock at Mid Valley?"));
	json_t *ev = it_ask(sid, "and in Penang?");
	const char *t = text_of(ev);
	cr_assert(strstr(t, "HL-BED-0003") && strstr(t, "Penang Gurney"), "%s", t);
	json_decref(ev);
	ev = it_ask(sid, "how much is it?");
	t = text_of(ev);
	cr_assert(strstr(t, "HL-BED-0003") && strstr(t, "RM 1,499.00"), "%s", t);
	json_decref(ev);
}

Test(orch, unanswered_turns_are_knowledge_gaps, .timeout = 60)
{
	char sid[64];
	it_open_session(sid, sizeof(sid));
	json_t *ev = it_ask(sid, "zorblax quibbity frandle");
	cr_assert_str_eq(json_string_value(json_object_get(ev, "action")), "clarify");
	const char *tid = json_string_value(json_object_get(ev, "turn_id"));
	char *action = it_pg_wait("SELECT action FROM knowledge_gaps WHERE turn_id = $1", tid, 15000);
	cr_assert_not_null(action, "no knowledge gap logged for turn %s", tid);
	cr_assert_str_eq(action, "clarify");
	free(action);
	json_decref(ev);
}

Test(orch, guest_with_a_wrong_email_and_unknown_sku, .timeout = 60)
{
	char sid[64];
	it_open_session(sid, sizeof(sid));
	json_t *ev = it_ask(sid, "I want to return order ORD-100491, my e-mail is someone.else@example.com");
	const char *t = text_of(ev);
	cr_assert(strstr(t, "couldn't find an order"), "%s", t);
	cr_assert_null(strstr(t, "ER250108705MY"), "%s", t);
	json_decref(ev);
	it_open_session(sid, sizeof(sid));
	ev = it_ask(sid, "How much is HL-ZZZ-9999?");
	t = text_of(ev);
	cr_assert(strstr(t, "couldn't find that product"), "%s", t);
	json_decref(ev);
}

/* A product search lists the catalogue's matches with live prices and
 * stock as cards; "the second one" then means the second listed. */
Test(orch, product_search_lists_live_cards_and_follow_ups_pick_from_them, .timeout = 90)
{
	char sid[64];
	it_open_session(sid, sizeof(sid));
	json_t *ev = it_ask(sid, "looking for a sofa bed");
	const char *t = text_of(ev);
	cr_assert(strstr(t, "Sofa Bed"), "%s", t);
	json_t *cards = json_object_get(ev, "cards");
	cr_assert(json_array_size(cards) >= 2, "%s", t);
	const char *second = json_string_value(json_object_get(json_array_get(cards, 1), "sku"));
	cr_assert_not_null(second);
	/* the card's price is the catalogue's, now */
	char *live = it_pg_wait("SELECT price_sen::text FROM prices WHERE sku = $1", second, 5000);
	cr_assert_not_null(live);
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(cards, 1), "price_sen")), atoll(live));
	free(live);
	char *sku = xstrdup(second);
	json_decref(ev);
	ev = it_ask(sid, "is the second one in stock?");
	t = text_of(ev);
	cr_assert(strstr(t, sku), "the second listed product (%s): %s", sku, t);
	free(sku);
	json_decref(ev);
	ev = it_ask(sid, "Do you sell televisions?");
	t = text_of(ev);
	cr_assert(strstr(t, "sofas, beds and mattresses"), "says what is sold: %s", t);
	json_decref(ev);
}
