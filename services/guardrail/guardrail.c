/* guardrail: checks a draft before the customer sees it. */
#include "guardrail.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hmap.h"
#include "injection.h"
#include "log.h"
#include "redact.h"
#include "util.h"

#define GUARD_MAX_EVICT 8 /* evictions flushed per chunk (emit slots) */

/* A turn's stream: held until the turn's draft has been checked, then
 * released through the redactor or cut. While pending, a stream whose
 * citation was checked on its first chunk (early) releases each complete
 * sentence that no check of the draft could change, until the first one
 * that could (blocked). */
enum gstate { GS_PENDING, GS_RELEASE, GS_CUT };

struct gstream {
	enum gstate state;
	struct redact_stream rs;
	char *held; /* raw text received while pending */
	size_t held_len;
	int final_seen;
	int early;   /* citation and customer text checked: sentences may go before the verdict */
	int blocked; /* a sentence must wait for the verdict (or the citation failed) */
	uint32_t out_seq; /* seq of the next chunk sent on: strictly increasing per turn */
	int64_t last_us; /* monotonic time of the last chunk or verdict */
	char *tenant_id;
	char *session_id;
	char *turn_id;
	int32_t reply_partition;
};

void guard_init(struct guard *g, const char *out_topic, const char *stream_topic, size_t max_streams,
		long stream_ttl_s)
{
	memset(g, 0, sizeof(*g));
	g->out_topic = out_topic;
	g->stream_topic = stream_topic;
	g->max_streams = max_streams ? max_streams : 1;
	g->stream_ttl_us = (int64_t)stream_ttl_s * 1000000;
	g->streams = hmap_new(64);
	g->injection_threshold = 2.0f;
}

static void gstream_free(struct gstream *st)
{
	redact_stream_release(&st->rs);
	free(st->held);
	free(st->tenant_id);
	free(st->session_id);
	free(st->turn_id);
	free(st);
}

static int sweep_all(void *arg, const char *key, void *value)
{
	(void)arg;
	(void)key;
	gstream_free(value);
	return 1;
}

void guard_release(struct guard *g)
{
	if (!g->streams)
		return;
	hmap_sweep(g->streams, sweep_all, NULL);
	hmap_free(g->streams);
	g->streams = NULL;
}

size_t guard_streams_open(const struct guard *g)
{
	return g->streams ? hmap_len(g->streams) : 0;
}

static int cited_passage_exists(const Chat__Turn *turn, const char *id)
{
	for (size_t i = 0; i < turn->n_passages; i++)
		if (!strcmp(turn->passages[i]->id, id))
			return 1;
	return 0;
}

static int alnum_byte(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The next number of t from *i ("1,500", "3.5", "30"), its digits and
 * decimal point only, into out, and where it starts; 0 at the end. A
 * number glued to letters or a hyphen ("HL-BED-0003", "ORD-102173",
 * "2nd") is part of a name, not a figure, and is skipped. */
static int next_figure(const char *t, size_t *i, char *out, size_t outlen, size_t *at)
{
	size_t k = *i;
	for (;;) {
		while (t[k] && !(t[k] >= '0' && t[k] <= '9'))
			k++;
		if (!t[k]) {
			*i = k;
			return 0;
		}
		size_t e = k;
		while (alnum_byte(t[e]) || ((t[e] == ',' || t[e] == '.') && t[e + 1] >= '0' && t[e + 1] <= '9'))
			e++;
		int glued = (k > 0 && (alnum_byte(t[k - 1]) || t[k - 1] == '-'));
		for (size_t q = k; q < e && !glued; q++)
			glued = (t[q] >= 'a' && t[q] <= 'z') || (t[q] >= 'A' && t[q] <= 'Z');
		if (!glued)
			break;
		k = e;
	}
	*at = k;
	size_t n = 0;
	while (t[k] >= '0' && t[k] <= '9') {
		if (n + 1 < outlen)
			out[n++] = t[k];
		k++;
		/* a thousands separator or a decimal point inside the number */
		if ((t[k] == ',' || t[k] == '.') && t[k + 1] >= '0' && t[k + 1] <= '9') {
			if (t[k] == '.' && n + 1 < outlen)
				out[n++] = '.';
			k++;
		}
	}
	out[n] = '\0';
	*i = k;
	return 1;
}

/* 1 when every number in an LLM answer is one its cited passages (or, for a
 * figure the model carried over, any passage of the turn) state: a model
 * that writes "3 days" from a passage saying "30 days" is caught here.
 * Numbers are compared by their digits ("1,500" = "1500"). */
static int figures_supported(const Chat__Turn *turn)
{
	const char *text = turn->draft->text ? turn->draft->text : "";
	char fig[32], pf[32];
	int evidence = 0; /* passages carry their text (the retriever's do) */
	for (size_t p = 0; p < turn->n_passages; p++)
		evidence |= turn->passages[p]->text && turn->passages[p]->text[0];
	if (!evidence)
		return 1;
	/* amounts of money are the price check's (the catalogue, not the
	 * passages, has product prices) */
	struct guard_price prices[GUARD_PRICE_MAX];
	size_t np = guard_price_find(text, strlen(text), prices, GUARD_PRICE_MAX);
	size_t at, pat;
	for (size_t i = 0; next_figure(text, &i, fig, sizeof(fig), &at);) {
		int found = 0;
		for (size_t k = 0; k < np && !found; k++)
			found = at >= prices[k].start && at < prices[k].end;
		for (size_t p = 0; p < turn->n_passages && !found; p++) {
			const char *pt = turn->passages[p]->text ? turn->passages[p]->text : "";
			for (size_t j = 0; !found && next_figure(pt, &j, pf, sizeof(pf), &pat);)
				found = !strcmp(fig, pf);
		}
		if (!found)
			return 0;
	}
	return 1;
}

static void add_flag(Chat__Verdict *v, const char *flag)
{
	for (size_t i = 0; i < v->n_flags; i++)
		if (!strcmp(v->flags[i], flag))
			return;
	v->flags = xrealloc(v->flags, (v->n_flags + 1) * sizeof(*v->flags));
	v->flags[v->n_flags++] = xstrdup(flag);
}

unsigned guard_redact_mask(const Chat__Draft *draft)
{
	/* The orchestrator composes tool and template answers from the
	 * retailer's own records and fixed templates, never from what the
	 * customer typed: the phone numbers there are the stores' published
	 * ones and must reach the customer. Everything else, and every kind in
	 * text an LLM wrote, is redacted. */
	if (draft->producer && !strncmp(draft->producer, "orchestrator/", 13))
		return REDACT_ALL & ~REDACT_MASK(REDACT_PHONE);
	return REDACT_ALL;
}

static void add_redaction(Chat__Verdict *v, const char *kind)
{
	for (size_t i = 0; i < v->n_redactions; i++)
		if (!strcmp(v->redactions[i], kind))
			return;
	v->redactions = xrealloc(v->redactions, (v->n_redactions + 1) * sizeof(*v->redactions));
	v->redactions[v->n_redactions++] = xstrdup(kind);
}

const char *guard_decline_text(const char *language)
{
	if (language && !strcmp(language, "ms"))
		return "Maaf, saya tidak dapat membantu dengan permintaan itu. Saya boleh bantu dengan produk, "
		       "pesanan, penghantaran dan pemulangan kami.";
	if (language && !strcmp(language, "zh"))
		return "抱歉，这个请求我无法处理。我可以帮您了解我们的产品、订单、送货和退货。";
	return "Sorry, I can't help with that request. I'm happy to help with our products, orders, delivery "
	       "and returns.";
}

static const char handoff_text[] = "I can't answer that reliably, so I'm passing you to a member of our team.";

static void set_action(Chat__Turn *turn, Chat__Action action, const char *text, const char *reason, const char *flag)
{
	Chat__Draft *draft = turn->draft;
	draft->action = action;
	turn_set_str(&draft->text, text);
	turn_set_str(&draft->reason, reason);
	for (size_t i = 0; i < draft->n_citations; i++)
		free(draft->citations[i]);
	free(draft->citations);
	draft->citations = NULL;
	draft->n_citations = 0;
	add_flag(turn->verdict, flag);
	turn->verdict->downgraded = 1;
}

/* Drafts written by an LLM provider (they stream, and must cite). */
static int from_llm(const Chat__Draft *draft)
{
	return draft->producer && !strncmp(draft->producer, "llm-caller/", 11);
}

static int must_cite(const Chat__Draft *draft)
{
	return from_llm(draft);
}

/* SKUs the turn is about besides the text: product cards and tool results
 * (any "sku" member of their JSON). */
static size_t context_skus(const Chat__Turn *turn, char skus[][GUARD_PRICE_SKU_MAX], size_t n, size_t max)
{
	const Chat__Draft *draft = turn->draft;
	for (size_t i = 0; i < draft->n_cards && n < max; i++)
		if (draft->cards[i]->sku && draft->cards[i]->sku[0])
			util_strlcpy(skus[n++], draft->cards[i]->sku, GUARD_PRICE_SKU_MAX);
	for (size_t i = 0; i < turn->n_tool_results && n < max; i++) {
		const char *j = turn->tool_results[i]->json;
		for (const char *p = j ? strstr(j, "\"sku\"") : NULL; p && n < max; p = strstr(p + 5, "\"sku\"")) {
			const char *q = p + 5;
			while (*q == ' ' || *q == ':')
				q++;
			if (*q != '"')
				continue;
			q++;
			size_t l = strcspn(q, "\"");
			if (l && l < GUARD_PRICE_SKU_MAX) {
				memcpy(skus[n], q, l);
				skus[n][l] = '\0';
				n++;
			}
		}
	}
	return n;
}

/* The texts of the passages the draft cites (heap array of borrowed
 * strings; the caller frees the array). */
static const char **cited_texts(const Chat__Turn *turn, size_t *n)
{
	const Chat__Draft *draft = turn->draft;
	const char **cited = xcalloc(draft->n_citations + 1, sizeof(*cited));
	*n = 0;
	for (size_t i = 0; i < draft->n_citations; i++)
		for (size_t p = 0; p < turn->n_passages; p++)
			if (!strcmp(turn->passages[p]->id, draft->citations[i])) {
				cited[(*n)++] = turn->passages[p]->text;
				break;
			}
	return cited;
}

/* Check the prices of the draft's text; cited[0..ncited) are the texts of
 * the passages it cites. -1 when the catalog is down. */
static int check_prices(struct guard *g, Chat__Turn *turn, const char *const *cited, size_t ncited)
{
	Chat__Draft *draft = turn->draft;
	struct guard_price found[GUARD_PRICE_MAX];
	size_t len = strlen(draft->text);
	size_t np = guard_price_find(draft->text, len, found, GUARD_PRICE_MAX);
	int any = 0;
	for (size_t i = 0; i < np; i++)
		any |= !found[i].other;
	if (!any)
		return 0;
	char (*skus)[GUARD_PRICE_SKU_MAX] = xcalloc(GUARD_MAX_PRODUCTS, GUARD_PRICE_SKU_MAX);
	size_t nt = guard_price_skus(draft->text, len, skus, GUARD_MAX_PRODUCTS / 2);
	size_t ns = context_skus(turn, skus, nt, GUARD_MAX_PRODUCTS);
	struct guard_product *prods = xcalloc(GUARD_MAX_PRODUCTS, sizeof(*prods));
	int n = g->io.products(g->io.arg, turn_tenant(turn->tenant_id), draft->text, skus, ns, prods,
			       GUARD_MAX_PRODUCTS);
	if (n < 0) {
		free(skus);
		free(prods);
		return -1;
	}
	size_t np2 = (size_t)n;
	/* SKUs written in the text that the catalog does not know */
	for (size_t i = 0; i < nt && np2 < GUARD_MAX_PRODUCTS; i++) {
		int known = 0;
		for (size_t k = 0; k < np2 && !known; k++)
			known = !strcasecmp(prods[k].sku, skus[i]);
		if (!known) {
			memset(&prods[np2], 0, sizeof(prods[np2]));
			util_strlcpy(prods[np2].sku, skus[i], sizeof(prods[np2].sku));
			prods[np2].price_sen = -1;
			np2++;
		}
	}
	/* the turn is about one product when its context names exactly one */
	const struct guard_product *fallback = NULL;
	size_t distinct = 0;
	for (size_t i = nt; i < ns; i++) {
		int dup = 0;
		for (size_t k = nt; k < i; k++)
			dup |= !strcmp(skus[k], skus[i]);
		if (dup)
			continue;
		distinct++;
		for (size_t k = 0; k < np2; k++)
			if (!strcasecmp(prods[k].sku, skus[i]))
				fallback = &prods[k];
	}
	if (distinct != 1)
		fallback = NULL;
	/* the orchestrator's amounts come from records (totals, refunds):
	 * corrected when they name a product, never removed for want of one;
	 * an amount about no product that the cited passages state (a fee, a
	 * voucher, a threshold) is the retailer's own figure, not a price the
	 * model made up */
	struct guard_price_result res;
	char *fixed = guard_price_check(draft->text, prods, np2, fallback, !from_llm(draft), cited, ncited, &res);
	if (res.corrected)
		add_flag(turn->verdict, "price_corrected");
	if (res.removed)
		add_flag(turn->verdict, "price_removed");
	if (res.corrected || res.removed)
		turn_set_str(&draft->text, fixed);
	free(fixed);
	for (size_t k = 0; k < np2; k++)
		guard_product_release(&prods[k]);
	free(prods);
	free(skus);
	return 0;
}

/* The customer's own text keeps contact details (agents and order look-ups
 * need them) but never an NRIC or a card number: it is stored in the
 * transcript and in session memory downstream of here. */
static void redact_customer_text(Chat__Turn *turn)
{
	const unsigned mask = REDACT_MASK(REDACT_NRIC) | REDACT_MASK(REDACT_CARD);
	struct redact_counts rc = { { 0 } };
	if (turn->text && turn->text[0]) {
		char *red = redact_text(turn->text, mask, &rc);
		turn_set_str(&turn->text, red);
		free(red);
	}
	for (size_t i = 0; i < turn->n_history; i++) {
		char *red = redact_text(turn->history[i]->text ? turn->history[i]->text : "", mask, &rc);
		turn_set_str(&turn->history[i]->text, red);
		free(red);
	}
	for (size_t i = 0; i < turn->n_entities; i++) {
		struct redact_counts one = { { 0 } };
		char *red = redact_text(turn->entities[i]->value ? turn->entities[i]->value : "", mask, &one);
		if (one.n[REDACT_NRIC] || one.n[REDACT_CARD])
			turn_set_str(&turn->entities[i]->value, red);
		free(red);
	}
}

static void remember(struct guard *g, const Chat__Turn *turn, int release)
{
	g->last.valid = 1;
	g->last.release = release;
	g->last.streamed = from_llm(turn->draft);
	util_strlcpy(g->last.turn_id, turn->turn_id, sizeof(g->last.turn_id));
	util_strlcpy(g->last.tenant_id, turn->tenant_id ? turn->tenant_id : "", sizeof(g->last.tenant_id));
	util_strlcpy(g->last.session_id, turn->session_id ? turn->session_id : "", sizeof(g->last.session_id));
	g->last.reply_partition = turn->reply_partition;
}

int guard_process(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen)
{
	struct guard *g = ctx;
	g->last.valid = 0;
	if (!turn->draft) {
		snprintf(errstr, errlen, "turn reached the guardrail without a draft");
		return KSTAGE_EPOISON;
	}
	if (!turn->verdict) {
		turn->verdict = xmalloc(sizeof(*turn->verdict));
		chat__verdict__init(turn->verdict);
	}
	Chat__Draft *draft = turn->draft;
	if (!draft->text)
		turn_set_str(&draft->text, "");
	int changed = 0; /* the text differs from what was streamed beyond redaction */

	/* 1. the customer's message: a prompt injection is declined, whatever
	 * was drafted for it */
	if (g->injection_threshold <= 1.0f && turn->text && turn->text[0]) {
		float s = guard_injection_score(g->injection_model, turn->text, strlen(turn->text));
		if (s > turn->injection_score)
			turn->injection_score = s;
		if (turn->injection_score > g->injection_threshold && draft->action != CHAT__ACTION__ACTION_HAND_OFF) {
			set_action(turn, CHAT__ACTION__ACTION_DECLINE, guard_decline_text(turn->language),
				   "prompt injection", "prompt_injection");
			changed = 1;
		}
	}
	/* 2. grounding: an LLM answer cites only passages of this turn */
	if (!changed && draft->action == CHAT__ACTION__ACTION_ANSWER) {
		const char *bad = NULL;
		for (size_t i = 0; i < draft->n_citations && !bad; i++)
			if (!cited_passage_exists(turn, draft->citations[i]))
				bad = "ungrounded_citation";
		if (!bad && !draft->n_citations && must_cite(draft))
			bad = "missing_citation";
		/* and states no figure ("30 days", "RM 1,500") its passages do not */
		if (!bad && from_llm(draft) && draft->n_citations && !figures_supported(turn))
			bad = "unsupported_figure";
		if (bad) {
			/* the customer gets a person instead of a made-up source */
			set_action(turn, CHAT__ACTION__ACTION_HAND_OFF, handoff_text,
				   !strcmp(bad, "missing_citation")	? "answer cites no retrieved passage"
				   : !strcmp(bad, "unsupported_figure") ? "answer states a figure its passages do not"
									: "citation not among retrieved passages",
				   bad);
			changed = 1;
		}
	}
	/* the passages the draft still cites (steps 3 and 5 read them) */
	size_t ncited;
	const char **cited = cited_texts(turn, &ncited);
	/* 3. personal data; an e-mail address or phone number the cited
	 * passage states word for word is the retailer's own ("write to
	 * help@..."), not a person's, and stays in the final text (a streamed
	 * chunk, replaced by it, keeps the placeholder) */
	if (draft->text[0]) {
		struct redact_counts rc = { { 0 } };
		char *red = redact_text_keep(draft->text, guard_redact_mask(draft), cited, ncited, &rc);
		int any = 0;
		for (int k = 0; k < REDACT_NKINDS; k++)
			if (rc.n[k]) {
				add_redaction(turn->verdict, redact_kind_name((enum redact_kind)k));
				any = 1;
			}
		if (any) {
			turn_set_str(&draft->text, red);
			add_flag(turn->verdict, "pii_redacted");
		}
		free(red);
	}
	/* 4. competitors */
	if (g->competitors && g->competitors->n && draft->text[0]) {
		int removed = 0;
		char *clean = guard_comp_remove(g->competitors, turn_tenant(turn->tenant_id), draft->text, &removed);
		if (removed) {
			if (!clean[0]) {
				free(clean);
				clean = xstrdup(guard_decline_text(turn->language));
			}
			turn_set_str(&draft->text, clean);
			add_flag(turn->verdict, "competitor_removed");
			changed = 1;
		}
		free(clean);
	}
	/* 5. prices against the live catalog */
	if (g->io.products && draft->text[0] && draft->action != CHAT__ACTION__ACTION_HAND_OFF) {
		size_t before = turn->verdict->n_flags;
		if (check_prices(g, turn, cited, ncited) < 0) {
			snprintf(errstr, errlen, "catalog unreachable: cannot check the prices of the draft");
			free(cited);
			return KSTAGE_EBLOCKED;
		}
		if (turn->verdict->n_flags != before)
			changed = 1;
	}
	free(cited);
	redact_customer_text(turn);
	remember(g, turn, !changed && (draft->action == CHAT__ACTION__ACTION_ANSWER ||
				       draft->action == CHAT__ACTION__ACTION_CLARIFY));
	/* Past the checks a passage is cited by id and title (the formatter)
	 * and logged by id, title and score (knowledge gaps): its text, most
	 * of the turn's bytes, would only be decoded again by the formatter,
	 * the gateway and the recorder. */
	for (size_t i = 0; i < turn->n_passages; i++)
		turn_set_str(&turn->passages[i]->text, "");
	turn_route(d, g->out_topic, RD_KAFKA_PARTITION_UA);
	return 0;
}

/* Queue one chunk on the stream topic; delta is copied into the packed
 * bytes. Returns -1 when the emit is full. */
static int emit_chunk(struct guard *g, struct kstage_emit *em, const char *tenant_id, const char *session_id,
		      const char *turn_id, uint32_t seq, const char *delta, int final, int32_t partition)
{
	Chat__StreamChunk c = CHAT__STREAM_CHUNK__INIT;
	c.tenant_id = (char *)tenant_id;
	c.session_id = (char *)session_id;
	c.turn_id = (char *)turn_id;
	c.seq = seq;
	c.delta = (char *)delta;
	c.final = final;
	c.reply_partition = partition;
	size_t len = chat__stream_chunk__get_packed_size(&c);
	void *buf = xmalloc(len);
	chat__stream_chunk__pack(&c, buf);
	if (kstage_emit(em, g->stream_topic, partition, session_id, strlen(session_id), buf, len) < 0) {
		free(buf);
		return -1;
	}
	return 0;
}

struct evict_scan {
	int64_t now;
	int64_t ttl_us;
	struct gstream *victims[GUARD_MAX_EVICT];
	int n;
	struct gstream *oldest;
};

static int sweep_stale(void *arg, const char *key, void *value)
{
	struct evict_scan *es = arg;
	struct gstream *st = value;
	(void)key;
	if (es->n < GUARD_MAX_EVICT && es->now - st->last_us > es->ttl_us) {
		es->victims[es->n++] = st;
		return 1;
	}
	if (!es->oldest || st->last_us < es->oldest->last_us)
		es->oldest = st;
	return 0;
}

/* A dropped stream that was released shows the rest of its text
 * (redacted), as a non-final chunk: the final never came. A stream still
 * waiting for its verdict is dropped unseen: unchecked text never leaves,
 * and the customer still gets the turn's reply. */
static void evict(struct guard *g, struct kstage_emit *em, struct gstream *st)
{
	if (st->state == GS_RELEASE) {
		char *rest = redact_stream_feed(&st->rs, NULL, 0, 1);
		if (rest[0] && emit_chunk(g, em, st->tenant_id, st->session_id, st->turn_id, st->out_seq++, rest, 0,
					  st->reply_partition) < 0)
			log_write(LOG_WARN, NULL, st->session_id, "no room to flush the held text of evicted stream \"%s\"",
				  st->turn_id);
		free(rest);
	} else if (st->state == GS_PENDING && st->held_len) {
		log_write(LOG_WARN, NULL, st->session_id, "dropping the unchecked stream of turn \"%s\" (no verdict)",
			  st->turn_id);
	}
	gstream_free(st);
}

/* Make room for one more stream: drop the stale ones, then, when still
 * full, the one fed least recently. */
static void make_room(struct guard *g, struct kstage_emit *em, int64_t now)
{
	struct evict_scan es = { now, g->stream_ttl_us, { NULL }, 0, NULL };
	hmap_sweep(g->streams, sweep_stale, &es);
	for (int i = 0; i < es.n; i++)
		evict(g, em, es.victims[i]);
	if (hmap_len(g->streams) >= g->max_streams && es.oldest) {
		hmap_del(g->streams, es.oldest->turn_id);
		log_write(LOG_WARN, NULL, es.oldest->session_id, "too many open streams: dropping the state of turn \"%s\"",
			 es.oldest->turn_id);
		evict(g, em, es.oldest);
	}
}

static struct gstream *stream_get(struct guard *g, struct kstage_emit *em, const char *tenant_id,
				  const char *session_id, const char *turn_id, int32_t partition)
{
	struct gstream *st = hmap_get(g->streams, turn_id);
	if (st)
		return st;
	make_room(g, em, util_mono_us());
	st = xcalloc(1, sizeof(*st));
	st->state = GS_PENDING;
	redact_stream_init(&st->rs, REDACT_ALL);
	st->tenant_id = xstrdup(tenant_id ? tenant_id : "");
	st->session_id = xstrdup(session_id);
	st->turn_id = xstrdup(turn_id);
	st->reply_partition = partition;
	st->last_us = util_mono_us();
	hmap_put(g->streams, turn_id, st);
	return st;
}

static void stream_done(struct guard *g, struct gstream *st)
{
	hmap_del(g->streams, st->turn_id);
	gstream_free(st);
}

/* The first chunk of an answer names its citation, the turn's passages and
 * the customer's message: the two checks of the draft that can turn the
 * whole answer into something else (grounding, injection) run on them now.
 * Same rules as guard_process. */
static int early_ok(const struct guard *g, const Chat__StreamChunk *c)
{
	int cited = 0;
	for (size_t i = 0; i < c->n_passage_ids && !cited; i++)
		cited = c->passage_ids[i] && !strcmp(c->passage_ids[i], c->citation_id);
	if (!cited)
		return 0;
	const char *in = c->input_text ? c->input_text : "";
	if (g->injection_threshold <= 1.0f && in[0] &&
	    guard_injection_score(g->injection_model, in, strlen(in)) > g->injection_threshold)
		return 0;
	return 1;
}

/* Byte i ends a sentence of held text: a full stop at the very end is not
 * known to end one until more text or the final chunk comes ("RM 12." may
 * go on "90"). */
static int sentence_done(const char *t, size_t len, size_t i, int final)
{
	if (t[i] == '.' && i + 1 >= len && !final)
		return 0;
	return guard_sentence_mark(t, len, i);
}

/* Words that mark an amount of money next to a number ("RM 129",
 * "129 ringgit"); the forms guard_price_find reads. */
static int currency_word(const char *w, size_t n)
{
	static const char *const CUR[] = { "rm", "myr", "ringgit", "令吉", "零吉", "马币", "馬幣", "$", "usd", "sgd" };
	while (n && strchr(".,;:!?)(", w[n - 1]))
		n--;
	for (size_t i = 0; i < ARRAY_LEN(CUR); i++)
		if (strlen(CUR[i]) == n && !strncasecmp(w, CUR[i], n))
			return 1;
	return 0;
}

static int has_digit(const char *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (w[i] >= '0' && w[i] <= '9')
			return 1;
	return 0;
}

static int space_byte(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

/* The end of the word starting at i of t[0..len): at a space, or just
 * after a sentence mark (Chinese has no spaces); 0 when the word may go on
 * (more text can still come). */
static size_t word_end(const char *t, size_t len, size_t i, int final)
{
	size_t j = i;
	while (j < len && !space_byte(t[j])) {
		if (sentence_done(t, len, j, final))
			return j + 1;
		j++;
	}
	return j < len || final ? j : 0;
}

/* Early release: the complete words at the head of the held text that no
 * check of the draft can change go out (redacted) as one chunk. A number or
 * currency word waits for the word after it, and when the two make an
 * amount (a price to check) the stream blocks there until the verdict; so
 * does a sentence that names a competitor. The final chunk is never sent
 * before the verdict: a cut turn still ends with an empty final. */
static int release_words(struct guard *g, struct kstage_emit *em, struct gstream *st)
{
	const char *t = st->held;
	size_t len = st->held_len, ok = 0, i = 0, sent = 0;
	int fin = st->final_seen;
	const char *tenant = turn_tenant(st->tenant_id);
	int comps = g->competitors && g->competitors->n;
	while (i < len) {
		while (i < len && space_byte(t[i]))
			i++;
		if (i >= len) {
			ok = len;
			break;
		}
		size_t j = word_end(t, len, i, fin);
		if (!j)
			break;
		if (has_digit(t + i, j - i) || currency_word(t + i, j - i)) {
			/* an amount needs the next word too ("129 ringgit") */
			size_t k = j;
			while (k < len && space_byte(t[k]))
				k++;
			size_t e = k < len ? word_end(t, len, k, fin) : (fin ? len : 0);
			if (!e)
				break;
			struct guard_price found[GUARD_PRICE_MAX];
			size_t n = guard_price_find(t + sent, e - sent, found, GUARD_PRICE_MAX);
			for (size_t p = 0; p < n; p++)
				if (sent + found[p].end > i) {
					st->blocked = 1;
					break;
				}
			if (st->blocked)
				break;
		}
		if (comps && guard_comp_named(g->competitors, tenant, t + sent, j - sent)) {
			st->blocked = 1;
			break;
		}
		if (sentence_done(t, len, j - 1, fin))
			sent = j;
		/* the spaces after a word go with it: the redactor then knows the
		 * word is whole and lets it out */
		while (j < len && space_byte(t[j]))
			j++;
		ok = i = j;
	}
	if (!ok)
		return 0;
	int rc = 0;
	char *safe = redact_stream_feed(&st->rs, t, ok, 0);
	if (safe[0])
		rc = emit_chunk(g, em, st->tenant_id, st->session_id, st->turn_id, st->out_seq++, safe, 0,
				st->reply_partition);
	free(safe);
	memmove(st->held, st->held + ok, len - ok);
	st->held_len -= ok;
	st->held[st->held_len] = '\0';
	return rc;
}

int guard_stream(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen)
{
	struct guard *g = ctx;
	assert(g->streams && "guard_init first");
	Chat__StreamChunk *c = chat__stream_chunk__unpack(NULL, msg->len, msg->payload);
	if (!c) {
		snprintf(errstr, errlen, "cannot decode chat.StreamChunk from %zu bytes", msg->len);
		return KSTAGE_EPOISON;
	}
	if (!util_valid_id(c->session_id, 128) || !util_valid_id(c->turn_id, 64)) {
		snprintf(errstr, errlen, "chat.StreamChunk without a valid session_id and turn_id");
		chat__stream_chunk__free_unpacked(c, NULL);
		return KSTAGE_EPOISON;
	}
	struct gstream *st = stream_get(g, em, c->tenant_id, c->session_id, c->turn_id, c->reply_partition);
	st->last_us = util_mono_us();
	st->reply_partition = c->reply_partition;
	const char *delta = c->delta ? c->delta : "";
	size_t dlen = strlen(delta);
	int rc = 0;
	switch (st->state) {
	case GS_PENDING:
		if (st->held_len + dlen > GUARD_HOLD_MAX) {
			/* longer than any answer: cut it, the reply still comes */
			log_write(LOG_WARN, NULL, st->session_id, "stream of turn \"%s\" over %d bytes before its verdict: cut",
				  st->turn_id, GUARD_HOLD_MAX);
			st->state = GS_CUT;
			free(st->held);
			st->held = NULL;
			st->held_len = 0;
			rc = emit_chunk(g, em, st->tenant_id, st->session_id, st->turn_id, st->out_seq++, "", 1,
					c->reply_partition);
			break;
		}
		st->held = xrealloc(st->held, st->held_len + dlen + 1);
		memcpy(st->held + st->held_len, delta, dlen);
		st->held_len += dlen;
		st->held[st->held_len] = '\0';
		st->final_seen |= c->final;
		if (!st->early && !st->blocked && c->citation_id && c->citation_id[0]) {
			if (early_ok(g, c))
				st->early = 1;
			else
				st->blocked = 1;
		}
		/* Once the final chunk is in, the whole text waits for the
		 * verdict (which is a moment behind) and goes out with the final
		 * flag: one message, not the words and then an empty final. */
		if (st->early && !st->blocked && !st->final_seen)
			rc = release_words(g, em, st);
		break;
	case GS_RELEASE: {
		char *safe = redact_stream_feed(&st->rs, delta, dlen, c->final);
		if (safe[0] || c->final)
			rc = emit_chunk(g, em, c->tenant_id ? c->tenant_id : "", c->session_id, c->turn_id,
					st->out_seq++, safe, c->final, c->reply_partition);
		free(safe);
		if (c->final)
			stream_done(g, st);
		break;
	}
	case GS_CUT:
		if (c->final)
			stream_done(g, st);
		break;
	}
	chat__stream_chunk__free_unpacked(c, NULL);
	if (rc < 0) {
		/* Cannot happen with GUARD_MAX_EVICT < KSTAGE_MAX_OUT. */
		snprintf(errstr, errlen, "no room to emit the stream chunk");
		kstage_emit_reset(em);
		return KSTAGE_EPOISON;
	}
	return 0;
}

/* Apply the verdict of the draft just checked (g->last) to its turn's
 * stream. */
static int stream_verdict(struct guard *g, struct kstage_emit *em)
{
	struct gstream *st = hmap_get(g->streams, g->last.turn_id);
	if (!st) {
		/* the draft came first: remember the verdict for the chunks to come */
		if (!g->last.streamed)
			return 0;
		st = stream_get(g, em, g->last.tenant_id, g->last.session_id, g->last.turn_id, g->last.reply_partition);
		st->state = g->last.release ? GS_RELEASE : GS_CUT;
		return 0;
	}
	st->last_us = util_mono_us();
	if (st->state != GS_PENDING)
		return 0; /* a replayed draft: already decided */
	int rc = 0;
	if (g->last.release) {
		st->state = GS_RELEASE;
		char *safe = redact_stream_feed(&st->rs, st->held ? st->held : "", st->held_len, st->final_seen);
		if (safe[0] || st->final_seen)
			rc = emit_chunk(g, em, st->tenant_id, st->session_id, st->turn_id, st->out_seq++, safe,
					st->final_seen, st->reply_partition);
		free(safe);
	} else {
		/* cut: the customer sees only the checked reply */
		st->state = GS_CUT;
		if (st->out_seq || st->held_len || st->final_seen)
			rc = emit_chunk(g, em, st->tenant_id, st->session_id, st->turn_id, st->out_seq++, "", 1,
					st->reply_partition);
	}
	free(st->held);
	st->held = NULL;
	st->held_len = 0;
	if (st->final_seen)
		stream_done(g, st);
	return rc;
}

int guard_drafted(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen)
{
	struct guard *g = ctx;
	struct turn_stage ts = { "guardrail", guard_process, g };
	g->last.valid = 0;
	int rc = turn_stage_handle(&ts, msg, em, errstr, errlen);
	if (rc || !g->last.valid)
		return rc;
	if (stream_verdict(g, em) < 0) {
		snprintf(errstr, errlen, "no room to emit the stream verdict");
		kstage_emit_reset(em);
		return KSTAGE_ERETRY;
	}
	return 0;
}
