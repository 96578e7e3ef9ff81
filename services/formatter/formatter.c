/* formatter: renders a checked turn for its channel. */
#include "formatter.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *action_name(Chat__Action a)
{
	switch (a) {
	case CHAT__ACTION__ACTION_ANSWER: return "answer";
	case CHAT__ACTION__ACTION_CLARIFY: return "clarify";
	case CHAT__ACTION__ACTION_HAND_OFF: return "hand_off";
	case CHAT__ACTION__ACTION_DECLINE: return "decline";
	default: return "answer";
	}
}

/* The title of cited passage id, or NULL when the turn does not carry it. */
static const char *citation_title(const Chat__Turn *turn, const char *id)
{
	for (size_t p = 0; p < turn->n_passages; p++)
		if (!strcmp(turn->passages[p]->id, id))
			return turn->passages[p]->title && *turn->passages[p]->title ? turn->passages[p]->title : NULL;
	return NULL;
}

static json_t *web_object(const Chat__Turn *turn)
{
	const Chat__Draft *dr = turn->draft;
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string("final"));
	json_object_set_new(o, "turn_id", json_string(turn->turn_id));
	json_object_set_new(o, "session_id", json_string(turn->session_id));
	json_object_set_new(o, "action", json_string(action_name(dr->action)));
	json_object_set_new(o, "text", json_string(dr->text));
	json_object_set_new(o, "language", json_string(turn->language));
	json_t *cites = json_array();
	for (size_t i = 0; i < dr->n_citations; i++) {
		json_t *c = json_object();
		json_object_set_new(c, "id", json_string(dr->citations[i]));
		const char *title = citation_title(turn, dr->citations[i]);
		if (title)
			json_object_set_new(c, "title", json_string(title));
		json_array_append_new(cites, c);
	}
	json_object_set_new(o, "citations", cites);
	json_t *qr = json_array();
	for (size_t i = 0; i < dr->n_quick_replies; i++)
		json_array_append_new(qr, json_pack("{s:s,s:s}", "title", dr->quick_replies[i]->title, "payload",
						    dr->quick_replies[i]->payload));
	json_object_set_new(o, "quick_replies", qr);
	/* Price and stock are the ones the draft read from the live catalog
	 * (and the guardrail checked); the formatter never caches them. */
	json_t *cards = json_array();
	for (size_t i = 0; i < dr->n_cards; i++) {
		const Chat__ProductCard *c = dr->cards[i];
		json_array_append_new(cards, json_pack("{s:s,s:s,s:I,s:s,s:i,s:s,s:s}", "sku", c->sku, "name", c->name,
						       "price_sen", (json_int_t)c->price_sen, "currency", c->currency,
						       "stock", c->stock, "url", c->url ? c->url : "", "image_url",
						       c->image_url ? c->image_url : ""));
	}
	json_object_set_new(o, "cards", cards);
	return o;
}

static char *dump_take(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

char *fmt_render_web(const Chat__Turn *turn)
{
	return dump_take(web_object(turn));
}

char *fmt_render_api(const Chat__Turn *turn)
{
	json_t *o = web_object(turn);
	char *plain = fmt_render_plain(turn);
	json_object_set_new(o, "plain_text", json_string(plain));
	free(plain);
	return dump_take(o);
}

/* --- words that depend on the reply's language (en default, ms, zh) */

enum { W_SOURCES, W_OPTIONS, W_PRODUCTS, W_CHOOSE, W_VIEW_PRODUCTS, W_IN_STOCK, W_OUT_OF_STOCK, W_MORE, W_N };

static const char *word(const Chat__Turn *turn, int w)
{
	static const char *const en[W_N] = { "Sources",	       "Options",      "Products", "Please choose:",
					      "View products", "%d in stock", "Out of stock", "More options:" };
	static const char *const ms[W_N] = { "Sumber",	       "Pilihan",      "Produk", "Sila pilih:",
					      "Lihat produk",  "%d dalam stok", "Kehabisan stok", "Pilihan lain:" };
	static const char *const zh[W_N] = { "资料来源", "选项", "产品", "请选择：", "查看产品", "库存 %d 件", "缺货",
					      "更多选项：" };
	const char *lang = turn->language ? turn->language : "";
	if (!strncmp(lang, "ms", 2))
		return ms[w];
	if (!strncmp(lang, "zh", 2))
		return zh[w];
	return en[w];
}

static void price_text(const Chat__ProductCard *c, char *out, size_t len)
{
	const char *cur = c->currency && *c->currency ? c->currency : "MYR";
	long long sen = (long long)c->price_sen;
	const char *sign = sen < 0 ? "-" : "";
	if (sen < 0)
		sen = -sen;
	snprintf(out, len, "%s %s%lld.%02lld", strcmp(cur, "MYR") ? cur : "RM", sign, sen / 100, sen % 100);
}

static void stock_text(const Chat__Turn *turn, const Chat__ProductCard *c, char *out, size_t len)
{
	if (c->stock > 0)
		snprintf(out, len, word(turn, W_IN_STOCK), c->stock);
	else
		util_strlcpy(out, word(turn, W_OUT_OF_STOCK), len);
}

/* --- plain text */

struct sbuf {
	char *s;
	size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

static void sb_addf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_addf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	sb_add(b, tmp);
}

char *fmt_render_plain(const Chat__Turn *turn)
{
	const Chat__Draft *dr = turn->draft;
	struct sbuf b = { xstrdup(""), 0, 1 };
	sb_add(&b, dr->text ? dr->text : "");
	int n = 0;
	for (size_t i = 0; i < dr->n_citations; i++) {
		const char *title = citation_title(turn, dr->citations[i]);
		if (n++ == 0)
			sb_addf(&b, "%s%s:", b.len ? "\n\n" : "", word(turn, W_SOURCES));
		sb_addf(&b, "\n%d. %s", n, title ? title : dr->citations[i]);
	}
	for (size_t i = 0; i < dr->n_cards; i++) {
		const Chat__ProductCard *c = dr->cards[i];
		char price[64], stock[64];
		price_text(c, price, sizeof(price));
		stock_text(turn, c, stock, sizeof(stock));
		if (i == 0)
			sb_addf(&b, "%s%s:", b.len ? "\n\n" : "", word(turn, W_PRODUCTS));
		sb_addf(&b, "\n- %s (%s): %s, %s", c->name, c->sku, price, stock);
		if (c->url && *c->url)
			sb_addf(&b, " %s", c->url);
	}
	for (size_t i = 0; i < dr->n_quick_replies; i++) {
		if (i == 0)
			sb_addf(&b, "%s%s:", b.len ? "\n\n" : "", word(turn, W_OPTIONS));
		sb_addf(&b, "\n- %s", dr->quick_replies[i]->title);
	}
	return b.s;
}

/* --- WhatsApp */

/* Bytes of the UTF-8 sequence that starts with lead byte c (1 for a stray
 * continuation or invalid byte, which then counts as one character). */
static size_t seq_len(unsigned char c)
{
	if (c >= 0xF0 && c < 0xF8)
		return 4;
	if (c >= 0xE0)
		return c < 0xF0 ? 3 : 1;
	if (c >= 0xC0)
		return 2;
	return 1;
}

/* Advance over one character of s (which has n bytes left); returns its
 * byte length, never past n, and adds its WhatsApp width to *units. */
static size_t next_char(const char *s, size_t n, size_t *units)
{
	size_t k = seq_len((unsigned char)s[0]);
	if (k > n)
		k = 1;
	for (size_t i = 1; i < k; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			k = 1;
			break;
		}
	*units += k == 4 ? 2 : 1;
	return k;
}

static size_t units_n(const char *s, size_t n)
{
	size_t units = 0;
	for (size_t i = 0; i < n;)
		i += next_char(s + i, n - i, &units);
	return units;
}

size_t fmt_wa_len(const char *s)
{
	return units_n(s, strlen(s));
}

/* Bytes of the longest prefix of s (n bytes) that is at most max units. */
static size_t prefix_bytes(const char *s, size_t n, size_t max)
{
	size_t units = 0, i = 0;
	while (i < n) {
		size_t u = units, k = next_char(s + i, n - i, &u);
		if (u > max)
			break;
		units = u;
		i += k;
	}
	return i;
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A cut must not leave a joiner or variation selector dangling at the end
 * (half an emoji sequence), nor white space. */
static size_t trim_end(const char *s, size_t n)
{
	for (;;) {
		if (n && is_space((unsigned char)s[n - 1]))
			n--;
		else if (n >= 3 && !memcmp(s + n - 3, "\xE2\x80\x8D", 3)) /* U+200D ZWJ */
			n -= 3;
		else if (n >= 3 && !memcmp(s + n - 3, "\xEF\xB8\x8F", 3)) /* U+FE0F */
			n -= 3;
		else
			return n;
	}
}

char *fmt_wa_truncate(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (fmt_wa_len(s) <= max)
		return xstrdup(s);
	size_t cut = trim_end(s, prefix_bytes(s, n, max - 1));
	char *out = xmalloc(cut + 4);
	memcpy(out, s, cut);
	memcpy(out + cut, "\xE2\x80\xA6", 4); /* "…" and the NUL */
	return out;
}

/* 1 when a sentence ends just before byte i of s. */
static int sentence_end_before(const char *s, size_t n, size_t i)
{
	static const char *const cjk[] = { "\xE3\x80\x82", "\xEF\xBC\x81", "\xEF\xBC\x9F" }; /* 。！？ */
	for (size_t k = 0; k < ARRAY_LEN(cjk); k++)
		if (i >= 3 && !memcmp(s + i - 3, cjk[k], 3))
			return 1;
	if (i == 0 || i >= n || !is_space((unsigned char)s[i]))
		return 0;
	char c = s[i - 1];
	if (c == ')' || c == '"' || c == '\'')
		c = i >= 2 ? s[i - 2] : 0;
	return c == '.' || c == '!' || c == '?';
}

/* Where to cut s (n bytes, more than max units): a byte offset in (0, n). */
static size_t split_point(const char *s, size_t n, size_t max)
{
	size_t lim = prefix_bytes(s, n, max);
	size_t para = 0, sent = 0, space = 0;
	for (size_t i = 1; i <= lim; i++) {
		if (i < n && s[i] == '\n' && s[i - 1] == '\n')
			para = i;
		if (sentence_end_before(s, n, i))
			sent = i;
		if (i < n && is_space((unsigned char)s[i]))
			space = i;
	}
	/* A boundary too early would waste most of a message. */
	if (para > lim / 2)
		return para;
	if (sent > lim / 4)
		return sent;
	if (space > lim / 4)
		return space;
	return lim ? lim : 1;
}

size_t fmt_wa_split(const char *text, size_t max, char ***parts)
{
	size_t n = strlen(text), count = 0;
	*parts = NULL;
	const char *s = text;
	for (;;) {
		while (n && is_space((unsigned char)*s)) {
			s++;
			n--;
		}
		if (!n)
			break;
		size_t take;
		if (units_n(s, n) <= max)
			take = n;
		else
			take = split_point(s, n, max);
		size_t keep = trim_end(s, take);
		if (keep) {
			*parts = xrealloc(*parts, (count + 1) * sizeof(**parts));
			(*parts)[count++] = xstrndup(s, keep);
		}
		s += take;
		n -= take;
	}
	return count;
}

/* One choice offered to the customer: what it shows and what tapping it
 * sends back as the customer's message (the reply id). */
struct choice {
	const char *title;
	const char *description; /* may be NULL */
	const char *id;
};

static json_t *wa_text(const char *body)
{
	return json_pack("{s:s,s:{s:s,s:b}}", "type", "text", "text", "body", body, "preview_url", 0);
}

/* s on one line: runs of white space become one space, trimmed (heap).
 * Titles and descriptions are single lines in WhatsApp's UI. */
static char *one_line(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = xmalloc(n + 1);
	int space = 0;
	for (size_t i = 0; i < n; i++) {
		if (is_space((unsigned char)s[i])) {
			space = o > 0;
			continue;
		}
		if (space)
			out[o++] = ' ';
		space = 0;
		out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

/* 1 when s shows nothing: white space, joiners and variation selectors. */
static int blank(const char *s)
{
	char *l = one_line(s);
	size_t n = trim_end(l, strlen(l));
	free(l);
	return n == 0;
}

/* s on one line, cut to max characters (heap). */
static char *short_line(const char *s, size_t max)
{
	char *l = one_line(s);
	char *t = fmt_wa_truncate(l, max);
	free(l);
	return t;
}

/* A fresh id of at most max characters for c; empty ids use the title. */
static char *choice_id(const struct choice *c, size_t max)
{
	return fmt_wa_truncate(c->id && *c->id ? c->id : c->title, max);
}

static int id_seen(json_t *arr, const char *key, const char *id)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		json_t *o = key ? json_object_get(v, key) : v;
		if (!strcmp(json_string_value(json_object_get(o, "id")), id))
			return 1;
	}
	return 0;
}

static json_t *wa_buttons(const char *body, const struct choice *ch, size_t n)
{
	json_t *buttons = json_array();
	for (size_t i = 0; i < n && json_array_size(buttons) < FMT_WA_BUTTONS_MAX; i++) {
		char *id = choice_id(&ch[i], FMT_WA_BUTTON_ID_MAX);
		char *title = short_line(ch[i].title, FMT_WA_BUTTON_TITLE_MAX);
		if (!id_seen(buttons, "reply", id))
			json_array_append_new(buttons, json_pack("{s:s,s:{s:s,s:s}}", "type", "reply", "reply", "id", id,
								 "title", title));
		free(id);
		free(title);
	}
	char *b = fmt_wa_truncate(body, FMT_WA_BODY_MAX);
	json_t *m = json_pack("{s:s,s:{s:s,s:{s:s},s:{s:o}}}", "type", "interactive", "interactive", "type", "button",
			      "body", "text", b, "action", "buttons", buttons);
	free(b);
	return m;
}

static json_t *wa_list(const char *body, const char *button, const char *section, const struct choice *ch,
		       size_t n)
{
	json_t *rows = json_array();
	for (size_t i = 0; i < n && json_array_size(rows) < FMT_WA_ROWS_MAX; i++) {
		char *id = choice_id(&ch[i], FMT_WA_ROW_ID_MAX);
		char *title = short_line(ch[i].title, FMT_WA_ROW_TITLE_MAX);
		/* A cut title keeps its full wording in the description. */
		const char *desc = ch[i].description;
		if (!desc && fmt_wa_len(ch[i].title) > FMT_WA_ROW_TITLE_MAX)
			desc = ch[i].title;
		if (!id_seen(rows, NULL, id)) {
			json_t *row = json_pack("{s:s,s:s}", "id", id, "title", title);
			if (desc && *desc) {
				char *d = short_line(desc, FMT_WA_ROW_DESC_MAX);
				json_object_set_new(row, "description", json_string(d));
				free(d);
			}
			json_array_append_new(rows, row);
		}
		free(id);
		free(title);
	}
	char *b = fmt_wa_truncate(body, FMT_WA_BODY_MAX);
	char *btn = fmt_wa_truncate(button, FMT_WA_LIST_BUTTON_MAX);
	char *sec = fmt_wa_truncate(section, FMT_WA_SECTION_TITLE_MAX);
	json_t *m = json_pack("{s:s,s:{s:s,s:{s:s},s:{s:s,s:[{s:s,s:o}]}}}", "type", "interactive", "interactive",
			      "type", "list", "body", "text", b, "action", "button", btn, "sections", "title", sec,
			      "rows", rows);
	free(b);
	free(btn);
	free(sec);
	return m;
}

/* The interactive message for n choices: reply buttons when there are at
 * most three, else a list of the first ten (the caller lists the rest in
 * the text). */
static json_t *wa_choices(const char *body, const char *button, const char *section, const struct choice *ch,
			  size_t n)
{
	if (n <= FMT_WA_BUTTONS_MAX)
		return wa_buttons(body, ch, n);
	return wa_list(body, button, section, ch, n);
}

char *fmt_render_whatsapp(const Chat__Turn *turn)
{
	const Chat__Draft *dr = turn->draft;
	json_t *msgs = json_array();
	struct sbuf text = { xstrdup(""), 0, 1 };
	sb_add(&text, dr->text ? dr->text : "");
	int n = 0;
	for (size_t i = 0; i < dr->n_citations; i++) {
		const char *title = citation_title(turn, dr->citations[i]);
		if (!title)
			continue; /* an id means nothing to a customer */
		if (n++ == 0)
			sb_addf(&text, "%s%s:", text.len ? "\n\n" : "", word(turn, W_SOURCES));
		sb_addf(&text, "\n%d. %s", n, title);
	}

	/* Products: a list whose rows carry the live price and stock; tapping
	 * one sends the product's name. Quick replies: buttons or a list;
	 * tapping one sends its payload, as on the web. */
	size_t ncards = dr->n_cards, nqr = dr->n_quick_replies;
	struct choice *cards = xcalloc(ncards + 1, sizeof(*cards));
	char **descs = xcalloc(ncards + 1, sizeof(*descs));
	size_t ncard_rows = 0;
	for (size_t i = 0; i < ncards; i++) {
		const Chat__ProductCard *c = dr->cards[i];
		const char *title = c->name && !blank(c->name) ? c->name : c->sku;
		if (!title || blank(title))
			continue;
		char price[64], stock[64];
		price_text(c, price, sizeof(price));
		stock_text(turn, c, stock, sizeof(stock));
		descs[ncard_rows] = xasprintf("%s · %s", price, stock);
		cards[ncard_rows] = (struct choice){ title, descs[ncard_rows], title };
		ncard_rows++;
	}
	ncards = ncard_rows;
	struct choice *qrs = xcalloc(nqr + 1, sizeof(*qrs));
	size_t kept = 0;
	for (size_t i = 0; i < nqr; i++)
		if (!blank(dr->quick_replies[i]->title))
			qrs[kept++] = (struct choice){ dr->quick_replies[i]->title, NULL, dr->quick_replies[i]->payload };
	nqr = kept; /* a choice that shows nothing cannot be tapped */

	/* Choices past the tenth row are listed in the text, to be typed. */
	for (size_t i = FMT_WA_ROWS_MAX; i < ncards; i++) {
		if (i == FMT_WA_ROWS_MAX)
			sb_addf(&text, "%s%s", text.len ? "\n\n" : "", word(turn, W_MORE));
		sb_addf(&text, "\n%zu. %s (%s)", i + 1, cards[i].title, descs[i]);
	}
	for (size_t i = FMT_WA_ROWS_MAX; i < nqr; i++) {
		if (i == FMT_WA_ROWS_MAX)
			sb_addf(&text, "%s%s", text.len ? "\n\n" : "", word(turn, W_MORE));
		sb_addf(&text, "\n%zu. %s", i + 1, qrs[i].title);
	}

	char **parts = NULL;
	size_t nparts = fmt_wa_split(text.s, FMT_WA_TEXT_MAX, &parts);
	free(text.s);
	if (nparts > FMT_WA_MAX_TEXT_MESSAGES) {
		char *last = fmt_wa_truncate(parts[FMT_WA_MAX_TEXT_MESSAGES - 1], FMT_WA_TEXT_MAX - 1);
		char *cut = xasprintf("%s\xE2\x80\xA6", last);
		free(last);
		for (size_t i = FMT_WA_MAX_TEXT_MESSAGES - 1; i < nparts; i++)
			free(parts[i]);
		parts[FMT_WA_MAX_TEXT_MESSAGES - 1] = cut;
		nparts = FMT_WA_MAX_TEXT_MESSAGES;
	}
	/* The last part rides in the first interactive message's body when it
	 * fits, so a short answer with buttons is one message. */
	int have_choices = ncards || nqr;
	size_t send_text = nparts;
	if (have_choices && nparts && fmt_wa_len(parts[nparts - 1]) <= FMT_WA_BODY_MAX)
		send_text--;
	for (size_t i = 0; i < send_text; i++)
		json_array_append_new(msgs, wa_text(parts[i]));
	const char *body = send_text < nparts ? parts[nparts - 1] : NULL;
	if (ncards) {
		json_array_append_new(msgs, wa_list(body ? body : word(turn, W_PRODUCTS), word(turn, W_VIEW_PRODUCTS),
						    word(turn, W_PRODUCTS), cards, ncards));
		body = NULL;
	}
	if (nqr)
		json_array_append_new(msgs, wa_choices(body ? body : word(turn, W_CHOOSE), word(turn, W_OPTIONS),
						       word(turn, W_OPTIONS), qrs, nqr));
	for (size_t i = 0; i < nparts; i++)
		free(parts[i]);
	free(parts);
	for (size_t i = 0; i < ncards; i++)
		free(descs[i]);
	free(descs);
	free(cards);
	free(qrs);
	return dump_take(msgs);
}

static void set_rendered(Chat__Turn *turn, const char *content_type, char *body)
{
	if (!turn->rendered) {
		turn->rendered = xmalloc(sizeof(*turn->rendered));
		chat__rendered__init(turn->rendered);
	}
	turn_set_str(&turn->rendered->content_type, content_type);
	free(turn->rendered->payload.data);
	turn->rendered->payload.data = (uint8_t *)body;
	turn->rendered->payload.len = strlen(body);
}

int fmt_process(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen)
{
	struct fmt *f = ctx;
	if (!turn->draft) {
		snprintf(errstr, errlen, "turn reached the formatter without a draft");
		return KSTAGE_EPOISON;
	}
	if (turn->reply_partition < 0) {
		snprintf(errstr, errlen, "turn has a negative reply_partition %d", turn->reply_partition);
		return KSTAGE_EPOISON;
	}
	switch (turn->channel) {
	case CHAT__CHANNEL__CHANNEL_WHATSAPP:
		set_rendered(turn, FMT_WA_CONTENT_TYPE, fmt_render_whatsapp(turn));
		break;
	case CHAT__CHANNEL__CHANNEL_API:
		set_rendered(turn, "application/json", fmt_render_api(turn));
		break;
	default:
		set_rendered(turn, "application/json", fmt_render_web(turn));
		break;
	}
	turn_route(d, f->out_topic, turn->reply_partition);
	return 0;
}
