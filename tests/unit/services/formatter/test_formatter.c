/* formatter: the web JSON reply and routing to the gateway's partition. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "../../testutil.h"
#include "services/formatter/formatter.h"

TestSuite(fmt, .fini = tu_leak_check);

static Chat__Turn *checked(void)
{
	Chat__Turn *t = tu_turn("sess-1", "turn-1", "return policy?");
	turn_set_str(&t->language, "en");
	t->reply_partition = 2;
	tu_add_passage(t, "p1", "Returns & \"Refunds\"");
	tu_add_passage(t, "p2", "Shipping");
	Chat__Draft *d = turn_draft(t);
	d->action = CHAT__ACTION__ACTION_ANSWER;
	turn_set_str(&d->text, "Line one\nwith \"quotes\" and 中文");
	tu_add_citation(d, "p2");
	tu_add_citation(d, "p1");

	Chat__QuickReply *q = xmalloc(sizeof(*q));
	chat__quick_reply__init(q);
	q->title = xstrdup("Track order");
	q->payload = xstrdup("track");
	d->quick_replies = xmalloc(sizeof(*d->quick_replies));
	d->quick_replies[0] = q;
	d->n_quick_replies = 1;

	Chat__ProductCard *c = xmalloc(sizeof(*c));
	chat__product_card__init(c);
	c->sku = xstrdup("SKU-1");
	c->name = xstrdup("Umbrella");
	c->price_sen = 2990;
	c->currency = xstrdup("MYR");
	c->stock = 4;
	d->cards = xmalloc(sizeof(*d->cards));
	d->cards[0] = c;
	d->n_cards = 1;
	return t;
}

static json_t *parse(const char *s)
{
	json_error_t jerr;
	json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, &jerr);
	cr_assert_not_null(j, "not JSON (%s): %s", jerr.text, s);
	cr_assert(json_is_object(j));
	return j;
}

static const char *str_at(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	cr_assert(json_is_string(v), "\"%s\" is not a string", key);
	return json_string_value(v);
}

Test(fmt, render_web_is_valid_json)
{
	Chat__Turn *t = checked();
	char *s = fmt_render_web(t);
	cr_assert_not_null(s);
	json_t *j = parse(s);
	cr_assert_str_eq(str_at(j, "type"), "final");
	cr_assert_str_eq(str_at(j, "turn_id"), "turn-1");
	cr_assert_str_eq(str_at(j, "session_id"), "sess-1");
	cr_assert_str_eq(str_at(j, "action"), "answer");
	cr_assert_str_eq(str_at(j, "text"), "Line one\nwith \"quotes\" and 中文");
	cr_assert_str_eq(str_at(j, "language"), "en");

	json_t *cites = json_object_get(j, "citations");
	cr_assert_eq(json_array_size(cites), 2);
	cr_assert_str_eq(str_at(json_array_get(cites, 0), "id"), "p2", "citation order kept");
	cr_assert_str_eq(str_at(json_array_get(cites, 0), "title"), "Shipping");
	cr_assert_str_eq(str_at(json_array_get(cites, 1), "title"), "Returns & \"Refunds\"");

	json_t *qr = json_object_get(j, "quick_replies");
	cr_assert_eq(json_array_size(qr), 1);
	cr_assert_str_eq(str_at(json_array_get(qr, 0), "title"), "Track order");
	cr_assert_str_eq(str_at(json_array_get(qr, 0), "payload"), "track");

	json_t *cards = json_object_get(j, "cards");
	cr_assert_eq(json_array_size(cards), 1);
	json_t *c = json_array_get(cards, 0);
	cr_assert_str_eq(str_at(c, "sku"), "SKU-1");
	cr_assert_str_eq(str_at(c, "name"), "Umbrella");
	cr_assert_eq(json_integer_value(json_object_get(c, "price_sen")), 2990);
	cr_assert_str_eq(str_at(c, "currency"), "MYR");
	cr_assert_eq(json_integer_value(json_object_get(c, "stock")), 4);
	json_decref(j);
	free(s);
	turn_free(t);
}

Test(fmt, render_action_names)
{
	static const struct {
		Chat__Action a;
		const char *name;
	} cases[] = { { CHAT__ACTION__ACTION_ANSWER, "answer" },
		      { CHAT__ACTION__ACTION_CLARIFY, "clarify" },
		      { CHAT__ACTION__ACTION_HAND_OFF, "hand_off" },
		      { CHAT__ACTION__ACTION_DECLINE, "decline" },
		      { CHAT__ACTION__ACTION_UNSPECIFIED, "answer" } };
	Chat__Turn *t = checked();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t->draft->action = cases[i].a;
		char *s = fmt_render_web(t);
		json_t *j = parse(s);
		cr_assert_str_eq(str_at(j, "action"), cases[i].name);
		json_decref(j);
		free(s);
	}
	turn_free(t);
}

Test(fmt, render_citation_without_passage_has_no_title)
{
	Chat__Turn *t = tu_turn("s", "t", "x");
	tu_add_citation(turn_draft(t), "ghost");
	char *s = fmt_render_web(t);
	json_t *j = parse(s);
	json_t *c = json_array_get(json_object_get(j, "citations"), 0);
	cr_assert_str_eq(str_at(c, "id"), "ghost");
	cr_assert_null(json_object_get(c, "title"));
	cr_assert_eq(json_array_size(json_object_get(j, "cards")), 0);
	cr_assert_eq(json_array_size(json_object_get(j, "quick_replies")), 0);
	json_decref(j);
	free(s);
	turn_free(t);
}

Test(fmt, process_renders_and_routes_to_reply_partition)
{
	struct fmt f = { "chat.outbound.v1" };
	Chat__Turn *t = checked();
	struct turn_dests d = { .n = 0 };
	char err[128] = "";
	cr_assert_eq(fmt_process(&f, t, &d, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(d.n, 1);
	cr_assert_str_eq(d.topic[0], "chat.outbound.v1");
	cr_assert_eq(d.partition[0], 2, "the gateway instance's partition");
	cr_assert_not_null(t->rendered);
	cr_assert_str_eq(t->rendered->content_type, "application/json");
	char *want = fmt_render_web(t);
	cr_assert_eq(t->rendered->payload.len, strlen(want));
	cr_assert(memcmp(t->rendered->payload.data, want, strlen(want)) == 0);
	free(want);

	/* A replay re-renders in place (the old payload is freed: LSan). */
	t->reply_partition = 0;
	d.n = 0;
	cr_assert_eq(fmt_process(&f, t, &d, err, sizeof(err)), 0);
	cr_assert_eq(d.partition[0], 0, "partition 0 is a real partition");
	turn_free(t);
}

Test(fmt, process_rejects_negative_partition_and_missing_draft)
{
	struct fmt f = { "chat.outbound.v1" };
	Chat__Turn *t = checked();
	t->reply_partition = -1;
	struct turn_dests d = { .n = 0 };
	char err[128] = "";
	cr_assert_eq(fmt_process(&f, t, &d, err, sizeof(err)), KSTAGE_EPOISON);
	cr_assert_eq(d.n, 0);
	cr_assert(strstr(err, "-1") != NULL, "%s", err);
	turn_free(t);

	t = tu_turn("s", "t", "x");
	cr_assert_eq(fmt_process(&f, t, &d, err, sizeof(err)), KSTAGE_EPOISON, "no draft");
	cr_assert_eq(d.n, 0);
	cr_assert_null(t->rendered);
	turn_free(t);
}
