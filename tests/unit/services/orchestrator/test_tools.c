/* orchestrator tools: order status, stock, loyalty, promotions and store
 * hours through fake orch_tools, with authorization and outages. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../testutil.h"
#include "services/orchestrator/orchestrator.h"
#include "topics.h"

TestSuite(tools, .fini = tu_leak_check);

struct fake_tools {
	int rc;	       /* returned by every tool when negative */
	int calls;     /* tool calls of any kind */
	int order_found;
	struct orch_order order;
	struct orch_product prods[3];
	int n_prods;
	char last_sku[64], last_words[512], last_tenant[32];
	struct orch_stock stock[5];
	int n_stock;
	int has_loyalty;
	struct orch_loyalty loyalty;
	int n_promos;
	struct orch_store_info stores[5];
	int n_stores;
};

static int f_find_order(void *arg, const char *tenant, const char *order_id, struct orch_order *out)
{
	struct fake_tools *f = arg;
	f->calls++;
	snprintf(f->last_tenant, sizeof(f->last_tenant), "%s", tenant);
	if (f->rc < 0)
		return f->rc;
	if (!f->order_found || strcmp(order_id, f->order.order_id))
		return 0;
	*out = f->order;
	return 1;
}

static int f_find_products(void *arg, const char *tenant, const char *sku, const char *words,
			   struct orch_product *out, int max)
{
	struct fake_tools *f = arg;
	(void)tenant;
	f->calls++;
	snprintf(f->last_sku, sizeof(f->last_sku), "%s", sku ? sku : "");
	snprintf(f->last_words, sizeof(f->last_words), "%s", words ? words : "");
	if (f->rc < 0)
		return f->rc;
	int n = 0;
	for (int i = 0; i < f->n_prods && n < max; i++)
		if (!sku || !strcasecmp(sku, f->prods[i].sku))
			out[n++] = f->prods[i];
	return n;
}

static int f_stock(void *arg, const char *tenant, const char *sku, struct orch_stock *out, int max)
{
	struct fake_tools *f = arg;
	(void)tenant;
	(void)sku;
	f->calls++;
	if (f->rc < 0)
		return f->rc;
	int n = f->n_stock < max ? f->n_stock : max;
	memcpy(out, f->stock, (size_t)n * sizeof(*out));
	return n;
}

static int f_loyalty(void *arg, const char *tenant, const char *customer_id, struct orch_loyalty *out)
{
	struct fake_tools *f = arg;
	(void)tenant;
	(void)customer_id;
	f->calls++;
	if (f->rc < 0)
		return f->rc;
	if (!f->has_loyalty)
		return 0;
	*out = f->loyalty;
	return 1;
}

static int f_promotions(void *arg, const char *tenant, struct orch_promo *out, int max)
{
	struct fake_tools *f = arg;
	(void)tenant;
	f->calls++;
	if (f->rc < 0)
		return f->rc;
	int n = f->n_promos < max ? f->n_promos : max;
	for (int i = 0; i < n; i++) {
		snprintf(out[i].title, sizeof(out[i].title), "Promo %d", i + 1);
		snprintf(out[i].description, sizeof(out[i].description), "Description %d", i + 1);
	}
	return n;
}

static int f_stores(void *arg, const char *tenant, struct orch_store_info *out, int max)
{
	struct fake_tools *f = arg;
	(void)tenant;
	f->calls++;
	if (f->rc < 0)
		return f->rc;
	int n = f->n_stores < max ? f->n_stores : max;
	memcpy(out, f->stores, (size_t)n * sizeof(*out));
	return n;
}

static int f_load(void *arg, Chat__Turn *turn, int max)
{
	(void)arg;
	(void)turn;
	(void)max;
	return 0;
}

static struct orch make_orch(struct fake_tools *f)
{
	struct orch o = { { f_load, NULL, NULL, NULL },
			  10,
			  { f_find_order, f_find_products, f_stock, f_loyalty, f_promotions, f_stores, f },
			  ORCH_MIN_CONFIDENCE_DEFAULT, { 0 }, 0 };
	return o;
}

static void add_entity(Chat__Turn *t, const char *type, const char *value)
{
	Chat__Entity *e = xmalloc(sizeof(*e));
	chat__entity__init(e);
	e->type = xstrdup(type);
	e->value = xstrdup(value);
	const char *at = strstr(t->text, value);
	e->start = at ? (int32_t)(at - t->text) : 0;
	e->end = at ? e->start + (int32_t)strlen(value) : 0;
	t->entities = xrealloc(t->entities, (t->n_entities + 1) * sizeof(*t->entities));
	t->entities[t->n_entities++] = e;
}

static void login(Chat__Turn *t, const char *customer_id)
{
	Chat__Customer *c = xmalloc(sizeof(*c));
	chat__customer__init(c);
	c->id = xstrdup(customer_id);
	c->locale = xstrdup("en-MY");
	c->loyalty_tier = xstrdup("");
	c->authenticated = 1;
	t->customer = c;
}

static Chat__Turn *ask(const char *intent, const char *lang, const char *text)
{
	Chat__Turn *t = tu_turn("s1", "t1", text);
	turn_set_str(&t->tenant_id, "demo");
	turn_set_str(&t->intent, intent);
	turn_set_str(&t->language, lang);
	t->confidence = 0.95f;
	return t;
}

/* Route t and check what every tool answer has in common. */
static void run(struct orch *o, Chat__Turn *t)
{
	struct turn_dests d = { .n = 0 };
	char err[128] = "";
	cr_assert_eq(orch_route(o, t, &d, err, sizeof(err)), 0);
	cr_assert_eq(t->route, CHAT__ROUTE__ROUTE_TOOL);
	cr_assert_eq(d.n, 1);
	cr_assert_str_eq(d.topic[0], TOPIC_DRAFTED);
	cr_assert_not_null(t->draft);
	cr_assert_str_eq(t->draft->producer, "orchestrator/tool");
	cr_assert_neq(t->draft->text[0], '\0');
	cr_assert_eq(t->n_tool_results, 1);
	cr_assert_str_eq(t->tool_results[0]->tool, t->intent);
}

static void demo_order(struct fake_tools *f)
{
	f->order_found = 1;
	struct orch_order o = { "ORD-102695", "CUST-1001", "aisyah.kamal@example.com", "shipped", "2026-11-18",
				"J&T Express", "JTMY6861352767", 152560, 3, -1, 30 };
	f->order = o;
}

Test(tools, ringgit_is_formatted_from_sen)
{
	char buf[48];
	orch_format_rm(129900, buf, sizeof(buf));
	cr_assert_str_eq(buf, "RM 1,299.00");
	orch_format_rm(990, buf, sizeof(buf));
	cr_assert_str_eq(buf, "RM 9.90");
	orch_format_rm(0, buf, sizeof(buf));
	cr_assert_str_eq(buf, "RM 0.00");
	orch_format_rm(123456789, buf, sizeof(buf));
	cr_assert_str_eq(buf, "RM 1,234,567.89");
	orch_format_rm(100000, buf, sizeof(buf));
	cr_assert_str_eq(buf, "RM 1,000.00");
}

Test(tools, fill_replaces_placeholders_in_any_order)
{
	char buf[64];
	const char *args[] = { "a", "bb" };
	orch_fill(buf, sizeof(buf), "{2}-{1}-{3}-{x}", args, 2);
	cr_assert_str_eq(buf, "bb-a--{x}");
	orch_fill(buf, 5, "{1}{2}{2}{2}", args, 2);
	cr_assert_str_eq(buf, "abbb", "truncated to fit");
}

Test(tools, guest_with_the_right_email_sees_the_order)
{
	struct fake_tools f = { 0 };
	demo_order(&f);
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("order_status", "en", "Where is ORD-102695? Aisyah.Kamal@Example.com");
	add_entity(t, "order_id", "ORD-102695");
	add_entity(t, "email", "Aisyah.Kamal@Example.com");
	run(&o, t);
	cr_assert_str_eq(f.last_tenant, "demo");
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_ANSWER);
	const char *txt = t->draft->text;
	cr_assert(strstr(txt, "ORD-102695") && strstr(txt, orch_template("status_shipped", "en")), "%s", txt);
	cr_assert(strstr(txt, "2026-11-18") && strstr(txt, "3 item") && strstr(txt, "RM 1,525.60"), "%s", txt);
	cr_assert(strstr(txt, "J&T Express") && strstr(txt, "JTMY6861352767"), "%s", txt);
	cr_assert(t->tool_results[0]->ok);
	cr_assert(strstr(t->tool_results[0]->json, "\"status\":\"shipped\""), "%s", t->tool_results[0]->json);
	turn_free(t);
}

Test(tools, tracking_only_once_shipped)
{
	struct fake_tools f = { 0 };
	demo_order(&f);
	snprintf(f.order.status, sizeof(f.order.status), "paid");
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("order_status", "en", "ORD-102695 aisyah.kamal@example.com");
	add_entity(t, "order_id", "ORD-102695");
	add_entity(t, "email", "aisyah.kamal@example.com");
	run(&o, t);
	cr_assert(strstr(t->draft->text, orch_template("status_paid", "en")));
	cr_assert_null(strstr(t->draft->text, "JTMY"));
	turn_free(t);
}

/* The answers that must not tell an order exists, for the same order id. */
static void assert_not_found(const Chat__Turn *t, const char *lang)
{
	cr_assert_str_eq(t->draft->text, orch_template("order_not_found", lang));
	cr_assert(t->tool_results[0]->ok);
	cr_assert_str_eq(t->tool_results[0]->json, "{\"found\":false}");
	cr_assert_eq(t->draft->n_cards, 0);
}

Test(tools, guest_with_a_wrong_email_gets_not_found)
{
	struct fake_tools f = { 0 };
	demo_order(&f);
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("order_status", "ms", "ORD-102695 weiling.tan@example.my");
	add_entity(t, "order_id", "ORD-102695");
	add_entity(t, "email", "weiling.tan@example.my");
	run(&o, t);
	assert_not_found(t, "ms");
	cr_assert_null(strstr(t->draft->text, "JTMY"));
	turn_free(t);
}

Test(tools, unknown_order_reads_like_someone_elses)
{
	struct fake_tools f = { 0 };
	demo_order(&f);
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("order_status", "en", "ORD-999999 aisyah.kamal@example.com");
	add_entity(t, "order_id", "ORD-999999");
	add_entity(t, "email", "aisyah.kamal@example.com");
	run(&o, t);
	assert_not_found(t, "en");
	turn_free(t);
}

Test(tools, customer_sees_only_own_orders)
{
	struct fake_tools f = { 0 };
	demo_order(&f);
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("order_status", "en", "where is ORD-102695");
	add_entity(t, "order_id", "ORD-102695");
	login(t, "CUST-1002");
	run(&o, t);
	assert_not_found(t, "en");
	turn_free(t);

	t = ask("order_status", "en", "where is ORD-102695");
	add_entity(t, "order_id", "ORD-102695");
	login(t, "CUST-1001");
	run(&o, t);
	cr_assert(strstr(t->draft->text, "JTMY6861352767"), "own order, no e-mail needed: %s", t->draft->text);
	turn_free(t);
}

Test(tools, authenticated_but_not_logged_in_is_a_guest)
{
	struct fake_tools f = { 0 };
	demo_order(&f);
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("order_status", "en", "where is ORD-102695");
	add_entity(t, "order_id", "ORD-102695");
	login(t, "CUST-1001");
	t->customer->authenticated = 0;
	run(&o, t);
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_CLARIFY);
	cr_assert(strstr(t->draft->text, "ORD-102695"), "asks for the e-mail: %s", t->draft->text);
	cr_assert_eq(f.calls, 0, "nothing looked up before the e-mail is given");
	turn_free(t);
}

Test(tools, missing_order_id_is_asked_for)
{
	struct fake_tools f = { 0 };
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("order_status", "zh", "我的订单在哪里");
	run(&o, t);
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_CLARIFY);
	cr_assert_str_eq(t->draft->text, orch_template("order_need_id_email", "zh"));
	turn_free(t);

	t = ask("order_status", "en", "where is my order");
	login(t, "CUST-1001");
	run(&o, t);
	cr_assert_str_eq(t->draft->text, orch_template("order_need_id", "en"));
	cr_assert_eq(f.calls, 0);
	turn_free(t);
}

Test(tools, malformed_order_id_is_refused_without_a_lookup)
{
	struct fake_tools f = { 0 };
	demo_order(&f);
	struct orch o = make_orch(&f);
	static const char *const bad[] = { "123456789012", "ORD-", "ORD-12AB", "ORD-1234567890123456789", "ORD-1'--" };
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		Chat__Turn *t = ask("order_status", "en", "my order");
		add_entity(t, "order_id", bad[i]);
		add_entity(t, "email", "aisyah.kamal@example.com");
		run(&o, t);
		cr_assert_str_eq(t->draft->text, orch_template("order_malformed", "en"), "%s", bad[i]);
		turn_free(t);
	}
	cr_assert_eq(f.calls, 0);
}

Test(tools, lower_case_order_id_is_accepted)
{
	struct fake_tools f = { 0 };
	demo_order(&f);
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("order_status", "en", "ord-102695 aisyah.kamal@example.com");
	add_entity(t, "order_id", "ord-102695");
	add_entity(t, "email", "aisyah.kamal@example.com");
	run(&o, t);
	cr_assert(strstr(t->draft->text, "ORD-102695 "), "%s", t->draft->text);
	turn_free(t);
}

/* Every tool, with the database down (-1) or refusing (-2). */
Test(tools, database_trouble_is_a_polite_answer)
{
	static const char *const intents[] = { "order_status", "stock_check", "loyalty_points", "promotions",
					       "store_info" };
	for (int rc = -2; rc <= -1; rc++) {
		for (size_t i = 0; i < ARRAY_LEN(intents); i++) {
			struct fake_tools f = { .rc = rc };
			struct orch o = make_orch(&f);
			Chat__Turn *t = ask(intents[i], "ms", "ORD-102695 a@example.com HL-BED-0003");
			add_entity(t, "order_id", "ORD-102695");
			add_entity(t, "email", "a@example.com");
			add_entity(t, "sku", "HL-BED-0003");
			login(t, "CUST-1001");
			t->customer->authenticated = strcmp(intents[i], "order_status") != 0;
			run(&o, t);
			cr_assert_eq(f.calls, 1, "%s", intents[i]);
			cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_ANSWER);
			cr_assert_str_eq(t->draft->text, orch_template("tool_unavailable", "ms"), "%s", intents[i]);
			cr_assert_not(t->tool_results[0]->ok);
			cr_assert_neq(t->tool_results[0]->error[0], '\0');
			turn_free(t);
		}
	}
}

static void demo_bed(struct fake_tools *f)
{
	struct orch_product p = { "HL-BED-0003", "Damai Queen Bed Frame, Charcoal Grey", "MYR", 149900, 0 };
	f->prods[0] = p;
	f->n_prods = 1;
	struct orch_stock s[] = { { "JHR-JB", "Halia Living Johor Bahru", 12 },
				  { "KL-MVM", "Halia Living Mid Valley", 0 },
				  { "PNG-GUR", "Halia Living Penang Gurney", 2 } };
	memcpy(f->stock, s, sizeof(s));
	f->n_stock = 3;
}

Test(tools, stock_by_sku_lists_every_store_with_the_live_price)
{
	struct fake_tools f = { 0 };
	demo_bed(&f);
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("stock_check", "en", "Is HL-BED-0003 in stock?");
	add_entity(t, "sku", "HL-BED-0003");
	run(&o, t);
	const char *txt = t->draft->text;
	cr_assert_str_eq(f.last_sku, "HL-BED-0003");
	cr_assert(strstr(txt, "Damai Queen Bed Frame") && strstr(txt, "RM 1,499.00"), "%s", txt);
	cr_assert(strstr(txt, "Johor Bahru: in stock"), "%s", txt);
	cr_assert(strstr(txt, "Mid Valley: out of stock"), "%s", txt);
	cr_assert(strstr(txt, "Penang Gurney: only 2 left"), "%s", txt);
	cr_assert_eq(t->draft->n_cards, 1);
	Chat__ProductCard *c = t->draft->cards[0];
	cr_assert_str_eq(c->sku, "HL-BED-0003");
	cr_assert_eq(c->price_sen, 149900);
	cr_assert_str_eq(c->currency, "MYR");
	cr_assert_eq(c->stock, 14);
	cr_assert(strstr(t->tool_results[0]->json, "\"price_sen\":149900"), "%s", t->tool_results[0]->json);
	turn_free(t);
}

Test(tools, stock_at_one_store_points_elsewhere_when_out)
{
	struct fake_tools f = { 0 };
	demo_bed(&f);
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("stock_check", "en", "Is HL-BED-0003 in stock at Mid Valley?");
	add_entity(t, "sku", "HL-BED-0003");
	add_entity(t, "store", "Mid Valley");
	run(&o, t);
	const char *txt = t->draft->text;
	cr_assert(strstr(txt, "Mid Valley: out of stock"), "%s", txt);
	cr_assert_null(strstr(txt, "- Halia Living Johor Bahru"), "only the asked store is listed: %s", txt);
	cr_assert(strstr(txt, "Johor Bahru, Halia Living Penang Gurney"), "%s", txt);
	cr_assert_eq(t->draft->cards[0]->stock, 0);
	turn_free(t);
}

Test(tools, unknown_sku_is_a_polite_not_found)
{
	struct fake_tools f = { 0 };
	demo_bed(&f);
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("stock_check", "zh", "HL-XYZ-9999 有货吗");
	add_entity(t, "sku", "HL-XYZ-9999");
	run(&o, t);
	cr_assert_str_eq(t->draft->text, orch_template("product_not_found", "zh"));
	cr_assert_eq(t->draft->n_cards, 0);
	cr_assert_eq(f.calls, 1, "no stock read for an unknown product");
	turn_free(t);
}

Test(tools, product_name_words_leave_out_filler_and_entities)
{
	struct fake_tools f = { 0 };
	demo_bed(&f);
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("stock_check", "en", "Do you have the Damai queen bed at Mid Valley?");
	add_entity(t, "store", "Mid Valley");
	run(&o, t);
	cr_assert_str_eq(f.last_sku, "");
	cr_assert_str_eq(f.last_words, "damai | queen | bed");
	cr_assert(strstr(t->draft->text, "RM 1,499.00"));
	turn_free(t);
}

Test(tools, no_product_words_asks_for_the_product)
{
	struct fake_tools f = { 0 };
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("stock_check", "en", "is it in stock?");
	run(&o, t);
	cr_assert_str_eq(t->draft->text, orch_template("product_not_found", "en"));
	cr_assert_eq(f.calls, 0);
	turn_free(t);
}

Test(tools, several_equal_matches_are_offered_as_quick_replies)
{
	struct fake_tools f = { 0 };
	struct orch_product p[] = { { "HL-SOFA-0001", "Sofa One", "MYR", 100000, 0.5 },
				    { "HL-SOFA-0002", "Sofa Two", "MYR", 200000, 0.5 },
				    { "HL-SOFA-0003", "Sofa Three", "MYR", 300000, 0.5 } };
	memcpy(f.prods, p, sizeof(p));
	f.n_prods = 3;
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("stock_check", "en", "Is the sofa in stock?");
	run(&o, t);
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_CLARIFY);
	cr_assert_str_eq(t->draft->text, orch_template("product_choose", "en"));
	cr_assert_eq(t->draft->n_quick_replies, 3);
	cr_assert_str_eq(t->draft->quick_replies[1]->title, "Sofa Two");
	cr_assert_str_eq(t->draft->quick_replies[1]->payload, "Is HL-SOFA-0002 in stock?");
	cr_assert_eq(f.calls, 1, "no stock read before a product is chosen");
	turn_free(t);

	f.prods[0].rank = 0.9;
	f.calls = 0;
	t = ask("stock_check", "en", "Is the sofa one in stock?");
	run(&o, t);
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_ANSWER, "a clear best match is answered");
	cr_assert_str_eq(t->draft->cards[0]->sku, "HL-SOFA-0001");
	turn_free(t);
}

Test(tools, product_search_lists_matches_with_live_price_and_stock)
{
	struct fake_tools f = { 0 };
	struct orch_product p[] = { { "HL-TBL-0009", "Melaka 4-Seater Dining Table", "MYR", 89900, 0.6 },
				    { "HL-TBL-0010", "Melaka 6-Seater Dining Table", "MYR", 129900, 0.6 } };
	memcpy(f.prods, p, sizeof(p));
	f.n_prods = 2;
	struct orch_stock s[] = { { "KL-MVM", "Halia Living Mid Valley", 2 }, { "PNG-GUR", "Halia Living Penang Gurney", 0 } };
	memcpy(f.stock, s, sizeof(s));
	f.n_stock = 2;
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("product_search", "en", "Do you sell dining tables?");
	cr_assert_str_eq(orch_tool_for(t), "product_search");
	run(&o, t);
	cr_assert_str_eq(f.last_words, "(dining:*) | (tables:* | table:*)", "each word a prefix, with its singular");
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_ANSWER);
	const char *txt = t->draft->text;
	cr_assert(strstr(txt, "Melaka 4-Seater Dining Table (HL-TBL-0009): RM 899.00"), "%s", txt);
	cr_assert(strstr(txt, "Melaka 6-Seater Dining Table (HL-TBL-0010): RM 1,299.00"), "%s", txt);
	cr_assert_eq(t->draft->n_cards, 2);
	cr_assert_eq(t->draft->cards[1]->price_sen, 129900);
	cr_assert_eq(t->draft->cards[0]->stock, 2, "stock summed over the stores");
	cr_assert(strstr(t->tool_results[0]->json, "\"candidates\":[\"HL-TBL-0009\",\"HL-TBL-0010\"]"), "%s",
		  t->tool_results[0]->json);
	turn_free(t);
}

Test(tools, product_search_without_a_match_says_what_is_sold)
{
	struct fake_tools f = { 0 };
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("product_search", "ms", "ada jual laptops?");
	run(&o, t);
	cr_assert_str_eq(f.last_words, "(laptops:* | laptop:*)");
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_ANSWER);
	cr_assert_str_eq(t->draft->text, orch_template("search_none", "ms"));
	cr_assert_eq(t->draft->n_cards, 0);
	turn_free(t);
	t = ask("product_search", "en", "do you have any?");
	cr_assert_str_eq(orch_tool_for(t), "", "no product words: the knowledge base");
	turn_free(t);
}

Test(tools, loyalty_needs_a_login)
{
	struct fake_tools f = { 0 };
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("loyalty_points", "en", "how many points do I have");
	run(&o, t);
	cr_assert_str_eq(t->draft->text, orch_template("loyalty_login", "en"));
	cr_assert_eq(f.calls, 0);
	turn_free(t);
}

Test(tools, loyalty_shows_points_tier_and_progress)
{
	struct fake_tools f = { .has_loyalty = 1 };
	struct orch_loyalty l = { "gold", "platinum", 13710, 15000 };
	f.loyalty = l;
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("loyalty_points", "en", "how many points do I have");
	login(t, "CUST-1001");
	run(&o, t);
	const char *txt = t->draft->text;
	cr_assert(strstr(txt, "13710 points") && strstr(txt, "Gold"), "%s", txt);
	cr_assert(strstr(txt, "1290 more points to reach Platinum"), "%s", txt);
	turn_free(t);

	struct orch_loyalty top = { "platinum", "", 21841, 0 };
	f.loyalty = top;
	t = ask("loyalty_points", "en", "my points");
	login(t, "CUST-1003");
	run(&o, t);
	cr_assert(strstr(t->draft->text, orch_template("loyalty_top", "en") + 1), "%s", t->draft->text);
	turn_free(t);

	f.has_loyalty = 0;
	t = ask("loyalty_points", "en", "my points");
	login(t, "CUST-9999");
	run(&o, t);
	cr_assert_str_eq(t->draft->text, orch_template("loyalty_unknown", "en"));
	turn_free(t);
}

Test(tools, promotions_are_listed_or_absent)
{
	struct fake_tools f = { .n_promos = 2 };
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("promotions", "en", "any promotions?");
	run(&o, t);
	cr_assert(strstr(t->draft->text, orch_template("promos_head", "en")));
	cr_assert(strstr(t->draft->text, "- Promo 1: Description 1") && strstr(t->draft->text, "Promo 2"));
	turn_free(t);

	f.n_promos = 0;
	t = ask("promotions", "zh", "有什么优惠");
	run(&o, t);
	cr_assert_str_eq(t->draft->text, orch_template("promos_none", "zh"));
	turn_free(t);
}

static void demo_stores(struct fake_tools *f)
{
	struct orch_store_info s[] = {
		{ "JHR-JB", "Halia Living Johor Bahru", "No. 8, Jalan Harmoni", "+60 7-0000 1104", "10:00", "18:00" },
		{ "KL-MVM", "Halia Living Mid Valley", "Mid Valley Megamall", "+60 3-0000 1101", "10:00", "22:00" },
		{ "PNG-GUR", "Halia Living Penang Gurney", "Gurney Plaza", "+60 4-0000 1103", "", "" },
	};
	memcpy(f->stores, s, sizeof(s));
	f->n_stores = 3;
}

Test(tools, store_hours_for_the_asked_store)
{
	struct fake_tools f = { 0 };
	demo_stores(&f);
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("store_info", "en", "When does Johor Bahru close today?");
	add_entity(t, "store", "Johor Bahru");
	run(&o, t);
	const char *txt = t->draft->text;
	cr_assert_eq(strncmp(txt, "Halia Living Johor Bahru: open today 10:00-18:00", 48), 0, "%s", txt);
	cr_assert_null(strstr(txt, "Mid Valley"));
	turn_free(t);
}

Test(tools, store_hours_for_every_store)
{
	struct fake_tools f = { 0 };
	demo_stores(&f);
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("store_info", "en", "What are your opening hours?");
	run(&o, t);
	const char *txt = t->draft->text;
	cr_assert(strstr(txt, orch_template("stores_head", "en")) == txt, "%s", txt);
	cr_assert(strstr(txt, "Mid Valley: open today 10:00-22:00"), "%s", txt);
	cr_assert(strstr(txt, "Penang Gurney: closed today"), "%s", txt);
	turn_free(t);
}

Test(tools, replayed_tool_turn_is_answered_afresh)
{
	struct fake_tools f = { 0 };
	demo_bed(&f);
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("stock_check", "en", "Is HL-BED-0003 in stock?");
	add_entity(t, "sku", "HL-BED-0003");
	run(&o, t);
	run(&o, t);
	cr_assert_eq(t->draft->n_cards, 1, "no second card");
	turn_free(t);
}

/* Route t through the orchestrator: its route and where it went. */
static enum _Chat__Route route_of(struct orch *o, Chat__Turn *t, const char **topic)
{
	struct turn_dests d = { .n = 0 };
	char err[128] = "";
	cr_assert_eq(orch_route(o, t, &d, err, sizeof(err)), 0);
	cr_assert_eq(d.n, 1);
	*topic = d.topic[0];
	return t->route;
}

Test(tools, a_price_question_naming_a_product_gets_its_live_price)
{
	struct fake_tools f = { 0 };
	demo_bed(&f);
	f.prods[0].rank = 1.5;
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("product_question", "en", "How much is the Damai bed frame?");
	const char *topic;
	cr_assert_eq(route_of(&o, t, &topic), CHAT__ROUTE__ROUTE_TOOL);
	cr_assert_str_eq(topic, TOPIC_DRAFTED);
	cr_assert_str_empty(f.last_sku, "looked up by name, not by SKU");
	cr_assert(strstr(f.last_words, "damai") && strstr(f.last_words, "bed"), "%s", f.last_words);
	cr_assert(strstr(t->draft->text, "Damai Queen Bed Frame") && strstr(t->draft->text, "RM 1,499.00"), "%s",
		  t->draft->text);
	cr_assert_str_eq(t->tool_results[0]->tool, "price");
	turn_free(t);
}

Test(tools, a_price_question_matching_several_products_equally_lists_their_prices)
{
	struct fake_tools f = { 0 };
	struct orch_product a = { "HL-SOFA-0009", "Perhentian 3-Seater Fabric Sofa, Mustard", "MYR", 189900, 1.0 };
	struct orch_product b = { "HL-SOFA-0010", "Perhentian 3-Seater Fabric Sofa, Teal", "MYR", 199900, 1.0 };
	f.prods[0] = a;
	f.prods[1] = b;
	f.n_prods = 2;
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("product_question", "en", "how much is the perhentian sofa");
	const char *topic;
	cr_assert_eq(route_of(&o, t, &topic), CHAT__ROUTE__ROUTE_TOOL);
	const char *txt = t->draft->text;
	cr_assert(strstr(txt, "RM 1,899.00") && strstr(txt, "RM 1,999.00"), "both prices: %s", txt);
	cr_assert_eq(t->draft->n_quick_replies, 2, "one quick reply per product");
	turn_free(t);
}

Test(tools, a_price_question_naming_no_product_goes_to_the_knowledge_base)
{
	struct fake_tools f = { 0 }; /* the catalogue finds nothing */
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("product_question", "en", "how much is the gift wrapping");
	const char *topic;
	cr_assert_eq(route_of(&o, t, &topic), CHAT__ROUTE__ROUTE_RAG);
	cr_assert_str_eq(topic, TOPIC_RETRIEVE);
	cr_assert(!t->draft || !t->draft->text[0], "the turn is left as it was");
	cr_assert_eq(t->n_tool_results, 0);
	turn_free(t);
}

/* A signed-in customer's loyalty_points message takes route, and the
 * tools are asked calls times. */
static void loyalty_route(const char *text, enum _Chat__Route route, int calls)
{
	struct fake_tools f = { .has_loyalty = 1 };
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("loyalty_points", "en", text);
	login(t, "CUST-1001");
	const char *topic;
	cr_assert_eq(route_of(&o, t, &topic), route, "%s", text);
	cr_assert_eq(f.calls, calls, "%s", text);
	turn_free(t);
}

/* A rewards question about how the programme works is the knowledge
 * base's; one about the customer's own points is the loyalty tool's. */
Test(tools, a_question_about_the_rewards_programme_goes_to_the_knowledge_base)
{
	static const char *const programme[] = { "do my points expire", "how many points per ringgit do gold members earn",
						 "macam mana nak tebus mata?", "积分什么时候过期",
						 "how many points do I need for a voucher" };
	static const char *const own[] = { "how many points do I have", "check my loyalty points", "point saya ada berapa",
					   "我的会员积分有多少", "my points balance is wrong" };
	for (size_t i = 0; i < ARRAY_LEN(programme); i++)
		loyalty_route(programme[i], CHAT__ROUTE__ROUTE_RAG, 0);
	for (size_t i = 0; i < ARRAY_LEN(own); i++)
		loyalty_route(own[i], CHAT__ROUTE__ROUTE_TOOL, 1);
}

/* Spending, moving or losing points, and any other question on them that
 * asks no balance, are the rules; a bare "points" or "my tier" is the
 * balance. */
Test(tools, other_questions_on_points_are_the_rules)
{
	static const char *const rules[] = { "do my reward points run out", "can I pay with my points",
					     "can i move my rewards points to my wife's account",
					     "forgot to give my phone number at the cashier, can I still get the points",
					     "are points shared with my family", "boleh bayar guna mata ganjaran?",
					     "积分可以和家人共享吗",
					     "for the price drop thing can I take the difference as reward points" };
	static const char *const balance[] = { "points", "my points?", "what's my tier", "my rewards points",
					       "how many points have I got" };
	for (size_t i = 0; i < ARRAY_LEN(rules); i++)
		loyalty_route(rules[i], CHAT__ROUTE__ROUTE_RAG, 0);
	for (size_t i = 0; i < ARRAY_LEN(balance); i++)
		loyalty_route(balance[i], CHAT__ROUTE__ROUTE_TOOL, 1);
}

/* A store or promotions question beyond what the tool's records hold
 * (holidays, getting there, facilities; coming promotions, codes, how one
 * applies) goes to the knowledge base; hours, addresses and what is on
 * now stay with the tools. */
Test(tools, store_and_promotion_rules_are_the_knowledge_bases)
{
	static const struct {
		const char *intent, *text;
		int tool;
	} cases[] = {
		{ "store_info", "are you open on public holidays", 0 },
		{ "store_info", "can I get to the KL showroom by train", 0 },
		{ "store_info", "which outlet has a play area for kids", 0 },
		{ "store_info", "kedai buka masa cuti umum?", 0 },
		{ "store_info", "门市附近有停车场吗", 0 },
		{ "store_info", "what time does the Mid Valley shop close", 1 },
		{ "store_info", "is there a branch in Penang", 1 },
		{ "store_info", "alamat kedai Johor Bahru", 1 },
		{ "store_info", "business hours of the Petaling Jaya store", 1 },
		{ "store_info", "can I take the bus there", 0 },
		{ "store_info", "can I pick up my online order at a shop", 0 },
		{ "store_info", "可以去门店自取吗", 0 },
		{ "promotions", "deals for chinese new year", 0 },
		{ "promotions", "first time buyer voucher", 0 },
		{ "promotions", "does the sale discount also come off the delivery charge", 0 },
		{ "promotions", "can I use two promo codes on one order", 0 },
		{ "promotions", "什么时候有双十二优惠", 0 },
		{ "promotions", "any promotions?", 1 },
		{ "promotions", "any discount on mattresses this month", 1 },
		{ "promotions", "ada promosi sekarang?", 1 },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		Chat__Turn *t = ask(cases[i].intent, "en", cases[i].text);
		cr_assert_str_eq(orch_tool_for(t), cases[i].tool ? cases[i].intent : "", "%s", cases[i].text);
		turn_free(t);
	}
}

Test(tools, what_an_order_status_means_is_the_knowledge_bases)
{
	struct fake_tools f = { 0 };
	demo_order(&f);
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("order_status", "en", "my order says packed, what does that mean?");
	const char *topic;
	cr_assert_eq(route_of(&o, t, &topic), CHAT__ROUTE__ROUTE_RAG);
	cr_assert_eq(f.calls, 0);
	turn_free(t);
	/* with an order id it is that order's status */
	t = ask("order_status", "en", "ORD-102695 a@example.com says packed, what does that mean?");
	add_entity(t, "order_id", "ORD-102695");
	add_entity(t, "email", "a@example.com");
	cr_assert_eq(route_of(&o, t, &topic), CHAT__ROUTE__ROUTE_TOOL);
	turn_free(t);
}

Test(tools, a_question_about_a_fee_is_no_product_price)
{
	struct fake_tools f = { 0 };
	demo_bed(&f);
	static const char *const texts[] = { "How much is delivery for the Damai bed frame?",
					      "how much does assembly of the Damai bed cost",
					      "berapa caj penghantaran katil Damai" };
	for (size_t i = 0; i < 3; i++) {
		Chat__Turn *t = ask("product_question", i == 2 ? "ms" : "en", texts[i]);
		cr_assert_str_eq(orch_tool_for(t), "", "%s", texts[i]);
		turn_free(t);
	}
	cr_assert_eq(f.calls, 0);
}

Test(tools, a_price_word_about_a_service_or_a_duration_is_no_product_price)
{
	static const char *const service[] = { "how much for your team to hang a big mirror on the wall",
					       "what does it cost to have a bed frame assembled",
					       "can they haul my old mattress away? how much",
					       "berapa hari saya boleh pulangkan barang", "berapa lama barang sampai",
					       "安装衣柜多少钱" };
	for (size_t i = 0; i < sizeof(service) / sizeof(service[0]); i++)
		cr_assert_eq(orch_asks_product_price(service[i]), 0, "%s", service[i]);
	static const char *const product[] = { "how much is the Perhentian sofa", "price of the Selangor 2-seater",
					       "berapa harga sofa Perhentian", "Perhentian 沙发多少钱",
					       "what does the Kinabalu sectional cost" };
	for (size_t i = 0; i < sizeof(product) / sizeof(product[0]); i++)
		cr_assert_eq(orch_asks_product_price(product[i]), 1, "%s", product[i]);
}

/* An unsure product search that finds something in the catalogue lists
 * it; one that finds nothing goes to the knowledge base. */
Test(tools, an_unsure_product_search_lists_what_the_catalogue_has)
{
	struct fake_tools f = { 0 };
	demo_bed(&f);
	struct orch o = make_orch(&f);
	Chat__Turn *t = ask("product_search", "en", "do you have any queen bed frames");
	t->confidence = 0.47f;
	const char *topic;
	cr_assert_eq(route_of(&o, t, &topic), CHAT__ROUTE__ROUTE_TOOL);
	cr_assert(strstr(t->draft->text, "Damai Queen Bed Frame"), "%s", t->draft->text);
	turn_free(t);
	/* it names a product but looks for none */
	t = ask("product_search", "en", "my bed frame broke after a year, is it covered");
	t->confidence = 0.47f;
	cr_assert_eq(route_of(&o, t, &topic), CHAT__ROUTE__ROUTE_RAG);
	turn_free(t);
	f.n_prods = 0;
	t = ask("product_search", "en", "do you have any hammocks");
	t->confidence = 0.47f;
	cr_assert_eq(route_of(&o, t, &topic), CHAT__ROUTE__ROUTE_RAG);
	cr_assert_str_eq(topic, TOPIC_RETRIEVE);
	turn_free(t);
}
