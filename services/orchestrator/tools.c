/* tools: the TOOL route's answers (order status, stock, loyalty,
 * promotions, store hours) from struct orch_tools rows, authorized and
 * worded here so tests drive them with fakes. */
#include <assert.h>
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "orchestrator.h"
#include "util.h"

#define REPLY_MAX 3072
#define MAX_PRODUCTS 3
#define SEARCH_MAX 5 /* products a search lists */
#define MAX_PROMOS 5
#define LOW_STOCK 3
#define WORDS_MAX 512

/* A bounded reply under construction; what does not fit is dropped. */
struct reply {
	char s[REPLY_MAX];
	size_t n;
};

static void reply_add(struct reply *r, const char *s)
{
	size_t room = sizeof(r->s) - 1 - r->n;
	size_t len = util_utf8_prefix(s, room);
	memcpy(r->s + r->n, s, len);
	r->n += len;
	r->s[r->n] = '\0';
}

/* Append template key in lang filled with args. */
static void reply_fill(struct reply *r, const char *lang, const char *key, const char *const *args, int nargs)
{
	char buf[1024];
	orch_fill(buf, sizeof(buf), orch_template(key, lang), args, nargs);
	reply_add(r, buf);
}

void orch_fill(char *out, size_t outlen, const char *tpl, const char *const *args, int nargs)
{
	struct reply r = { .n = 0 };
	r.s[0] = '\0';
	const char *p = tpl;
	while (*p) {
		if (p[0] == '{' && p[1] >= '1' && p[1] <= '9' && p[2] == '}') {
			int i = p[1] - '1';
			if (i < nargs && args[i])
				reply_add(&r, args[i]);
			p += 3;
			continue;
		}
		const char *next = strchr(p + 1, '{');
		size_t len = next ? (size_t)(next - p) : strlen(p);
		char chunk[256];
		while (len > 0) {
			size_t take = len < sizeof(chunk) - 1 ? len : sizeof(chunk) - 1;
			memcpy(chunk, p, take);
			chunk[take] = '\0';
			reply_add(&r, chunk);
			p += take;
			len -= take;
		}
	}
	size_t n = util_utf8_prefix(r.s, outlen ? outlen - 1 : 0);
	if (outlen) {
		memcpy(out, r.s, n);
		out[n] = '\0';
	}
}

void orch_format_rm(long long sen, char *out, size_t outlen)
{
	const char *sign = sen < 0 ? "-" : "";
	unsigned long long v = sen < 0 ? 0ULL - (unsigned long long)sen : (unsigned long long)sen;
	unsigned long long ringgit = v / 100, cents = v % 100;
	char digits[32], grouped[48];
	snprintf(digits, sizeof(digits), "%llu", ringgit);
	size_t len = strlen(digits), j = 0;
	for (size_t i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			grouped[j++] = ',';
		grouped[j++] = digits[i];
	}
	grouped[j] = '\0';
	snprintf(out, outlen, "%sRM %s.%02llu", sign, grouped, cents);
}

int orch_is_tool_intent(const char *intent)
{
	static const char *const tools[] = { "order_status", "stock_check", "loyalty_points", "promotions",
					     "store_info" };
	for (size_t i = 0; i < ARRAY_LEN(tools); i++)
		if (!strcmp(intent, tools[i]))
			return 1;
	return 0;
}

/* The value of the first entity of type, or NULL. */
static const char *entity(const Chat__Turn *turn, const char *type)
{
	for (size_t i = 0; i < turn->n_entities; i++)
		if (!strcmp(turn->entities[i]->type, type))
			return turn->entities[i]->value;
	return NULL;
}

static int is_guest(const Chat__Turn *turn)
{
	return !turn->customer || !turn->customer->authenticated || !*turn->customer->id;
}

/* Record the tool's structured result; json is taken over (decref'd). */
static void add_result(Chat__Turn *turn, const char *tool, int ok, json_t *json, const char *error)
{
	Chat__ToolResult *tr = xmalloc(sizeof(*tr));
	chat__tool_result__init(tr);
	tr->tool = xstrdup(tool);
	tr->ok = ok;
	char *s = json ? json_dumps(json, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	tr->json = xstrdup(s ? s : "{}");
	free(s);
	json_decref(json);
	tr->error = xstrdup(error ? error : "");
	turn->tool_results = xrealloc(turn->tool_results, (turn->n_tool_results + 1) * sizeof(*turn->tool_results));
	turn->tool_results[turn->n_tool_results++] = tr;
}

static void set_answer(Chat__Turn *turn, Chat__Action action, const char *text)
{
	orch_set_draft(turn, action, text, "orchestrator/tool");
}

/* The data behind a tool is out of reach (-1) or refused the query (-2):
 * say so politely; the store logged the detail. */
static void answer_unavailable(Chat__Turn *turn, const char *tool, int rc)
{
	set_answer(turn, CHAT__ACTION__ACTION_ANSWER, orch_template("tool_unavailable", turn->language));
	add_result(turn, tool, 0, json_pack("{s:b}", "ok", 0),
		   rc == -1 ? "database unreachable" : "query failed");
	log_write(LOG_WARN, turn->trace_id, turn->session_id, "tool \"%s\" could not read its data (%s)", tool,
		  rc == -1 ? "database unreachable" : "query failed");
}

static void answer_key(Chat__Turn *turn, Chat__Action action, const char *tool, const char *key, json_t *json)
{
	set_answer(turn, action, orch_template(key, turn->language));
	add_result(turn, tool, 1, json, NULL);
}

/* ORD- and digits, at most 20 characters; upper-cased into out. */
static int parse_order_id(const char *v, char *out, size_t outlen)
{
	size_t len = strlen(v);
	if (len < 5 || len > 20 || len >= outlen || strncasecmp(v, "ORD-", 4))
		return -1;
	for (size_t i = 4; i < len; i++)
		if (!isdigit((unsigned char)v[i]))
			return -1;
	for (size_t i = 0; i <= len; i++)
		out[i] = (char)toupper((unsigned char)v[i]);
	return 0;
}

static int authorized_order(const struct orch *o, Chat__Turn *turn, const char *tool, struct orch_order *ord);

/* An authenticated customer who names no order sees their recent orders
 * (from the L1 context) and can pick one ("the second one"). */
static void list_orders(Chat__Turn *turn, const char *tool)
{
	const char *lang = turn->language;
	const Chat__CustomerContext *ctx = turn->context;
	struct reply r = { .n = 0 };
	reply_add(&r, orch_template("orders_head", lang));
	json_t *ids = json_array();
	for (size_t i = 0; i < ctx->n_recent_orders && i < ORCH_MAX_ITEMS; i++) {
		const Chat__OrderSummary *os = ctx->recent_orders[i];
		char n[8], total[48], status_key[32];
		snprintf(n, sizeof(n), "%zu", i + 1);
		orch_format_rm(os->total_sen, total, sizeof(total));
		snprintf(status_key, sizeof(status_key), "status_%s", os->status);
		const char *status = orch_template(status_key, lang);
		const char *args[] = { n, os->order_id, *status ? status : os->status, total };
		reply_fill(&r, lang, "orders_line", args, 4);
		json_array_append_new(ids, json_string(os->order_id));
	}
	reply_add(&r, orch_template("orders_pick", lang));
	set_answer(turn, CHAT__ACTION__ACTION_ANSWER, r.s);
	add_result(turn, tool, 1, json_pack("{s:o}", "orders", ids), NULL);
}

static void tool_order_status(const struct orch *o, Chat__Turn *turn)
{
	static const char tool[] = "order_status";
	const char *lang = turn->language;
	if (!entity(turn, "order_id") && !is_guest(turn) && turn->context && turn->context->n_recent_orders > 0) {
		list_orders(turn, tool);
		return;
	}
	/* Not found and not yours read the same: an order id alone must not
	 * tell anyone that the order exists. */
	struct orch_order ord;
	if (!authorized_order(o, turn, tool, &ord))
		return;
	char total[48], items[16], status_key[32];
	orch_format_rm(ord.total_sen, total, sizeof(total));
	snprintf(items, sizeof(items), "%d", ord.items);
	snprintf(status_key, sizeof(status_key), "status_%s", ord.status);
	const char *status = orch_template(status_key, lang);
	struct reply r = { .n = 0 };
	const char *args[] = { ord.order_id, *status ? status : ord.status, ord.placed, items, total };
	reply_fill(&r, lang, "order_status", args, 5);
	if (*ord.carrier && *ord.tracking && (!strcmp(ord.status, "shipped") || !strcmp(ord.status, "delivered"))) {
		const char *targs[] = { ord.carrier, ord.tracking };
		reply_fill(&r, lang, "order_tracking", targs, 2);
	}
	set_answer(turn, CHAT__ACTION__ACTION_ANSWER, r.s);
	add_result(turn, tool, 1,
		   json_pack("{s:b,s:s,s:s,s:s,s:i,s:I,s:s,s:s}", "found", 1, "order_id", ord.order_id, "status",
			     ord.status, "placed", ord.placed, "items", ord.items, "total_sen", (json_int_t)ord.total_sen,
			     "carrier", ord.carrier, "tracking_no", ord.tracking),
		   NULL);
}

/* Words that say "stock" or "where", not which product. */
static int stopword(const char *w)
{
	static const char *const words[] = {
		"the", "and", "you", "your", "have", "has", "any", "are", "there", "stock", "stok", "instock",
		"available", "availability", "anywhere", "still", "left", "what", "how", "many", "much", "check",
		"can", "for", "with", "store", "stores", "shop", "outlet", "branch", "got", "does", "did", "want",
		"buy", "need", "please", "pls", "this", "that", "those", "these", "ada", "tak", "tidak", "boleh",
		"saya", "nak", "kedai", "masih", "lagi", "dia", "yang", "untuk", "kat", "di", "mana", "barang",
		"produk", "product", "item", "items", "sold", "out", "find", "looking", "near", "nearest", "now",
		"today", "hello", "tell", "know", "like", "would", "could", "from", "where", "which", "when",
		"sell", "sells", "selling", "carry", "offer", "some", "show", "recommend", "kind", "kinds", "type",
		"types", "range", "jual", "menjual", "cari", "apa",
	};
	for (size_t i = 0; i < ARRAY_LEN(words); i++)
		if (!strcmp(w, words[i]))
			return 1;
	return 0;
}

/* The significant Latin words of the text outside entities, lower-case and
 * joined by " | " (a tsquery that matches any of them). "" when none. */
static void product_words(const Chat__Turn *turn, char *out, size_t outlen)
{
	const char *text = turn->text;
	size_t len = strlen(text), n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < len;) {
		if (!isalpha((unsigned char)text[i])) {
			i++;
			continue;
		}
		size_t start = i;
		while (i < len && isalpha((unsigned char)text[i]))
			i++;
		int inside = 0;
		for (size_t e = 0; e < turn->n_entities; e++)
			if ((int)start >= turn->entities[e]->start && (int)start < turn->entities[e]->end)
				inside = 1;
		char w[32];
		size_t wl = i - start;
		if (inside || wl < 3 || wl >= sizeof(w))
			continue;
		for (size_t k = 0; k < wl; k++)
			w[k] = (char)tolower((unsigned char)text[start + k]);
		w[wl] = '\0';
		if (stopword(w))
			continue;
		int r = util_snprintf(out + n, outlen - n, "%s%s", n ? " | " : "", w);
		if (r < 0)
			break;
		n += (size_t)r;
	}
}

/* A product's live price as shown ("RM 1,299.00"), or "price not
 * available" in lang. */
static void price_text(const struct orch_product *p, const char *lang, char *out, size_t len)
{
	if (p->price_sen >= 0)
		orch_format_rm(p->price_sen, out, len);
	else
		util_strlcpy(out, orch_template("price_unknown", lang), len);
}

static const char *stock_word(const char *lang, int qty, char *buf, size_t len)
{
	if (qty <= 0)
		return orch_template("stock_out", lang);
	if (qty > LOW_STOCK)
		return orch_template("stock_in", lang);
	char n[16];
	snprintf(n, sizeof(n), "%d", qty);
	const char *args[] = { n };
	orch_fill(buf, len, orch_template("stock_low", lang), args, 1);
	return buf;
}

static void add_card(Chat__Draft *dr, const struct orch_product *p, int stock)
{
	Chat__ProductCard *c = xmalloc(sizeof(*c));
	chat__product_card__init(c);
	c->sku = xstrdup(p->sku);
	c->name = xstrdup(p->name);
	c->price_sen = p->price_sen < 0 ? 0 : p->price_sen;
	c->currency = xstrdup(p->currency);
	c->stock = stock;
	c->url = xstrdup("");
	c->image_url = xstrdup("");
	dr->cards = xrealloc(dr->cards, (dr->n_cards + 1) * sizeof(*dr->cards));
	dr->cards[dr->n_cards++] = c;
}

static void tool_stock_check(const struct orch *o, Chat__Turn *turn)
{
	static const char tool[] = "stock_check";
	const char *lang = turn->language;
	const char *sku = entity(turn, "sku");
	const char *store = entity(turn, "store");
	struct orch_product prods[MAX_PRODUCTS];
	char words[WORDS_MAX];
	int n;

	memset(prods, 0, sizeof(prods));
	if (sku) {
		n = o->tools.find_products(o->tools.arg, turn_tenant(turn->tenant_id), sku, NULL, prods, MAX_PRODUCTS);
	} else {
		product_words(turn, words, sizeof(words));
		n = *words ? o->tools.find_products(o->tools.arg, turn_tenant(turn->tenant_id), NULL, words, prods, MAX_PRODUCTS)
			   : 0;
	}
	if (n < 0) {
		answer_unavailable(turn, tool, n);
		return;
	}
	if (n == 0) {
		answer_key(turn, CHAT__ACTION__ACTION_CLARIFY, tool, "product_not_found",
			   json_pack("{s:b}", "found", 0));
		return;
	}
	if (n > 1 && prods[1].rank >= prods[0].rank) {
		/* No clear best match: let the customer pick. */
		set_answer(turn, CHAT__ACTION__ACTION_CLARIFY, orch_template("product_choose", lang));
		json_t *cands = json_array();
		for (int i = 0; i < n; i++) {
			char payload[256];
			const char *args[] = { prods[i].sku };
			orch_fill(payload, sizeof(payload), orch_template("stock_ask", lang), args, 1);
			orch_add_quick_reply(turn->draft, prods[i].name, payload);
			json_array_append_new(cands, json_string(prods[i].sku));
		}
		add_result(turn, tool, 1, json_pack("{s:b,s:o}", "found", 1, "candidates", cands), NULL);
		return;
	}
	const struct orch_product *p = &prods[0];
	struct orch_stock st[ORCH_MAX_STORES];
	memset(st, 0, sizeof(st));
	int ns = o->tools.stock(o->tools.arg, turn_tenant(turn->tenant_id), p->sku, st, ORCH_MAX_STORES);
	if (ns < 0) {
		answer_unavailable(turn, tool, ns);
		return;
	}
	/* The asked store, when it names one of ours; otherwise every store. */
	int only = -1;
	for (int i = 0; store && i < ns; i++)
		if (strcasestr(st[i].store_name, store))
			only = i;

	char price[48];
	price_text(p, lang, price, sizeof(price));
	struct reply r = { .n = 0 };
	const char *hargs[] = { p->name, p->sku, price };
	reply_fill(&r, lang, "stock_head", hargs, 3);
	json_t *stores = json_array();
	int total = 0;
	char elsewhere[512] = "";
	size_t en = 0;
	for (int i = 0; i < ns; i++) {
		total += st[i].qty > 0 ? st[i].qty : 0;
		json_array_append_new(stores, json_pack("{s:s,s:i}", "store_id", st[i].store_id, "qty", st[i].qty));
		if (only >= 0 && i != only) {
			if (st[i].qty > 0) {
				int w = util_snprintf(elsewhere + en, sizeof(elsewhere) - en, "%s%s", en ? ", " : "",
						      st[i].store_name);
				if (w > 0)
					en += (size_t)w;
			}
			continue;
		}
		char wbuf[64];
		const char *largs[] = { st[i].store_name, stock_word(lang, st[i].qty, wbuf, sizeof(wbuf)) };
		reply_fill(&r, lang, "stock_line", largs, 2);
	}
	if (only >= 0 && st[only].qty <= 0 && en) {
		const char *eargs[] = { elsewhere };
		reply_fill(&r, lang, "stock_elsewhere", eargs, 1);
	}
	set_answer(turn, CHAT__ACTION__ACTION_ANSWER, r.s);
	add_card(turn->draft, p, only >= 0 ? st[only].qty : total);
	add_result(turn, tool, 1,
		   json_pack("{s:b,s:s,s:s,s:I,s:s,s:o}", "found", 1, "sku", p->sku, "name", p->name, "price_sen",
			     (json_int_t)p->price_sen, "currency", p->currency, "stores", stores),
		   NULL);
}

static void tool_loyalty(const struct orch *o, Chat__Turn *turn)
{
	static const char tool[] = "loyalty_points";
	const char *lang = turn->language;
	if (is_guest(turn)) {
		answer_key(turn, CHAT__ACTION__ACTION_ANSWER, tool, "loyalty_login",
			   json_pack("{s:b}", "authenticated", 0));
		return;
	}
	struct orch_loyalty l;
	memset(&l, 0, sizeof(l));
	int rc = o->tools.loyalty(o->tools.arg, turn_tenant(turn->tenant_id), turn->customer->id, &l);
	if (rc < 0) {
		answer_unavailable(turn, tool, rc);
		return;
	}
	if (rc == 0) {
		answer_key(turn, CHAT__ACTION__ACTION_ANSWER, tool, "loyalty_unknown", json_pack("{s:b}", "found", 0));
		return;
	}
	char points[32], tier[16];
	snprintf(points, sizeof(points), "%ld", l.points);
	util_strlcpy(tier, l.tier, sizeof(tier));
	tier[0] = (char)toupper((unsigned char)tier[0]);
	struct reply r = { .n = 0 };
	const char *args[] = { points, tier };
	reply_fill(&r, lang, "loyalty", args, 2);
	long to_next = 0;
	if (*l.next_tier) {
		char need[32], next[16];
		to_next = l.next_min_points > l.points ? l.next_min_points - l.points : 0;
		snprintf(need, sizeof(need), "%ld", to_next);
		util_strlcpy(next, l.next_tier, sizeof(next));
		next[0] = (char)toupper((unsigned char)next[0]);
		const char *nargs[] = { need, next };
		reply_fill(&r, lang, "loyalty_next", nargs, 2);
	} else {
		reply_add(&r, orch_template("loyalty_top", lang));
	}
	set_answer(turn, CHAT__ACTION__ACTION_ANSWER, r.s);
	add_result(turn, tool, 1,
		   json_pack("{s:b,s:s,s:I,s:s,s:I}", "found", 1, "tier", l.tier, "points", (json_int_t)l.points,
			     "next_tier", l.next_tier, "points_to_next", (json_int_t)to_next),
		   NULL);
}

static void tool_promotions(const struct orch *o, Chat__Turn *turn)
{
	static const char tool[] = "promotions";
	const char *lang = turn->language;
	struct orch_promo pr[MAX_PROMOS];
	memset(pr, 0, sizeof(pr));
	int n = o->tools.promotions(o->tools.arg, turn_tenant(turn->tenant_id), pr, MAX_PROMOS);
	if (n < 0) {
		answer_unavailable(turn, tool, n);
		return;
	}
	if (n == 0) {
		answer_key(turn, CHAT__ACTION__ACTION_ANSWER, tool, "promos_none", json_pack("{s:[]}", "promotions"));
		return;
	}
	struct reply r = { .n = 0 };
	reply_add(&r, orch_template("promos_head", lang));
	json_t *titles = json_array();
	for (int i = 0; i < n; i++) {
		char desc[200];
		size_t dl = util_utf8_prefix(pr[i].description, 160);
		memcpy(desc, pr[i].description, dl);
		desc[dl] = '\0';
		if (dl < strlen(pr[i].description))
			util_strlcpy(desc + dl, "...", sizeof(desc) - dl);
		const char *args[] = { pr[i].title, desc };
		reply_fill(&r, lang, "promos_line", args, 2);
		json_array_append_new(titles, json_string(pr[i].title));
	}
	set_answer(turn, CHAT__ACTION__ACTION_ANSWER, r.s);
	add_result(turn, tool, 1, json_pack("{s:o}", "promotions", titles), NULL);
}

static void tool_store_info(const struct orch *o, Chat__Turn *turn)
{
	static const char tool[] = "store_info";
	const char *lang = turn->language;
	const char *want = entity(turn, "store");
	struct orch_store_info si[ORCH_MAX_STORES];
	memset(si, 0, sizeof(si));
	int n = o->tools.stores(o->tools.arg, turn_tenant(turn->tenant_id), si, ORCH_MAX_STORES);
	if (n < 0) {
		answer_unavailable(turn, tool, n);
		return;
	}
	int matched = 0;
	for (int i = 0; want && i < n; i++)
		matched += strcasestr(si[i].name, want) != NULL;
	struct reply r = { .n = 0 };
	if (!matched)
		reply_add(&r, orch_template("stores_head", lang));
	json_t *ids = json_array();
	for (int i = 0; i < n; i++) {
		if (matched && !strcasestr(si[i].name, want))
			continue;
		if (*si[i].open) {
			const char *args[] = { si[i].name, si[i].open, si[i].close, si[i].address, si[i].phone };
			reply_fill(&r, lang, "store_line", args, 5);
		} else {
			const char *args[] = { si[i].name, si[i].address, si[i].phone };
			reply_fill(&r, lang, "store_closed_line", args, 3);
		}
		json_array_append_new(ids, json_string(si[i].store_id));
	}
	/* One store's answer is its line, without the list's "\n- ". */
	const char *text = matched == 1 && !strncmp(r.s, "\n- ", 3) ? r.s + 3 : r.s;
	set_answer(turn, CHAT__ACTION__ACTION_ANSWER, text);
	add_result(turn, tool, 1, json_pack("{s:o}", "stores", ids), NULL);
}

/* Look up and authorize the order a turn names, answering the customer
 * when that fails. 1 with ord filled when the caller may go on. */
static int authorized_order(const struct orch *o, Chat__Turn *turn, const char *tool, struct orch_order *ord)
{
	const char *lang = turn->language;
	const char *raw = entity(turn, "order_id");
	const char *email = entity(turn, "email");
	int guest = is_guest(turn);
	char order_id[24];
	if (!raw) {
		answer_key(turn, CHAT__ACTION__ACTION_CLARIFY, tool, guest ? "order_need_id_email" : "order_need_id",
			   json_pack("{s:s}", "missing", guest ? "order_id,email" : "order_id"));
		return 0;
	}
	if (parse_order_id(raw, order_id, sizeof(order_id))) {
		answer_key(turn, CHAT__ACTION__ACTION_CLARIFY, tool, "order_malformed",
			   json_pack("{s:s}", "error", "malformed order id"));
		return 0;
	}
	if (guest && !email) {
		struct reply r = { .n = 0 };
		const char *args[] = { order_id };
		reply_fill(&r, lang, "order_need_email", args, 1);
		set_answer(turn, CHAT__ACTION__ACTION_CLARIFY, r.s);
		add_result(turn, tool, 1, json_pack("{s:s}", "missing", "email"), NULL);
		return 0;
	}
	memset(ord, 0, sizeof(*ord));
	int rc = o->tools.find_order(o->tools.arg, turn_tenant(turn->tenant_id), order_id, ord);
	if (rc < 0) {
		answer_unavailable(turn, tool, rc);
		return 0;
	}
	int allowed = rc == 1 && (guest ? strcasecmp(email, ord->email) == 0
					: strcmp(ord->customer_id, turn->customer->id) == 0);
	if (!allowed) {
		answer_key(turn, CHAT__ACTION__ACTION_ANSWER, tool, "order_not_found", json_pack("{s:b}", "found", 0));
		return 0;
	}
	return 1;
}

/* Start a return: only a delivered order, within the returns policy's
 * window for its owner, and only one open return per order. */
static void tool_return(const struct orch *o, Chat__Turn *turn)
{
	static const char tool[] = "start_return";
	const char *lang = turn->language;
	struct orch_order ord;
	if (!authorized_order(o, turn, tool, &ord))
		return;
	char days[16];
	snprintf(days, sizeof(days), "%d", ord.return_window_days);
	const char *why = NULL, *key = NULL;
	if (!strcmp(ord.status, "paid") || !strcmp(ord.status, "packed"))
		why = "not shipped", key = "return_not_shipped";
	else if (!strcmp(ord.status, "shipped"))
		why = "not delivered", key = "return_in_transit";
	else if (!strcmp(ord.status, "cancelled"))
		why = "cancelled", key = "return_cancelled";
	else if (!strcmp(ord.status, "returned"))
		why = "already returned", key = "return_done";
	else if (ord.delivered_days < 0 || ord.delivered_days > ord.return_window_days)
		why = "outside the return window", key = "return_window_passed";
	if (why) {
		struct reply r = { .n = 0 };
		const char *args[] = { ord.order_id, days };
		reply_fill(&r, lang, key, args, 2);
		set_answer(turn, CHAT__ACTION__ACTION_ANSWER, r.s);
		add_result(turn, tool, 1,
			   json_pack("{s:b,s:s,s:b,s:s,s:i}", "found", 1, "order_id", ord.order_id, "eligible", 0,
				     "reason", why, "window_days", ord.return_window_days),
			   NULL);
		return;
	}
	if (!o->sess.start_return) {
		answer_unavailable(turn, tool, -1);
		return;
	}
	struct orch_return ret;
	memset(&ret, 0, sizeof(ret));
	int rc = o->sess.start_return(o->sess.arg, turn, ord.order_id, &ret);
	if (rc < 0) {
		answer_unavailable(turn, tool, rc);
		return;
	}
	struct reply r = { .n = 0 };
	const char *args[] = { ret.return_id, ord.order_id, ret.status };
	reply_fill(&r, lang, rc == 1 ? "return_started" : "return_exists", args, 3);
	if (rc == 1)
		reply_add(&r, orch_template("return_next_steps", lang));
	set_answer(turn, CHAT__ACTION__ACTION_ANSWER, r.s);
	add_result(turn, tool, 1,
		   json_pack("{s:b,s:s,s:b,s:s,s:s,s:b}", "found", 1, "order_id", ord.order_id, "eligible", 1,
			     "return_id", ret.return_id, "status", ret.status, "created", rc == 1),
		   NULL);
}

/* Several products match a price question's words as well as each other:
 * each with its live price, and a quick reply to ask about one. */
static void price_list(Chat__Turn *turn, const struct orch_product *prods, int n)
{
	const char *lang = turn->language;
	struct reply r = { .n = 0 };
	reply_fill(&r, lang, "search_head", NULL, 0);
	for (int i = 0; i < n; i++) {
		char price[48];
		price_text(&prods[i], lang, price, sizeof(price));
		const char *largs[] = { prods[i].name, prods[i].sku, price };
		reply_fill(&r, lang, "search_line", largs, 3);
	}
	reply_fill(&r, lang, "search_more", NULL, 0);
	set_answer(turn, CHAT__ACTION__ACTION_ANSWER, r.s);
	json_t *cands = json_array();
	for (int i = 0; i < n; i++) {
		char payload[256];
		const char *qargs[] = { prods[i].sku };
		orch_fill(payload, sizeof(payload), orch_template("price_ask", lang), qargs, 1);
		orch_add_quick_reply(turn->draft, prods[i].name, payload);
		json_array_append_new(cands, json_string(prods[i].sku));
	}
	add_result(turn, "price", 1, json_pack("{s:b,s:o}", "found", 1, "candidates", cands), NULL);
}

/* 0, or 1 when the question names no product (the turn is left as it was). */
static int tool_price(const struct orch *o, Chat__Turn *turn)
{
	static const char tool[] = "price";
	const char *lang = turn->language;
	const char *sku = entity(turn, "sku");
	struct orch_product prods[MAX_PRODUCTS];
	memset(prods, 0, sizeof(prods));
	int n;
	if (sku) {
		n = o->tools.find_products(o->tools.arg, turn_tenant(turn->tenant_id), sku, NULL, prods, 1);
	} else {
		/* "How much is the Perhentian sofa?": the products named. */
		char words[WORDS_MAX];
		product_words(turn, words, sizeof(words));
		n = *words ? o->tools.find_products(o->tools.arg, turn_tenant(turn->tenant_id), NULL, words, prods,
						   MAX_PRODUCTS)
			   : 0;
		if (n == 0)
			return 1;
	}
	if (n < 0) {
		answer_unavailable(turn, tool, n);
		return 0;
	}
	if (n == 0) {
		answer_key(turn, CHAT__ACTION__ACTION_CLARIFY, tool, "product_not_found", json_pack("{s:b}", "found", 0));
		return 0;
	}
	if (n > 1 && prods[1].rank >= prods[0].rank) {
		price_list(turn, prods, n);
		return 0;
	}
	const struct orch_product p = prods[0];
	char price[48];
	price_text(&p, lang, price, sizeof(price));
	struct reply r = { .n = 0 };
	const char *args[] = { p.name, p.sku, price };
	reply_fill(&r, lang, "price", args, 3);
	set_answer(turn, CHAT__ACTION__ACTION_ANSWER, r.s);
	add_result(turn, tool, 1,
		   json_pack("{s:b,s:s,s:s,s:I,s:s}", "found", 1, "sku", p.sku, "name", p.name, "price_sen",
			     (json_int_t)p.price_sen, "currency", p.currency),
		   NULL);
	return 0;
}

/* The search of product_search: each significant word of the text as a
 * prefix, with its singular ("mattresses" -> "mattress:*"), one group per
 * word, any of them matching: "(mattresses:* | mattress:*) | (queen:*)".
 * "" when none. */
static void search_words(const Chat__Turn *turn, char *out, size_t outlen)
{
	char words[WORDS_MAX];
	product_words(turn, words, sizeof(words));
	size_t n = 0;
	out[0] = '\0';
	for (char *save = NULL, *w = strtok_r(words, " |", &save); w; w = strtok_r(NULL, " |", &save)) {
		size_t wl = strlen(w);
		char stem[32] = "";
		if (wl > 4 && !strcmp(w + wl - 3, "ies"))
			snprintf(stem, sizeof(stem), "%.*sy", (int)(wl - 3), w); /* accessories */
		else if (wl > 4 && (!strcmp(w + wl - 4, "sses") || !strcmp(w + wl - 4, "ches") ||
				    !strcmp(w + wl - 4, "shes") || !strcmp(w + wl - 3, "xes")))
			snprintf(stem, sizeof(stem), "%.*s", (int)(wl - 2), w); /* mattresses, benches */
		else if (wl > 3 && w[wl - 1] == 's' && w[wl - 2] != 's')
			snprintf(stem, sizeof(stem), "%.*s", (int)(wl - 1), w); /* sofas */
		int r = stem[0] ? util_snprintf(out + n, outlen - n, "%s(%s:* | %s:*)", n ? " | " : "", w, stem)
				: util_snprintf(out + n, outlen - n, "%s(%s:*)", n ? " | " : "", w);
		if (r < 0)
			break;
		n += (size_t)r;
	}
}

/* "Do you sell standing desks?": the catalogue's best matches by name (all
 * languages), each with its live price and stock, as cards. */
static void tool_product_search(const struct orch *o, Chat__Turn *turn)
{
	static const char tool[] = "product_search";
	const char *lang = turn->language;
	char words[WORDS_MAX];
	search_words(turn, words, sizeof(words));
	struct orch_product prods[SEARCH_MAX];
	memset(prods, 0, sizeof(prods));
	int n = o->tools.find_products(o->tools.arg, turn_tenant(turn->tenant_id), NULL, words, prods, SEARCH_MAX);
	if (n < 0) {
		answer_unavailable(turn, tool, n);
		return;
	}
	if (n == 0) {
		answer_key(turn, CHAT__ACTION__ACTION_ANSWER, tool, "search_none", json_pack("{s:b}", "found", 0));
		return;
	}
	struct reply r = { .n = 0 };
	reply_fill(&r, lang, "search_head", NULL, 0);
	int total[SEARCH_MAX] = { 0 };
	for (int i = 0; i < n; i++) {
		struct orch_stock st[ORCH_MAX_STORES];
		memset(st, 0, sizeof(st));
		int ns = o->tools.stock(o->tools.arg, turn_tenant(turn->tenant_id), prods[i].sku, st, ORCH_MAX_STORES);
		if (ns < 0) {
			answer_unavailable(turn, tool, ns);
			return;
		}
		for (int k = 0; k < ns; k++)
			total[i] += st[k].qty > 0 ? st[k].qty : 0;
		char price[48];
		price_text(&prods[i], lang, price, sizeof(price));
		const char *largs[] = { prods[i].name, prods[i].sku, price };
		reply_fill(&r, lang, "search_line", largs, 3);
	}
	reply_fill(&r, lang, "search_more", NULL, 0);
	set_answer(turn, CHAT__ACTION__ACTION_ANSWER, r.s);
	json_t *cands = json_array();
	for (int i = 0; i < n; i++) {
		add_card(turn->draft, &prods[i], total[i]);
		json_array_append_new(cands, json_string(prods[i].sku));
	}
	add_result(turn, tool, 1, json_pack("{s:b,s:o}", "found", 1, "candidates", cands), NULL);
}

int orch_catalogue_has(const struct orch *o, const Chat__Turn *turn)
{
	char words[WORDS_MAX];
	search_words(turn, words, sizeof(words));
	if (!*words)
		return 0;
	struct orch_product prods[SEARCH_MAX];
	memset(prods, 0, sizeof(prods));
	int n = o->tools.find_products(o->tools.arg, turn_tenant(turn->tenant_id), NULL, words, prods, SEARCH_MAX);
	return n > 0;
}

const char *orch_tool_for(const Chat__Turn *turn)
{
	const char *intent = turn->intent;
	if (!strcmp(intent, "loyalty_points") && orch_asks_programme(turn->text))
		return ""; /* "do my points expire?": the programme's rules, not a balance */
	if (!strcmp(intent, "order_status") && !entity(turn, "order_id") && orch_asks_meaning(turn->text))
		return ""; /* "it says packed, what does that mean?": the status's meaning */
	if (!strcmp(intent, "store_info") && orch_asks_store_rules(turn->text))
		return ""; /* "are you open on public holidays?": the stores page */
	if (!strcmp(intent, "promotions") && orch_asks_promo_rules(turn->text))
		return ""; /* "is there a Chinese New Year sale?": the promotions page */
	if (orch_is_tool_intent(intent))
		return intent;
	if (!strcmp(intent, "product_search") && !entity(turn, "sku")) {
		char words[WORDS_MAX];
		product_words(turn, words, sizeof(words));
		if (*words)
			return "product_search";
	}
	if (!strcmp(intent, "return_refund") && entity(turn, "order_id"))
		return "start_return";
	if ((!strcmp(intent, "product_question") || !strcmp(intent, "product_search")) && orch_asks_price(turn->text)) {
		if (entity(turn, "sku"))
			return "price";
		char words[WORDS_MAX];
		product_words(turn, words, sizeof(words));
		if (*words && orch_asks_product_price(turn->text))
			return "price";
	}
	return "";
}

int orch_tool_run(const struct orch *o, Chat__Turn *turn)
{
	const char *intent = orch_tool_for(turn);
	if (!strcmp(intent, "start_return"))
		tool_return(o, turn);
	else if (!strcmp(intent, "price"))
		return tool_price(o, turn);
	else if (!strcmp(intent, "product_search"))
		tool_product_search(o, turn);
	else if (!strcmp(intent, "order_status"))
		tool_order_status(o, turn);
	else if (!strcmp(intent, "stock_check"))
		tool_stock_check(o, turn);
	else if (!strcmp(intent, "loyalty_points"))
		tool_loyalty(o, turn);
	else if (!strcmp(intent, "promotions"))
		tool_promotions(o, turn);
	else if (!strcmp(intent, "store_info"))
		tool_store_info(o, turn);
	else
		assert(!"orch_tool_run called for an intent without a tool");
	return 0;
}
