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

/* --- WhatsApp and plain text */

static void add_qr(Chat__Draft *d, const char *title, const char *payload)
{
	Chat__QuickReply *q = xmalloc(sizeof(*q));
	chat__quick_reply__init(q);
	q->title = xstrdup(title);
	q->payload = xstrdup(payload);
	d->quick_replies = xrealloc(d->quick_replies, (d->n_quick_replies + 1) * sizeof(*d->quick_replies));
	d->quick_replies[d->n_quick_replies++] = q;
}

static void add_card(Chat__Draft *d, const char *sku, const char *name, int64_t price_sen, int stock)
{
	Chat__ProductCard *c = xmalloc(sizeof(*c));
	chat__product_card__init(c);
	c->sku = xstrdup(sku);
	c->name = xstrdup(name);
	c->price_sen = price_sen;
	c->currency = xstrdup("MYR");
	c->stock = stock;
	d->cards = xrealloc(d->cards, (d->n_cards + 1) * sizeof(*d->cards));
	d->cards[d->n_cards++] = c;
}

static Chat__Turn *wa_turn(const char *text)
{
	Chat__Turn *t = tu_turn("s", "t", "q");
	t->channel = CHAT__CHANNEL__CHANNEL_WHATSAPP;
	turn_set_str(&t->language, "en");
	Chat__Draft *d = turn_draft(t);
	d->action = CHAT__ACTION__ACTION_ANSWER;
	turn_set_str(&d->text, text);
	return t;
}

static json_t *render_wa(Chat__Turn *t)
{
	char *s = fmt_render_whatsapp(t);
	json_error_t jerr;
	json_t *j = json_loads(s, 0, &jerr);
	cr_assert_not_null(j, "not JSON (%s): %s", jerr.text, s);
	cr_assert(json_is_array(j));
	free(s);
	return j;
}

/* Each message obeys every WhatsApp limit and carries no recipient. */
static void check_limits(json_t *msgs)
{
	size_t i;
	json_t *m;
	json_array_foreach(msgs, i, m)
	{
		cr_assert_null(json_object_get(m, "to"), "the gateway adds the recipient");
		const char *type = str_at(m, "type");
		if (!strcmp(type, "text")) {
			const char *body = str_at(json_object_get(m, "text"), "body");
			cr_assert(*body);
			cr_assert_leq(fmt_wa_len(body), FMT_WA_TEXT_MAX);
			continue;
		}
		cr_assert_str_eq(type, "interactive");
		json_t *in = json_object_get(m, "interactive");
		cr_assert_leq(fmt_wa_len(str_at(json_object_get(in, "body"), "text")), FMT_WA_BODY_MAX);
		json_t *action = json_object_get(in, "action");
		if (!strcmp(str_at(in, "type"), "button")) {
			json_t *buttons = json_object_get(action, "buttons");
			cr_assert_geq(json_array_size(buttons), 1);
			cr_assert_leq(json_array_size(buttons), FMT_WA_BUTTONS_MAX);
			size_t k;
			json_t *b;
			json_array_foreach(buttons, k, b)
			{
				json_t *r = json_object_get(b, "reply");
				cr_assert_leq(fmt_wa_len(str_at(r, "title")), FMT_WA_BUTTON_TITLE_MAX);
				cr_assert(*str_at(r, "title") && *str_at(r, "id"), "no empty title or id");
				cr_assert_leq(fmt_wa_len(str_at(r, "id")), FMT_WA_BUTTON_ID_MAX);
			}
		} else {
			cr_assert_str_eq(str_at(in, "type"), "list");
			cr_assert_leq(fmt_wa_len(str_at(action, "button")), FMT_WA_LIST_BUTTON_MAX);
			json_t *sec = json_array_get(json_object_get(action, "sections"), 0);
			cr_assert_leq(fmt_wa_len(str_at(sec, "title")), FMT_WA_SECTION_TITLE_MAX);
			json_t *rows = json_object_get(sec, "rows");
			cr_assert_geq(json_array_size(rows), 1);
			cr_assert_leq(json_array_size(rows), FMT_WA_ROWS_MAX);
			size_t k;
			json_t *r;
			json_array_foreach(rows, k, r)
			{
				cr_assert_leq(fmt_wa_len(str_at(r, "title")), FMT_WA_ROW_TITLE_MAX);
				cr_assert(*str_at(r, "title") && *str_at(r, "id"), "no empty title or id");
				cr_assert_leq(fmt_wa_len(str_at(r, "id")), FMT_WA_ROW_ID_MAX);
				if (json_object_get(r, "description"))
					cr_assert_leq(fmt_wa_len(str_at(r, "description")), FMT_WA_ROW_DESC_MAX);
			}
		}
	}
}

/* Valid UTF-8, checked by jansson's decoder. */
static void assert_utf8(const char *s)
{
	json_t *j = json_string(s);
	cr_assert_not_null(j, "not valid UTF-8: %s", s);
	json_decref(j);
}

Test(fmt, wa_len_counts_utf16_units)
{
	cr_assert_eq(fmt_wa_len(""), 0);
	cr_assert_eq(fmt_wa_len("abc"), 3);
	cr_assert_eq(fmt_wa_len("中文"), 2);
	cr_assert_eq(fmt_wa_len("Terima kasih 😀"), 15, "an emoji outside the BMP counts 2");
	cr_assert_eq(fmt_wa_len("\xff\xfe"), 2, "invalid bytes count one each");
}

Test(fmt, wa_truncate_keeps_utf8_and_marks_the_cut)
{
	static const char *const samples[] = { "Payung lipat automatik warna hitam", "自动折叠雨伞黑色大号防风防紫外线款式",
					       "😀😀😀😀😀😀😀😀😀😀😀😀😀😀", "👨‍👩‍👧 family 👨‍👩‍👧 family 👨‍👩‍👧 family" };
	for (size_t i = 0; i < ARRAY_LEN(samples); i++)
		for (size_t max = 1; max <= 24; max++) {
			char *t = fmt_wa_truncate(samples[i], max);
			assert_utf8(t);
			cr_assert_leq(fmt_wa_len(t), max, "\"%s\" cut to %zu is \"%s\"", samples[i], max, t);
			if (fmt_wa_len(samples[i]) > max) {
				cr_assert(strstr(t, "…") != NULL, "a cut is marked: %s", t);
				size_t n = strlen(t);
				cr_assert(n < 6 || memcmp(t + n - 6, "\xE2\x80\x8D\xE2\x80\xA6", 6), "no dangling joiner");
			}
			free(t);
		}
	char *t = fmt_wa_truncate("short", 20);
	cr_assert_str_eq(t, "short", "what fits is kept as is");
	free(t);
}

static size_t split(const char *text, size_t max, char ***parts)
{
	size_t n = fmt_wa_split(text, max, parts);
	for (size_t i = 0; i < n; i++) {
		assert_utf8((*parts)[i]);
		cr_assert_leq(fmt_wa_len((*parts)[i]), max, "part %zu: %s", i, (*parts)[i]);
		cr_assert((*parts)[i][0], "no empty part");
	}
	return n;
}

static void free_parts(char **parts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(parts[i]);
	free(parts);
}

Test(fmt, wa_split_at_sentence_boundaries)
{
	char **parts;
	size_t n = split("First sentence here. Second one is longer than that! Third?", 40, &parts);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(parts[0], "First sentence here.");
	cr_assert_str_eq(parts[1], "Second one is longer than that! Third?");
	free_parts(parts, n);

	n = split("退货政策很简单。请在三十天内退回商品。我们会全额退款。", 12, &parts);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(parts[0], "退货政策很简单。");
	cr_assert_str_eq(parts[1], "请在三十天内退回商品。");
	free_parts(parts, n);

	n = split("   ", 16, &parts);
	cr_assert_eq(n, 0, "white space only is nothing to send");
	free(parts);
}

Test(fmt, wa_split_without_boundaries_cuts_on_characters)
{
	/* 5000 CJK characters, no punctuation; then emoji only. */
	char *s = xmalloc(5000 * 3 + 1);
	for (int i = 0; i < 5000; i++)
		memcpy(s + i * 3, "字", 3);
	s[15000] = '\0';
	char **parts;
	size_t n = split(s, FMT_WA_TEXT_MAX, &parts);
	cr_assert_eq(n, 2);
	cr_assert_eq(fmt_wa_len(parts[0]) + fmt_wa_len(parts[1]), 5000, "nothing lost");
	free_parts(parts, n);
	free(s);

	s = xmalloc(3000 * 4 + 1);
	for (int i = 0; i < 3000; i++)
		memcpy(s + i * 4, "😀", 4);
	s[12000] = '\0';
	n = split(s, FMT_WA_TEXT_MAX, &parts);
	cr_assert_eq(n, 2, "3000 emoji are 6000 units");
	cr_assert_eq(strlen(parts[0]) % 4, 0, "never inside an emoji");
	free_parts(parts, n);
	free(s);
}

Test(fmt, wa_long_answer_becomes_several_text_messages)
{
	struct sbuf { char *s; } b = { xstrdup("") };
	for (int i = 0; i < 300; i++) {
		char *n = xasprintf("%sSentence number %d of the returns policy explains a rule. ", b.s, i);
		free(b.s);
		b.s = n;
	}
	Chat__Turn *t = wa_turn(b.s);
	free(b.s);
	json_t *msgs = render_wa(t);
	cr_assert_geq(json_array_size(msgs), 4, "about 17,000 characters");
	check_limits(msgs);
	for (size_t i = 0; i < json_array_size(msgs); i++) {
		const char *body = str_at(json_object_get(json_array_get(msgs, i), "text"), "body");
		cr_assert_eq(body[strlen(body) - 1], '.', "message %zu ends a sentence", i);
	}
	json_decref(msgs);
	turn_free(t);
}

Test(fmt, wa_three_quick_replies_are_buttons_with_short_titles)
{
	Chat__Turn *t = wa_turn("What would you like to do?");
	add_qr(turn_draft(t), "Track my order", "Track my order");
	add_qr(turn_draft(t), "Check stock at a nearby store please", "Check stock");
	add_qr(turn_draft(t), "Cakap dengan 客服 😀", "Talk to a person");
	json_t *msgs = render_wa(t);
	check_limits(msgs);
	cr_assert_eq(json_array_size(msgs), 1, "short text rides in the buttons' body");
	json_t *in = json_object_get(json_array_get(msgs, 0), "interactive");
	cr_assert_str_eq(str_at(in, "type"), "button");
	cr_assert_str_eq(str_at(json_object_get(in, "body"), "text"), "What would you like to do?");
	json_t *buttons = json_object_get(json_object_get(in, "action"), "buttons");
	cr_assert_eq(json_array_size(buttons), 3);
	json_t *r1 = json_object_get(json_array_get(buttons, 1), "reply");
	cr_assert_str_eq(str_at(r1, "id"), "Check stock", "the id is the payload");
	cr_assert_eq(fmt_wa_len(str_at(r1, "title")), 20);
	json_decref(msgs);
	turn_free(t);
}

Test(fmt, wa_more_choices_become_a_list_and_past_ten_the_text)
{
	Chat__Turn *t = wa_turn("Which one?");
	for (int i = 0; i < 13; i++) {
		char title[64], payload[64];
		snprintf(title, sizeof(title), "Umbrella model number %d, extra long title", i + 1);
		snprintf(payload, sizeof(payload), "Is umbrella %d in stock?", i + 1);
		add_qr(turn_draft(t), title, payload);
	}
	json_t *msgs = render_wa(t);
	check_limits(msgs);
	cr_assert_eq(json_array_size(msgs), 1);
	json_t *in = json_object_get(json_array_get(msgs, 0), "interactive");
	cr_assert_str_eq(str_at(in, "type"), "list");
	json_t *sec = json_array_get(json_object_get(json_object_get(in, "action"), "sections"), 0);
	json_t *rows = json_object_get(sec, "rows");
	cr_assert_eq(json_array_size(rows), 10);
	json_t *r0 = json_array_get(rows, 0);
	cr_assert_str_eq(str_at(r0, "id"), "Is umbrella 1 in stock?");
	cr_assert(strstr(str_at(r0, "description"), "extra long") != NULL, "a cut title keeps its words below");
	const char *body = str_at(json_object_get(in, "body"), "text");
	cr_assert(strstr(body, "11. Umbrella model number 11") != NULL, "%s", body);
	cr_assert(strstr(body, "13. Umbrella model number 13") != NULL, "%s", body);
	json_decref(msgs);
	turn_free(t);
}

Test(fmt, wa_products_list_live_price_and_stock)
{
	Chat__Turn *t = wa_turn("We have these umbrellas:");
	turn_set_str(&t->language, "ms");
	add_card(turn_draft(t), "UMB-1", "Payung Lipat Automatik Premium Hitam", 2990, 4);
	add_card(turn_draft(t), "UMB-2", "Payung Golf", 4500, 0);
	add_qr(turn_draft(t), "Lagi", "Lagi");
	json_t *msgs = render_wa(t);
	check_limits(msgs);
	cr_assert_eq(json_array_size(msgs), 2, "products list, then the quick reply");
	json_t *in = json_object_get(json_array_get(msgs, 0), "interactive");
	cr_assert_str_eq(str_at(in, "type"), "list");
	json_t *rows = json_object_get(json_array_get(json_object_get(json_object_get(in, "action"), "sections"), 0),
				       "rows");
	cr_assert_str_eq(str_at(json_array_get(rows, 0), "description"), "RM 29.90 · 4 dalam stok");
	cr_assert_str_eq(str_at(json_array_get(rows, 1), "description"), "RM 45.00 · Kehabisan stok");
	cr_assert_str_eq(str_at(json_array_get(rows, 1), "id"), "Payung Golf");
	json_t *in2 = json_object_get(json_array_get(msgs, 1), "interactive");
	cr_assert_str_eq(str_at(in2, "type"), "button");
	cr_assert_str_eq(str_at(json_object_get(in2, "body"), "text"), "Sila pilih:");
	json_decref(msgs);
	turn_free(t);
}

Test(fmt, wa_citations_as_titles_and_process_sets_content_type)
{
	Chat__Turn *t = checked();
	t->channel = CHAT__CHANNEL__CHANNEL_WHATSAPP;
	tu_add_citation(turn_draft(t), "ghost");
	struct fmt f = { "chat.outbound.v1" };
	struct turn_dests d = { .n = 0 };
	char err[128] = "";
	cr_assert_eq(fmt_process(&f, t, &d, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(t->rendered->content_type, FMT_WA_CONTENT_TYPE);
	char *s = xstrndup((const char *)t->rendered->payload.data, t->rendered->payload.len);
	json_t *msgs = json_loads(s, 0, NULL);
	free(s);
	check_limits(msgs);
	/* text + citations fit in 1024: they ride in the first interactive. */
	const char *body = str_at(json_object_get(json_object_get(json_array_get(msgs, 0), "interactive"), "body"), "text");
	cr_assert(strstr(body, "Sources:\n1. Shipping\n2. Returns & \"Refunds\"") != NULL, "%s", body);
	cr_assert(strstr(body, "ghost") == NULL, "an unknown citation id is not shown");
	json_decref(msgs);
	turn_free(t);
}

Test(fmt, plain_text_for_api_channel)
{
	Chat__Turn *t = checked();
	char *p = fmt_render_plain(t);
	cr_assert_str_eq(p, "Line one\nwith \"quotes\" and 中文\n\nSources:\n1. Shipping\n2. Returns & \"Refunds\""
			    "\n\nProducts:\n- Umbrella (SKU-1): RM 29.90, 4 in stock\n\nOptions:\n- Track order");
	t->channel = CHAT__CHANNEL__CHANNEL_API;
	struct fmt f = { "chat.outbound.v1" };
	struct turn_dests d = { .n = 0 };
	char err[128] = "";
	cr_assert_eq(fmt_process(&f, t, &d, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(t->rendered->content_type, "application/json", "one event shape for REST/SSE/WS");
	char *s = xstrndup((const char *)t->rendered->payload.data, t->rendered->payload.len);
	json_t *j = parse(s);
	cr_assert_str_eq(str_at(j, "plain_text"), p);
	cr_assert_str_eq(str_at(j, "text"), "Line one\nwith \"quotes\" and 中文");
	json_decref(j);
	free(s);
	free(p);
	turn_free(t);
}

Test(fmt, wa_empty_draft_sends_nothing)
{
	Chat__Turn *t = wa_turn("");
	json_t *msgs = render_wa(t);
	cr_assert_eq(json_array_size(msgs), 0);
	json_decref(msgs);
	turn_free(t);
}

Test(fmt, wa_titles_are_one_line_and_blank_choices_are_dropped)
{
	Chat__Turn *t = wa_turn("Pick one");
	add_qr(turn_draft(t), "  \n ", "nothing to show");
	add_qr(turn_draft(t), "Track\nmy   order", "Track my order");
	add_qr(turn_draft(t), "\xE2\x80\x8D", "a lone joiner");
	json_t *msgs = render_wa(t);
	check_limits(msgs);
	json_t *buttons = json_object_get(
	    json_object_get(json_object_get(json_array_get(msgs, 0), "interactive"), "action"), "buttons");
	cr_assert_eq(json_array_size(buttons), 1);
	cr_assert_str_eq(str_at(json_object_get(json_array_get(buttons, 0), "reply"), "title"), "Track my order");
	json_decref(msgs);
	turn_free(t);
}

/* Random drafts of awkward pieces (CJK, emoji, joiners, blank lines):
 * every message stays within every limit and is valid UTF-8. */
Test(fmt, wa_random_drafts_stay_within_limits)
{
	static const char *const pieces[] = { "a", "Umbrella ", "中文", "。", "😀", ". ", "\n\n", "\xE2\x80\x8D",
					      "\xEF\xB8\x8F", " ", "!", "Payung lipat ", "👨‍👩‍👧" };
	unsigned seed = 12345;
	char buf[24000];
	for (int it = 0; it < 300; it++) {
		Chat__Turn *t = wa_turn("");
		Chat__Draft *d = turn_draft(t);
		for (int field = 0; field < 60; field++) {
			size_t n = 0;
			seed = seed * 1103515245u + 12345u;
			int k = field == 0 && it % 10 == 0 ? 5000 : (int)(seed >> 16) % 30;
			for (int i = 0; i < k; i++) {
				seed = seed * 1103515245u + 12345u;
				const char *p = pieces[(seed >> 16) % ARRAY_LEN(pieces)];
				size_t l = strlen(p);
				if (n + l >= sizeof(buf))
					break;
				memcpy(buf + n, p, l);
				n += l;
			}
			buf[n] = '\0';
			if (field == 0)
				turn_set_str(&d->text, buf);
			else if (field < (int)(seed >> 20) % 40)
				add_qr(d, buf, buf);
			else if (field < 48 && (seed >> 8) % 3 == 0)
				add_card(d, "SKU", buf, (int64_t)(seed % 100000), (int)(seed % 7));
		}
		json_t *msgs = render_wa(t);
		check_limits(msgs);
		size_t i;
		json_t *m;
		json_array_foreach(msgs, i, m)
		{
			char *s = json_dumps(m, 0);
			assert_utf8(s);
			free(s);
		}
		json_decref(msgs);
		turn_free(t);
	}
}
