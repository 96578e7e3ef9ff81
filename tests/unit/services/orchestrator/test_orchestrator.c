/* orchestrator: routing, memory and recording, with a fake orch_io. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../testutil.h"
#include "services/orchestrator/orchestrator.h"
#include "topics.h"

TestSuite(orch, .fini = tu_leak_check);

struct fake_io {
	int load_rc, remember_rc, persist_rc;
	int loads, remembers, persists;
	int last_max;
	char remembered[256], persisted[256], persisted_turn[64];
};

/* Appends two remembered entries, like the Redis store would. */
static int fake_load(void *arg, Chat__Turn *turn, int max)
{
	struct fake_io *f = arg;
	f->loads++;
	f->last_max = max;
	if (f->load_rc)
		return f->load_rc;
	tu_add_history(turn, "customer", "earlier question");
	tu_add_history(turn, "assistant", "earlier answer");
	return 0;
}

static int fake_remember(void *arg, const Chat__Turn *turn, const char *reply, int max)
{
	struct fake_io *f = arg;
	(void)turn;
	f->remembers++;
	f->last_max = max;
	snprintf(f->remembered, sizeof(f->remembered), "%s", reply);
	return f->remember_rc;
}

static int fake_persist(void *arg, const Chat__Turn *turn, const char *reply, char *errstr, size_t errlen)
{
	struct fake_io *f = arg;
	f->persists++;
	snprintf(f->persisted, sizeof(f->persisted), "%s", reply);
	snprintf(f->persisted_turn, sizeof(f->persisted_turn), "%s", turn->turn_id);
	if (f->persist_rc == -2)
		snprintf(errstr, errlen, "constraint violated");
	return f->persist_rc;
}

/* No tools: routing tests never reach one (tests/.../test_tools.c do). */
static struct orch make_orch(struct fake_io *f)
{
	struct orch o = { { fake_load, fake_remember, fake_persist, f }, 10, { 0 }, ORCH_MIN_CONFIDENCE_DEFAULT, { 0 }, 0 };
	return o;
}

/* A confidently classified turn. */
static Chat__Turn *classified(const char *intent, const char *lang)
{
	Chat__Turn *t = tu_turn("s1", "t1", "some text");
	turn_set_str(&t->intent, intent);
	turn_set_str(&t->language, lang);
	t->confidence = 0.9f;
	return t;
}

static int route(struct orch *o, Chat__Turn *t, struct turn_dests *d)
{
	char err[128] = "";
	d->n = 0;
	return orch_route(o, t, d, err, sizeof(err));
}

static int has_dest(const struct turn_dests *d, const char *topic)
{
	for (int i = 0; i < d->n; i++)
		if (!strcmp(d->topic[i], topic))
			return 1;
	return 0;
}

Test(orch, templates_are_localized)
{
	const char *en = orch_template("greeting", "en");
	const char *ms = orch_template("greeting", "ms");
	const char *zh = orch_template("greeting", "zh");
	cr_assert_neq(en[0], '\0');
	cr_assert_str_neq(en, ms);
	cr_assert_str_neq(en, zh);
	cr_assert_str_neq(ms, zh);
	cr_assert_str_eq(orch_template("greeting", "fr"), en, "other languages get English");
	cr_assert_str_eq(orch_template("greeting", NULL), en);
	cr_assert_str_eq(orch_template("no-such-template", "en"), "");
	cr_assert_neq(orch_template("handoff", "zh")[0], '\0');
	cr_assert_neq(orch_template("memory_unavailable", "ms")[0], '\0');
}

Test(orch, greeting_is_a_template_answer)
{
	struct fake_io f = { 0 };
	struct orch o = make_orch(&f);
	static const char *const langs[] = { "en", "ms", "zh" };
	for (int i = 0; i < 3; i++) {
		Chat__Turn *t = classified("greeting", langs[i]);
		struct turn_dests d;
		cr_assert_eq(route(&o, t, &d), 0);
		cr_assert_eq(t->route, CHAT__ROUTE__ROUTE_TEMPLATE);
		cr_assert_not_null(t->draft);
		cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_ANSWER);
		cr_assert_str_eq(t->draft->text, orch_template("greeting", langs[i]), "language %s", langs[i]);
		cr_assert_eq(d.n, 1);
		cr_assert_str_eq(d.topic[0], TOPIC_DRAFTED);
		cr_assert_eq(d.partition[0], RD_KAFKA_PARTITION_UA);
		turn_free(t);
	}
}

Test(orch, human_agent_hands_off)
{
	struct fake_io f = { 0 };
	struct orch o = make_orch(&f);
	Chat__Turn *t = classified("human_agent", "ms");
	struct turn_dests d;
	cr_assert_eq(route(&o, t, &d), 0);
	cr_assert_eq(t->route, CHAT__ROUTE__ROUTE_HANDOFF);
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_HAND_OFF);
	cr_assert_str_eq(t->draft->text, orch_template("handoff", "ms"));
	cr_assert_neq(t->draft->reason[0], '\0', "a hand-off says why");
	cr_assert_eq(d.n, 2);
	cr_assert(has_dest(&d, TOPIC_HANDOFF));
	cr_assert(has_dest(&d, TOPIC_DRAFTED));
	turn_free(t);
}

Test(orch, complaint_hands_off_with_an_apology)
{
	struct fake_io f = { 0 };
	struct orch o = make_orch(&f);
	Chat__Turn *t = classified("complaint", "en");
	struct turn_dests d;
	cr_assert_eq(route(&o, t, &d), 0);
	cr_assert_eq(t->route, CHAT__ROUTE__ROUTE_HANDOFF);
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_HAND_OFF);
	cr_assert_str_eq(t->draft->text, orch_template("handoff_complaint", "en"));
	cr_assert_str_eq(t->draft->reason, "customer complaint");
	cr_assert(has_dest(&d, TOPIC_HANDOFF));
	cr_assert(has_dest(&d, TOPIC_DRAFTED));
	turn_free(t);
}

Test(orch, goodbye_and_out_of_scope_are_templates)
{
	struct fake_io f = { 0 };
	struct orch o = make_orch(&f);
	static const char *const intents[] = { "goodbye_thanks", "out_of_scope" };
	for (int i = 0; i < 2; i++) {
		Chat__Turn *t = classified(intents[i], "ms");
		struct turn_dests d;
		cr_assert_eq(route(&o, t, &d), 0);
		cr_assert_eq(t->route, CHAT__ROUTE__ROUTE_TEMPLATE);
		cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_ANSWER);
		cr_assert_str_eq(t->draft->text, orch_template(intents[i], "ms"));
		cr_assert_neq(t->draft->text[0], '\0');
		cr_assert_eq(d.n, 1);
		cr_assert_str_eq(d.topic[0], TOPIC_DRAFTED);
		turn_free(t);
	}
	cr_assert(strstr(orch_template("out_of_scope", "en"), "orders, products, stock"));
}

Test(orch, an_unsure_off_topic_label_asks_instead_of_guessing)
{
	struct fake_io f = { 0 };
	struct orch o = make_orch(&f);
	Chat__Turn *t = classified("out_of_scope", "zh");
	t->confidence = 0.3f;
	struct turn_dests d;
	cr_assert_eq(route(&o, t, &d), 0);
	cr_assert_eq(t->route, CHAT__ROUTE__ROUTE_TEMPLATE);
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_CLARIFY);
	cr_assert_str_eq(t->draft->text, orch_template("clarify", "zh"));
	cr_assert(t->draft->n_quick_replies >= 2 && t->draft->n_quick_replies <= 4);
	cr_assert_str_eq(t->draft->quick_replies[0]->title, orch_template("qr_track_order", "zh"));
	cr_assert_eq(t->n_tool_results, 0, "no tool ran");
	cr_assert_eq(d.n, 1);
	cr_assert_str_eq(d.topic[0], TOPIC_DRAFTED);
	turn_free(t);
}

Test(orch, an_unsure_label_goes_to_the_passages_never_to_a_tool_or_a_person)
{
	struct fake_io f = { 0 };
	struct orch o = make_orch(&f);
	static const char *const intents[] = { "policy_faq", "return_refund", "order_status", "human_agent",
					       "complaint", "stock_check", "order_cancel" };
	for (size_t i = 0; i < ARRAY_LEN(intents); i++) {
		Chat__Turn *t = classified(intents[i], "en");
		t->confidence = 0.15f;
		struct turn_dests d;
		cr_assert_eq(route(&o, t, &d), 0);
		cr_assert_eq(t->route, CHAT__ROUTE__ROUTE_RAG, "intent %s at 0.15", intents[i]);
		cr_assert_eq(d.n, 1);
		cr_assert_str_eq(d.topic[0], TOPIC_RETRIEVE);
		cr_assert_eq(t->n_tool_results, 0, "no tool ran for %s", intents[i]);
		turn_free(t);
	}
}

Test(orch, low_confidence_greeting_is_still_a_greeting)
{
	struct fake_io f = { 0 };
	struct orch o = make_orch(&f);
	static const char *const intents[] = { "greeting", "goodbye_thanks" };
	for (int i = 0; i < 2; i++) {
		Chat__Turn *t = classified(intents[i], "en");
		t->confidence = 0.2f;
		struct turn_dests d;
		route(&o, t, &d);
		cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_ANSWER);
		cr_assert_str_eq(t->draft->text, orch_template(intents[i], "en"));
		turn_free(t);
	}
}

Test(orch, confidence_threshold_is_configurable)
{
	struct fake_io f = { 0 };
	struct orch o = make_orch(&f);
	o.min_confidence = 0.95;
	Chat__Turn *t = classified("out_of_scope", "en");
	struct turn_dests d;
	route(&o, t, &d);
	cr_assert_not_null(t->draft);
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_CLARIFY, "0.9 < 0.95");
	turn_free(t);
}

Test(orch, other_intents_go_to_retrieval)
{
	struct fake_io f = { 0 };
	struct orch o = make_orch(&f);
	static const char *const intents[] = { "product_question", "policy_faq", "shipping_delivery",
					       "payment_checkout", "return_refund", "order_cancel", "account_privacy",
					       "unknown", "" };
	for (size_t i = 0; i < ARRAY_LEN(intents); i++) {
		Chat__Turn *t = classified(intents[i], "en");
		struct turn_dests d;
		cr_assert_eq(route(&o, t, &d), 0);
		cr_assert_eq(t->route, CHAT__ROUTE__ROUTE_RAG, "intent \"%s\"", intents[i]);
		cr_assert_null(t->draft, "no draft for a RAG turn");
		cr_assert_eq(d.n, 1);
		cr_assert_str_eq(d.topic[0], TOPIC_RETRIEVE);
		turn_free(t);
	}
}

Test(orch, history_is_attached)
{
	struct fake_io f = { 0 };
	struct orch o = make_orch(&f);
	Chat__Turn *t = classified("unknown", "en");
	struct turn_dests d;
	route(&o, t, &d);
	cr_assert_eq(f.loads, 1);
	cr_assert_eq(f.last_max, 10, "history_max is passed to the store");
	cr_assert_eq(t->n_history, 2);
	cr_assert_str_eq(t->history[0]->text, "earlier question");
	cr_assert_str_eq(t->history[1]->text, "earlier answer");
	turn_free(t);
}

Test(orch, replayed_turn_gets_history_once)
{
	struct fake_io f = { 0 };
	struct orch o = make_orch(&f);
	Chat__Turn *t = classified("greeting", "en");
	struct turn_dests d;
	route(&o, t, &d);
	cr_assert_eq(t->n_history, 2);

	/* The routed turn comes back (a replay): it already carries history. */
	size_t len;
	void *buf = turn_encode(t, &len);
	char err[128] = "";
	Chat__Turn *again = turn_decode(buf, len, err, sizeof(err));
	cr_assert_not_null(again, "%s", err);
	cr_assert_eq(again->n_history, 2);
	route(&o, again, &d);
	cr_assert_eq(again->n_history, 2, "history loaded afresh, not appended");
	cr_assert_str_eq(again->history[0]->text, "earlier question");
	cr_assert_str_eq(again->draft->text, orch_template("greeting", "en"), "draft not doubled");
	free(buf);
	turn_free(again);
	turn_free(t);
}

Test(orch, memory_unavailable_is_noted_on_a_template)
{
	struct fake_io f = { .load_rc = -1 };
	struct orch o = make_orch(&f);
	Chat__Turn *t = classified("greeting", "zh");
	struct turn_dests d;
	cr_assert_eq(route(&o, t, &d), 0, "a memory outage does not fail the turn");
	cr_assert_eq(t->n_history, 0);
	const char *greet = orch_template("greeting", "zh");
	const char *note = orch_template("memory_unavailable", "zh");
	cr_assert_eq(strncmp(t->draft->text, greet, strlen(greet)), 0, "%s", t->draft->text);
	cr_assert(strstr(t->draft->text, note) != NULL, "%s", t->draft->text);
	cr_assert_eq(d.n, 1);
	cr_assert_str_eq(d.topic[0], TOPIC_DRAFTED);
	turn_free(t);
}

Test(orch, memory_unavailable_on_rag_adds_nothing)
{
	struct fake_io f = { .load_rc = -1 };
	struct orch o = make_orch(&f);
	Chat__Turn *t = classified("unknown", "en");
	struct turn_dests d;
	cr_assert_eq(route(&o, t, &d), 0);
	cr_assert_null(t->draft);
	cr_assert_str_eq(d.topic[0], TOPIC_RETRIEVE);
	turn_free(t);
}

static Chat__Turn *delivered(const char *reply)
{
	Chat__Turn *t = tu_turn("s1", "turn-77", "hello");
	turn_set_str(&turn_draft(t)->text, reply);
	return t;
}

static int record(struct fake_io *f, const Chat__Turn *t, char *err, size_t errlen)
{
	struct orch o = make_orch(f);
	void *buf;
	struct kstage_msg m = tu_turn_msg(TOPIC_OUTBOUND, t, &buf);
	struct kstage_emit em = { .n = 0 };
	int rc = orch_record(&o, &m, &em, err, errlen);
	cr_assert_eq(em.n, 0, "recording emits nothing");
	free(buf);
	return rc;
}

Test(orch, record_remembers_and_persists)
{
	struct fake_io f = { 0 };
	Chat__Turn *t = delivered("Hi! How can I help?");
	char err[128] = "";
	cr_assert_eq(record(&f, t, err, sizeof(err)), KSTAGE_OK, "%s", err);
	cr_assert_eq(f.remembers, 1);
	cr_assert_eq(f.persists, 1);
	cr_assert_str_eq(f.remembered, "Hi! How can I help?");
	cr_assert_str_eq(f.persisted, "Hi! How can I help?");
	cr_assert_str_eq(f.persisted_turn, "turn-77");
	cr_assert_eq(f.last_max, 10);
	turn_free(t);
}

Test(orch, record_without_draft_uses_empty_reply)
{
	struct fake_io f = { 0 };
	Chat__Turn *t = tu_turn("s1", "t2", "x");
	char err[128] = "";
	cr_assert_str_eq(orch_reply_text(t), "");
	cr_assert_eq(record(&f, t, err, sizeof(err)), KSTAGE_OK);
	cr_assert_str_eq(f.persisted, "");
	turn_free(t);
}

Test(orch, record_memory_down_still_persists)
{
	struct fake_io f = { .remember_rc = -1 };
	Chat__Turn *t = delivered("r");
	char err[128] = "";
	cr_assert_eq(record(&f, t, err, sizeof(err)), KSTAGE_OK);
	cr_assert_eq(f.persists, 1);
	turn_free(t);
}

Test(orch, record_database_down_blocks)
{
	struct fake_io f = { .persist_rc = -1 };
	Chat__Turn *t = delivered("r");
	char err[128] = "";
	cr_assert_eq(record(&f, t, err, sizeof(err)), KSTAGE_EBLOCKED);
	cr_assert_neq(err[0], '\0');
	turn_free(t);
}

Test(orch, record_database_refusal_retries)
{
	struct fake_io f = { .persist_rc = -2 };
	Chat__Turn *t = delivered("r");
	char err[128] = "";
	cr_assert_eq(record(&f, t, err, sizeof(err)), KSTAGE_ERETRY);
	cr_assert_str_eq(err, "constraint violated", "the store's reason is kept");
	turn_free(t);
}

Test(orch, record_garbage_is_poison)
{
	struct fake_io f = { 0 };
	struct orch o = make_orch(&f);
	struct kstage_msg m = tu_msg(TOPIC_OUTBOUND, TU_GARBAGE, sizeof(TU_GARBAGE));
	struct kstage_emit em = { .n = 0 };
	char err[128] = "";
	cr_assert_eq(orch_record(&o, &m, &em, err, sizeof(err)), KSTAGE_EPOISON);
	cr_assert_eq(f.remembers + f.persists, 0, "nothing stored");
	cr_assert_neq(err[0], '\0');
}
