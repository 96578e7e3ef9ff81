/* orchestrator session logic with fakes: follow-ups from the session state,
 * hand-off triggers, a person owning the session, the start-a-return tool
 * and the L1 order list. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../testutil.h"
#include "services/orchestrator/orchestrator.h"
#include "topics.h"

TestSuite(session, .fini = tu_leak_check);

struct fake {
	struct orch_state st; /* what load_state returns; save_state writes it */
	int state_rc, history_rc, saves;
	char owner[16];
	struct orch_order order;
	int order_found, finds;
	char asked_order[32];
	int returns, return_rc;
	Chat__CustomerContext *ctx_src; /* not used: context built in f_context */
	int n_ctx_orders;
};

static int f_history(void *arg, Chat__Turn *turn, int max)
{
	struct fake *f = arg;
	(void)turn;
	(void)max;
	return f->history_rc;
}

static int f_load_state(void *arg, const Chat__Turn *turn, struct orch_state *st, char *owner, size_t len)
{
	struct fake *f = arg;
	(void)turn;
	if (f->state_rc)
		return f->state_rc;
	*st = f->st;
	snprintf(owner, len, "%s", f->owner);
	return 0;
}

static int f_save_state(void *arg, const Chat__Turn *turn, const struct orch_state *st)
{
	struct fake *f = arg;
	(void)turn;
	f->saves++;
	f->st = *st;
	return 0;
}

static int f_context(void *arg, const char *tenant, const char *customer, Chat__CustomerContext *ctx)
{
	struct fake *f = arg;
	(void)tenant;
	(void)customer;
	turn_set_str(&ctx->loyalty_tier, "gold");
	ctx->recent_orders = xcalloc((size_t)f->n_ctx_orders + 1, sizeof(*ctx->recent_orders));
	for (int i = 0; i < f->n_ctx_orders; i++) {
		Chat__OrderSummary *os = xmalloc(sizeof(*os));
		chat__order_summary__init(os);
		char id[32];
		snprintf(id, sizeof(id), "ORD-10000%d", i + 1);
		os->order_id = xstrdup(id);
		os->status = xstrdup("shipped");
		os->total_sen = 10000;
		ctx->recent_orders[ctx->n_recent_orders++] = os;
	}
	return 1;
}

static int f_start_return(void *arg, const Chat__Turn *turn, const char *order_id, struct orch_return *out)
{
	struct fake *f = arg;
	(void)turn;
	(void)order_id;
	f->returns++;
	snprintf(out->return_id, sizeof(out->return_id), "RET-7001");
	snprintf(out->status, sizeof(out->status), "requested");
	return f->return_rc ? f->return_rc : 1;
}

static int f_find_order(void *arg, const char *tenant, const char *order_id, struct orch_order *out)
{
	struct fake *f = arg;
	(void)tenant;
	f->finds++;
	snprintf(f->asked_order, sizeof(f->asked_order), "%s", order_id);
	if (!f->order_found)
		return 0;
	*out = f->order;
	snprintf(out->order_id, sizeof(out->order_id), "%s", order_id);
	return 1;
}

static struct orch make(struct fake *f)
{
	struct orch o = { { f_history, NULL, NULL, f },
			  10,
			  { f_find_order, NULL, NULL, NULL, NULL, NULL, f },
			  ORCH_MIN_CONFIDENCE_DEFAULT,
			  { f_load_state, f_save_state, f_context, f_start_return, NULL, NULL, f },
			  2 };
	return o;
}

static Chat__Turn *turn_of(const char *intent, float conf, const char *text, const char *customer)
{
	Chat__Turn *t = tu_turn("s1", "t1", text);
	turn_set_str(&t->intent, intent);
	turn_set_str(&t->language, "en");
	t->confidence = conf;
	if (customer) {
		t->customer = xmalloc(sizeof(*t->customer));
		chat__customer__init(t->customer);
		t->customer->id = xstrdup(customer);
		t->customer->authenticated = 1;
	}
	return t;
}

static void add_entity(Chat__Turn *t, const char *type, const char *value)
{
	Chat__Entity *e = xmalloc(sizeof(*e));
	chat__entity__init(e);
	e->type = xstrdup(type);
	e->value = xstrdup(value);
	t->entities = xrealloc(t->entities, (t->n_entities + 1) * sizeof(*t->entities));
	t->entities[t->n_entities++] = e;
}

static const char *entity(const Chat__Turn *t, const char *type)
{
	for (size_t i = 0; i < t->n_entities; i++)
		if (!strcmp(t->entities[i]->type, type))
			return t->entities[i]->value;
	return NULL;
}

static int has_dest(const struct turn_dests *d, const char *topic)
{
	for (int i = 0; i < d->n; i++)
		if (!strcmp(d->topic[i], topic))
			return 1;
	return 0;
}

static void route(struct orch *o, Chat__Turn *t, struct turn_dests *d)
{
	char err[128];
	d->n = 0;
	cr_assert_eq(orch_route(o, t, d, err, sizeof(err)), 0);
}

Test(session, signed_in_order_list_then_the_second_one)
{
	struct fake f = { .n_ctx_orders = 3, .order_found = 1 };
	snprintf(f.order.customer_id, sizeof(f.order.customer_id), "CUST-1");
	snprintf(f.order.status, sizeof(f.order.status), "shipped");
	struct orch o = make(&f);
	struct turn_dests d;
	Chat__Turn *t = turn_of("order_status", 0.9f, "where is my order?", "CUST-1");
	route(&o, t, &d);
	cr_assert(strstr(t->draft->text, "ORD-100001") && strstr(t->draft->text, "ORD-100003"), "%s", t->draft->text);
	cr_assert_eq(f.finds, 0, "the list comes from the L1 context");
	cr_assert_str_eq(f.st.items_kind, "order");
	cr_assert_eq(f.st.n_items, 3);
	turn_free(t);

	/* The follow-up's own label is a guess; the ordinal decides. */
	t = turn_of("out_of_scope", 0.2f, "what about the second one?", "CUST-1");
	route(&o, t, &d);
	cr_assert_str_eq(f.asked_order, "ORD-100002");
	cr_assert_eq(t->route, CHAT__ROUTE__ROUTE_TOOL);
	cr_assert(strstr(t->draft->text, "ORD-100002"), "%s", t->draft->text);
	turn_free(t);
}

Test(session, ordinals_in_three_languages)
{
	static const char *const texts[] = { "the last one", "yang kedua", "第二个呢？", "number 2 please" };
	static const char *const want[] = { "HL-C", "HL-B", "HL-B", "HL-B" };
	for (int i = 0; i < 4; i++) {
		struct orch_state st;
		memset(&st, 0, sizeof(st));
		snprintf(st.intent, sizeof(st.intent), "stock_check");
		snprintf(st.items_kind, sizeof(st.items_kind), "sku");
		snprintf(st.items[0], sizeof(st.items[0]), "HL-A");
		snprintf(st.items[1], sizeof(st.items[1]), "HL-B");
		snprintf(st.items[2], sizeof(st.items[2]), "HL-C");
		st.n_items = 3;
		Chat__Turn *t = turn_of("greeting", 0.3f, texts[i], NULL);
		cr_assert_eq(orch_resolve(t, &st, 0.5), 1, "%s", texts[i]);
		cr_assert_str_eq(entity(t, "sku"), want[i], "%s", texts[i]);
		cr_assert_str_eq(t->intent, "stock_check");
		turn_free(t);
	}
}

Test(session, one_product_of_a_search_list_gets_its_details)
{
	struct orch_state st;
	memset(&st, 0, sizeof(st));
	snprintf(st.intent, sizeof(st.intent), "product_search");
	snprintf(st.items_kind, sizeof(st.items_kind), "sku");
	snprintf(st.items[0], sizeof(st.items[0]), "HL-A");
	snprintf(st.items[1], sizeof(st.items[1]), "HL-B");
	st.n_items = 2;
	Chat__Turn *t = turn_of("product_search", 0.4f, "the second one", NULL);
	cr_assert_eq(orch_resolve(t, &st, 0.5), 1);
	cr_assert_str_eq(entity(t, "sku"), "HL-B");
	cr_assert_str_eq(t->intent, "stock_check", "price and stock of the product, not another search");
	turn_free(t);
	t = turn_of("store_info", 0.9f, "is the first one at Mid Valley?", NULL);
	cr_assert_eq(orch_resolve(t, &st, 0.5), 1);
	cr_assert_str_eq(entity(t, "sku"), "HL-A");
	cr_assert_str_eq(t->intent, "store_info", "a confident tool label of its own is kept");
	turn_free(t);
}

Test(session, a_new_store_repeats_the_last_stock_question)
{
	struct orch_state st;
	memset(&st, 0, sizeof(st));
	snprintf(st.intent, sizeof(st.intent), "stock_check");
	snprintf(st.sku, sizeof(st.sku), "HL-BED-0003");
	Chat__Turn *t = turn_of("store_info", 0.6f, "and in Penang?", NULL);
	add_entity(t, "store", "Penang");
	cr_assert_eq(orch_resolve(t, &st, 0.5), 1);
	cr_assert_str_eq(t->intent, "stock_check");
	cr_assert_str_eq(entity(t, "sku"), "HL-BED-0003");
	turn_free(t);
	/* Without a previous stock or store question nothing changes. */
	snprintf(st.intent, sizeof(st.intent), "promotions");
	t = turn_of("store_info", 0.6f, "and in Penang?", NULL);
	add_entity(t, "store", "Penang");
	cr_assert_eq(orch_resolve(t, &st, 0.5), 0);
	cr_assert_str_eq(t->intent, "store_info");
	turn_free(t);
}

Test(session, how_much_is_it_asks_the_last_products_price)
{
	struct orch_state st;
	memset(&st, 0, sizeof(st));
	snprintf(st.sku, sizeof(st.sku), "HL-DEC-0025");
	static const char *const texts[] = { "how much is it?", "berapa harga dia?", "这个多少钱？" };
	for (int i = 0; i < 3; i++) {
		Chat__Turn *t = turn_of("product_question", 0.4f, texts[i], NULL);
		cr_assert_eq(orch_resolve(t, &st, 0.5), 1, "%s", texts[i]);
		cr_assert_str_eq(entity(t, "sku"), "HL-DEC-0025");
		cr_assert_str_eq(orch_tool_for(t), "price");
		turn_free(t);
	}
}

Test(session, a_price_question_about_something_else_is_left_alone)
{
	struct orch_state st;
	memset(&st, 0, sizeof(st));
	snprintf(st.sku, sizeof(st.sku), "HL-DEC-0025");
	Chat__Turn *t = turn_of("shipping_delivery", 0.8f, "How much is delivery to Sabah?", NULL);
	cr_assert_eq(orch_resolve(t, &st, 0.5), 0);
	cr_assert_null(entity(t, "sku"));
	cr_assert_str_eq(t->intent, "shipping_delivery");
	turn_free(t);
}

Test(session, low_confidence_twice_hands_off)
{
	struct fake f = { 0 };
	struct orch o = make(&f);
	struct turn_dests d;
	Chat__Turn *t = turn_of("out_of_scope", 0.2f, "blorp", NULL);
	route(&o, t, &d);
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_CLARIFY);
	cr_assert_eq(f.st.low_conf, 1);
	turn_free(t);
	t = turn_of("out_of_scope", 0.2f, "blorp again", NULL);
	route(&o, t, &d);
	cr_assert_eq(t->route, CHAT__ROUTE__ROUTE_HANDOFF);
	cr_assert_str_eq(t->draft->reason, "low confidence twice");
	cr_assert(has_dest(&d, TOPIC_HANDOFF) && has_dest(&d, TOPIC_DRAFTED));
	cr_assert_eq(f.st.low_conf, 0, "counters start again after a hand-off");
	turn_free(t);
}

/* The route a guest's message labelled intent at conf takes. */
static enum _Chat__Route route_text(struct orch *o, const char *intent, float conf, const char *text)
{
	struct turn_dests d;
	Chat__Turn *t = turn_of(intent, conf, text, NULL);
	route(o, t, &d);
	enum _Chat__Route r = t->route;
	turn_free(t);
	return r;
}

/* Unsure that a message is off topic while it talks of the shop's things:
 * the knowledge base answers (and asks back when nothing covers it); an
 * unsure guess on anything else is still a clarifying question, and a
 * confident off-topic label keeps its template. */
Test(session, an_unsure_off_topic_guess_about_the_shop_goes_to_the_knowledge_base)
{
	struct fake f = { 0 };
	struct orch o = make(&f);
	struct turn_dests d;
	static const char *const shop[] = { "you sent me the wrong item", "how do I book a technician to build my furniture",
					    "delivry time to east malaysia", "barang yang sampai salah",
					    "收到的商品不对" };
	for (size_t i = 0; i < ARRAY_LEN(shop); i++) {
		Chat__Turn *t = turn_of("out_of_scope", 0.2f, shop[i], NULL);
		route(&o, t, &d);
		cr_assert_eq(t->route, CHAT__ROUTE__ROUTE_RAG, "%s", shop[i]);
		cr_assert(has_dest(&d, TOPIC_RETRIEVE), "%s", shop[i]);
		cr_assert_eq(f.st.low_conf, 0, "%s: no low-confidence strike", shop[i]);
		turn_free(t);
	}
	static const char *const other[] = { "how to fix my car engine", "what is the capital of France" };
	for (size_t i = 0; i < ARRAY_LEN(other); i++) {
		Chat__Turn *t = turn_of("out_of_scope", 0.2f, other[i], NULL);
		route(&o, t, &d);
		cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_CLARIFY, "%s", other[i]);
		turn_free(t);
		f.st.low_conf = 0;
	}
	cr_assert_eq(route_text(&o, "out_of_scope", 0.9f, "tell me a joke about my order"), CHAT__ROUTE__ROUTE_TEMPLATE,
		     "a confident label is kept");
	/* above the usual threshold but not sure enough to refuse */
	cr_assert_eq(route_text(&o, "out_of_scope", 0.6f, "are kitchen things cheaper right now"), CHAT__ROUTE__ROUTE_RAG);
	cr_assert_eq(route_text(&o, "out_of_scope", 0.6f, "what is the capital of France"), CHAT__ROUTE__ROUTE_TEMPLATE,
		     "no shop words: the template");
}

/* A question only just taken for a complaint is the knowledge base's; a
 * sure complaint, or one that asks nothing, goes to a person. */
Test(session, a_question_barely_taken_for_a_complaint_is_answered)
{
	struct fake f = { 0 };
	struct orch o = make(&f);
	cr_assert_eq(route_text(&o, "complaint", 0.52f, "nobody was home when the guys came, will they try again?"),
		     CHAT__ROUTE__ROUTE_RAG);
	cr_assert_eq(route_text(&o, "complaint", 0.9f, "why is nobody answering, will you refund me?"),
		     CHAT__ROUTE__ROUTE_HANDOFF, "a sure complaint");
	cr_assert_eq(route_text(&o, "complaint", 0.55f, "your driver was rude to me"), CHAT__ROUTE__ROUTE_HANDOFF,
		     "no question asked");
}

Test(session, repeated_failure_hands_off)
{
	struct fake f = { .order_found = 0 };
	struct orch o = make(&f);
	struct turn_dests d;
	Chat__Turn *t = turn_of("order_status", 0.9f, "where is ORD-100001", "CUST-1");
	add_entity(t, "order_id", "ORD-100001");
	route(&o, t, &d);
	cr_assert_eq(t->route, CHAT__ROUTE__ROUTE_TOOL);
	cr_assert_eq(f.st.fails, 1);
	turn_free(t);
	t = turn_of("order_status", 0.9f, "where is ORD-100009", "CUST-1");
	add_entity(t, "order_id", "ORD-100009");
	route(&o, t, &d);
	cr_assert_eq(t->route, CHAT__ROUTE__ROUTE_HANDOFF);
	cr_assert_str_eq(t->draft->reason, "repeated failure");
	turn_free(t);
}

Test(session, a_person_owns_the_session_told_once)
{
	struct fake f = { 0 };
	snprintf(f.owner, sizeof(f.owner), "12");
	struct orch o = make(&f);
	struct turn_dests d;
	Chat__Turn *t = turn_of("order_status", 0.9f, "hello?", NULL);
	route(&o, t, &d);
	cr_assert_eq(d.n, 2);
	cr_assert(has_dest(&d, TOPIC_HANDOFF) && has_dest(&d, TOPIC_DRAFTED));
	cr_assert_str_eq(t->draft->text, orch_template("with_agent", "en"));
	cr_assert_eq(f.finds, 0, "the bot does not answer");
	turn_free(t);
	t = turn_of("order_status", 0.9f, "still there?", NULL);
	route(&o, t, &d);
	cr_assert_eq(d.n, 1);
	cr_assert_str_eq(d.topic[0], TOPIC_HANDOFF);
	turn_free(t);
	/* A new ticket is announced again. */
	snprintf(f.owner, sizeof(f.owner), "13");
	t = turn_of("order_status", 0.9f, "hi", NULL);
	route(&o, t, &d);
	cr_assert_eq(d.n, 2);
	turn_free(t);
}

static Chat__Turn *return_turn(void)
{
	Chat__Turn *t = turn_of("return_refund", 0.9f, "I want to return ORD-100001", "CUST-1");
	add_entity(t, "order_id", "ORD-100001");
	return t;
}

Test(session, return_within_the_window_is_started)
{
	struct fake f = { .order_found = 1 };
	snprintf(f.order.customer_id, sizeof(f.order.customer_id), "CUST-1");
	snprintf(f.order.status, sizeof(f.order.status), "delivered");
	f.order.delivered_days = 10;
	f.order.return_window_days = 30;
	struct orch o = make(&f);
	struct turn_dests d;
	Chat__Turn *t = return_turn();
	route(&o, t, &d);
	cr_assert_eq(f.returns, 1);
	cr_assert(strstr(t->draft->text, "RET-7001") && strstr(t->draft->text, "Next steps"), "%s", t->draft->text);
	turn_free(t);

	f.return_rc = 2; /* an open return already */
	t = return_turn();
	route(&o, t, &d);
	cr_assert(strstr(t->draft->text, "already"), "%s", t->draft->text);
	turn_free(t);
}

Test(session, return_outside_the_window_or_not_delivered_is_refused)
{
	struct fake f = { .order_found = 1 };
	snprintf(f.order.customer_id, sizeof(f.order.customer_id), "CUST-1");
	snprintf(f.order.status, sizeof(f.order.status), "delivered");
	f.order.delivered_days = 46;
	f.order.return_window_days = 45;
	struct orch o = make(&f);
	struct turn_dests d;
	Chat__Turn *t = return_turn();
	route(&o, t, &d);
	cr_assert(strstr(t->draft->text, "45 days"), "%s", t->draft->text);
	turn_free(t);
	snprintf(f.order.status, sizeof(f.order.status), "shipped");
	f.order.delivered_days = -1;
	t = return_turn();
	route(&o, t, &d);
	cr_assert(strstr(t->draft->text, "on its way"), "%s", t->draft->text);
	turn_free(t);
	/* Someone else's order: the same answer as no order at all. */
	snprintf(f.order.customer_id, sizeof(f.order.customer_id), "CUST-2");
	snprintf(f.order.status, sizeof(f.order.status), "delivered");
	f.order.delivered_days = 1;
	t = return_turn();
	route(&o, t, &d);
	cr_assert(strstr(t->draft->text, "couldn't find"), "%s", t->draft->text);
	turn_free(t);
	cr_assert_eq(f.returns, 0);
}

Test(session, redis_down_answers_statelessly_with_a_note)
{
	struct fake f = { .state_rc = -1, .history_rc = -1, .order_found = 1 };
	snprintf(f.order.customer_id, sizeof(f.order.customer_id), "CUST-1");
	snprintf(f.order.status, sizeof(f.order.status), "paid");
	struct orch o = make(&f);
	struct turn_dests d;
	Chat__Turn *t = turn_of("order_status", 0.9f, "where is ORD-100001", "CUST-1");
	add_entity(t, "order_id", "ORD-100001");
	route(&o, t, &d);
	cr_assert(strstr(t->draft->text, "ORD-100001"), "%s", t->draft->text);
	cr_assert(strstr(t->draft->text, orch_template("memory_unavailable", "en")), "%s", t->draft->text);
	cr_assert_eq(f.saves, 0);
	turn_free(t);
}
