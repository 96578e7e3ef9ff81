/* guardrail: checks a draft before the customer sees it. */
#include "guardrail.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "log.h"
#include "redact.h"
#include "util.h"

#define GUARD_MAX_EVICT 8 /* evictions flushed per chunk (emit slots) */

/* One turn being streamed. */
struct gstream {
	struct redact_stream rs;
	int64_t last_us; /* monotonic time of the last chunk */
	char *tenant_id;
	char *session_id;
	char *turn_id;
	uint32_t seq;
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
}

static void gstream_free(struct gstream *st)
{
	redact_stream_release(&st->rs);
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

int guard_process(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen)
{
	struct guard *g = ctx;
	if (!turn->draft) {
		snprintf(errstr, errlen, "turn reached the guardrail without a draft");
		return KSTAGE_EPOISON;
	}
	if (!turn->verdict) {
		turn->verdict = xmalloc(sizeof(*turn->verdict));
		chat__verdict__init(turn->verdict);
	}
	Chat__Draft *draft = turn->draft;
	for (size_t i = 0; i < draft->n_citations; i++) {
		if (cited_passage_exists(turn, draft->citations[i]))
			continue;
		/* An answer that cites what was not retrieved is not grounded:
		 * the customer gets a person instead of a made-up source. */
		draft->action = CHAT__ACTION__ACTION_HAND_OFF;
		turn_set_str(&draft->text, "I can't answer that reliably, so I'm passing you to a member of our team.");
		turn_set_str(&draft->reason, "citation not among retrieved passages");
		add_flag(turn->verdict, "ungrounded_citation");
		turn->verdict->downgraded = 1;
		break;
	}
	if (draft->text && draft->text[0]) {
		struct redact_counts rc = { { 0 } };
		char *red = redact_text(draft->text, guard_redact_mask(draft), &rc);
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

/* A turn whose stream is dropped still shows its held text (redacted):
 * the stream goes out as a non-final chunk, the final never comes. */
static void evict(struct guard *g, struct kstage_emit *em, struct gstream *st)
{
	char *rest = redact_stream_feed(&st->rs, NULL, 0, 1);
	if (rest[0] && emit_chunk(g, em, st->tenant_id, st->session_id, st->turn_id, st->seq, rest, 0,
				  st->reply_partition) < 0)
		log_write(LOG_WARN, NULL, st->session_id, "no room to flush the held text of evicted stream \"%s\"", st->turn_id);
	free(rest);
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
	int64_t now = util_mono_us();
	struct gstream *st = hmap_get(g->streams, c->turn_id);
	if (!st) {
		make_room(g, em, now);
		st = xcalloc(1, sizeof(*st));
		redact_stream_init(&st->rs, REDACT_ALL);
		st->tenant_id = xstrdup(c->tenant_id ? c->tenant_id : "");
		st->session_id = xstrdup(c->session_id);
		st->turn_id = xstrdup(c->turn_id);
		hmap_put(g->streams, c->turn_id, st);
	}
	st->last_us = now;
	st->seq = c->seq;
	st->reply_partition = c->reply_partition;
	const char *delta = c->delta ? c->delta : "";
	char *safe = redact_stream_feed(&st->rs, delta, strlen(delta), c->final);
	if (c->final) {
		hmap_del(g->streams, c->turn_id);
		gstream_free(st);
	}
	int rc = emit_chunk(g, em, c->tenant_id ? c->tenant_id : "", c->session_id, c->turn_id, c->seq, safe,
			    c->final, c->reply_partition);
	free(safe);
	chat__stream_chunk__free_unpacked(c, NULL);
	if (rc < 0) {
		/* Cannot happen with GUARD_MAX_EVICT < KSTAGE_MAX_OUT. */
		snprintf(errstr, errlen, "no room to emit the redacted chunk");
		kstage_emit_reset(em);
		return KSTAGE_EPOISON;
	}
	return 0;
}
