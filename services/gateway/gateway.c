/* gateway: session and reply bookkeeping. */
#include "gateway.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hmap.h"
#include "log.h"
#include "metrics.h"
#include "services/guardrail/redact.h"
#include "util.h"

struct gw_event {
	uint64_t seq;
	char *turn_id;
	char *json;
	int delta;
};

/* Where a turn's stream stands, so replayed chunks are dropped. */
#define GW_STREAMS 4
struct gw_stream {
	char turn_id[40];
	uint64_t next;  /* lowest chunk seq not yet passed: highest delivered + 1, 0 before any */
	int finished;   /* the final reply arrived: later chunks are late */
};

struct gw_session {
	char *sid;
	struct gw_session *newer, *older; /* recency list: most recently active first */
	size_t bytes;              /* what this session holds, as counted against event_memory */
	uint64_t next_seq;         /* seq of the last event, 0 before any */
	struct gw_event *ring;     /* the last events (grows to events_per_session) */
	int head, count, cap;
	struct gw_stream streams[GW_STREAMS];
	int stream_next;
	int waiters;
	int64_t last_active_us;
	pthread_cond_t cond;
};

struct gw {
	struct gw_conf conf;
	pthread_mutex_t lock;
	struct hmap *sessions;
	struct gw_session *newest, *oldest;
	size_t bytes;              /* sum of the sessions' bytes */
	struct hmap *delivered;    /* turn_id -> (void *)1 */
	char **delivered_fifo;     /* eviction order of delivered */
	long fifo_head;
	int stopping;
	struct metric *m_replies, *m_dupes, *m_latency, *m_sessions, *m_chunks, *m_bytes, *m_evicted;
	gw_event_fn listener;
	void *listener_arg;
};

struct gw *gw_new(const struct gw_conf *conf)
{
	struct gw *gw = xcalloc(1, sizeof(*gw));
	gw->conf = *conf;
	pthread_mutex_init(&gw->lock, NULL);
	gw->sessions = hmap_new(1024);
	gw->delivered = hmap_new((size_t)conf->dedupe_capacity);
	gw->delivered_fifo = xcalloc((size_t)conf->dedupe_capacity, sizeof(char *));
	gw->m_replies = metrics_counter("gateway_replies_total", "Replies delivered to sessions", "");
	gw->m_dupes = metrics_counter("gateway_duplicate_replies_total", "Replayed replies dropped", "");
	gw->m_latency = metrics_histogram("gateway_turn_seconds", "Gateway-to-gateway time of a turn", "");
	gw->m_sessions = metrics_gauge("gateway_sessions", "Sessions held in memory", "");
	gw->m_chunks = metrics_counter("gateway_stream_deltas_total", "Stream chunks delivered as delta events", "");
	gw->m_bytes = metrics_gauge("gateway_session_bytes", "Bytes of session events held in memory", "");
	gw->m_evicted = metrics_counter("gateway_sessions_evicted_total",
					"Sessions dropped from memory to stay within the limits (their events stay in Redis)",
					"");
	return gw;
}

/* What an event or a session costs in memory, roughly: the strings, the
 * allocator's overhead on each, and the session's own structures with its
 * hash map entry. */
#define GW_ALLOC_OVERHEAD 16
static size_t event_bytes(const struct gw_event *e)
{
	return strlen(e->turn_id) + strlen(e->json) + 2 + 2 * GW_ALLOC_OVERHEAD;
}

static size_t session_base_bytes(const struct gw_session *s)
{
	return sizeof(*s) + strlen(s->sid) + 1 + 64 + 3 * GW_ALLOC_OVERHEAD;
}

/* Caller holds the lock. */
static void account(struct gw *gw, struct gw_session *s, size_t add, size_t sub)
{
	s->bytes = s->bytes + add - sub;
	gw->bytes = gw->bytes + add - sub;
}

static void lru_unlink(struct gw *gw, struct gw_session *s)
{
	if (s->newer)
		s->newer->older = s->older;
	else if (gw->newest == s)
		gw->newest = s->older;
	if (s->older)
		s->older->newer = s->newer;
	else if (gw->oldest == s)
		gw->oldest = s->newer;
	s->newer = s->older = NULL;
}

static void lru_push(struct gw *gw, struct gw_session *s)
{
	s->older = gw->newest;
	s->newer = NULL;
	if (gw->newest)
		gw->newest->newer = s;
	gw->newest = s;
	if (!gw->oldest)
		gw->oldest = s;
}

/* s was used now: it moves to the front of the recency list. Caller holds
 * the lock. */
static void session_touch(struct gw *gw, struct gw_session *s)
{
	s->last_active_us = util_now_us();
	if (gw->newest != s) {
		lru_unlink(gw, s);
		lru_push(gw, s);
	}
}

static void session_free(struct gw_session *s)
{
	for (int i = 0; i < s->count; i++) {
		struct gw_event *e = &s->ring[(s->head + i) % s->cap];
		free(e->turn_id);
		free(e->json);
	}
	free(s->ring);
	free(s->sid);
	pthread_cond_destroy(&s->cond);
	free(s);
}

/* Forget s: out of the map, the recency list and the byte count. Caller
 * holds the lock. */
static void session_drop(struct gw *gw, struct gw_session *s)
{
	hmap_del(gw->sessions, s->sid);
	lru_unlink(gw, s);
	gw->bytes -= s->bytes;
	session_free(s);
}

static int free_session_cb(void *arg, const char *key, void *value)
{
	(void)arg;
	(void)key;
	session_free(value);
	return 1;
}

void gw_free(struct gw *gw)
{
	if (!gw)
		return;
	hmap_sweep(gw->sessions, free_session_cb, gw);
	hmap_free(gw->sessions);
	hmap_free(gw->delivered);
	for (long i = 0; i < gw->conf.dedupe_capacity; i++)
		free(gw->delivered_fifo[i]);
	free(gw->delivered_fifo);
	pthread_mutex_destroy(&gw->lock);
	free(gw);
}

static int all_space(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

int gw_parse_message(const char *body, size_t len, struct gw_msg *msg, char *errstr, size_t errlen)
{
	json_error_t jerr;
	memset(msg, 0, sizeof(*msg));
	msg->channel = CHAT__CHANNEL__CHANNEL_API;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	int rc = -1;
	if (!root) {
		snprintf(errstr, errlen, "malformed JSON at line %d column %d: %s", jerr.line, jerr.column, jerr.text);
		return -1;
	}
	if (!json_is_object(root)) {
		snprintf(errstr, errlen, "the body must be a JSON object");
		goto out;
	}
	json_t *text = json_object_get(root, "text");
	if (!json_is_string(text)) {
		snprintf(errstr, errlen, "\"text\" is required and must be a string");
		goto out;
	}
	size_t tl = json_string_length(text);
	if (tl == 0 || all_space(json_string_value(text))) {
		snprintf(errstr, errlen, "\"text\" is empty");
		goto out;
	}
	if (tl > TURN_MAX_TEXT || memchr(json_string_value(text), '\0', tl)) {
		snprintf(errstr, errlen, "\"text\" must be at most %d bytes without NUL characters", TURN_MAX_TEXT);
		goto out;
	}
	json_t *cmid = json_object_get(root, "client_msg_id");
	if (cmid && !json_is_null(cmid)) {
		if (!json_is_string(cmid) || !util_valid_id(json_string_value(cmid), GW_MAX_CLIENT_MSG_ID)) {
			snprintf(errstr, errlen,
				 "\"client_msg_id\" must be 1..%d characters of letters, digits and . _ : -",
				 GW_MAX_CLIENT_MSG_ID);
			goto out;
		}
		msg->client_msg_id = xstrdup(json_string_value(cmid));
	}
	json_t *ch = json_object_get(root, "channel");
	if (ch && !json_is_null(ch)) {
		const char *c = json_string_value(ch);
		if (c && !strcmp(c, "web"))
			msg->channel = CHAT__CHANNEL__CHANNEL_WEB;
		else if (c && !strcmp(c, "mobile"))
			msg->channel = CHAT__CHANNEL__CHANNEL_MOBILE;
		else if (c && !strcmp(c, "api"))
			msg->channel = CHAT__CHANNEL__CHANNEL_API;
		else {
			snprintf(errstr, errlen, "\"channel\" must be \"web\", \"mobile\" or \"api\"");
			free(msg->client_msg_id);
			msg->client_msg_id = NULL;
			goto out;
		}
	}
	msg->text = xstrndup(json_string_value(text), tl);
	rc = 0;
out:
	json_decref(root);
	return rc;
}

void gw_msg_release(struct gw_msg *msg)
{
	free(msg->text);
	free(msg->client_msg_id);
	memset(msg, 0, sizeof(*msg));
}

/* A UUID-shaped id from SHA-256 of the parts, so the same client message
 * always names the same turn. */
static void derived_id(const char *a, const char *b, const char *c, char out[37])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	char *in = xasprintf("%s\x1f%s\x1f%s", a, b, c);
	EVP_Digest(in, strlen(in), md, &mdlen, EVP_sha256(), NULL);
	free(in);
	static const char hex[] = "0123456789abcdef";
	char *p = out;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[md[i] >> 4];
		*p++ = hex[md[i] & 15];
	}
	*p = '\0';
}

char *gw_scrub_text(const char *text)
{
	return redact_text(text, REDACT_MASK(REDACT_NRIC) | REDACT_MASK(REDACT_CARD), NULL);
}

Chat__Turn *gw_build_turn(struct gw *gw, const char *sid, const struct gw_msg *msg)
{
	Chat__Turn *turn = turn_new();
	char id[37], trace[37];
	if (msg->client_msg_id)
		derived_id(gw->conf.tenant_id, sid, msg->client_msg_id, id);
	else
		util_uuid(id);
	util_uuid(trace);
	turn_set_str(&turn->tenant_id, gw->conf.tenant_id);
	turn_set_str(&turn->session_id, sid);
	turn_set_str(&turn->turn_id, id);
	turn_set_str(&turn->trace_id, trace);
	char *text = gw_scrub_text(msg->text);
	turn_set_str(&turn->text, text);
	free(text);
	turn_set_str(&turn->client_msg_id, msg->client_msg_id ? msg->client_msg_id : "");
	turn->channel = msg->channel;
	turn->reply_partition = gw->conf.ordinal;
	turn->received_at_us = util_now_us();
	turn->customer = xmalloc(sizeof(*turn->customer));
	chat__customer__init(turn->customer);
	turn_stamp(turn, "gateway");
	return turn;
}

static void update_gauges(struct gw *gw)
{
	metrics_set(gw->m_sessions, (int64_t)hmap_len(gw->sessions));
	metrics_set(gw->m_bytes, (int64_t)gw->bytes);
}

/* Drop the sessions idle since cutoff or longer, oldest first; a session
 * somebody waits on stays. Caller holds the lock. */
static size_t sweep_locked(struct gw *gw, int64_t cutoff)
{
	size_t removed = 0;
	struct gw_session *s = gw->oldest;
	while (s && s->last_active_us <= cutoff) {
		struct gw_session *newer = s->newer;
		if (!s->waiters) {
			session_drop(gw, s);
			removed++;
		}
		s = newer;
	}
	update_gauges(gw);
	return removed;
}

/* Over the session count or the byte budget: drop the least recently
 * active sessions (not keep, not one somebody waits on) until within both.
 * Their events stay in the Redis event log, from which a session comes back
 * when its customer returns. Caller holds the lock. */
static void evict_locked(struct gw *gw, const struct gw_session *keep)
{
	struct gw_session *s = gw->oldest;
	while (s && ((long)hmap_len(gw->sessions) > gw->conf.max_sessions || (gw->conf.event_memory > 0 && (long)gw->bytes > gw->conf.event_memory))) {
		struct gw_session *newer = s->newer;
		if (s != keep && !s->waiters) {
			session_drop(gw, s);
			metrics_inc(gw->m_evicted, 1);
		}
		s = newer;
	}
	update_gauges(gw);
}

/* Caller holds the lock. */
static struct gw_session *session_get(struct gw *gw, const char *sid, int create)
{
	struct gw_session *s = hmap_get(gw->sessions, sid);
	if (s || !create)
		return s;
	s = xcalloc(1, sizeof(*s));
	s->sid = xstrdup(sid);
	s->cap = gw->conf.events_per_session < 4 ? gw->conf.events_per_session : 4;
	s->ring = xcalloc((size_t)s->cap, sizeof(*s->ring));
	pthread_cond_init(&s->cond, NULL);
	hmap_put(gw->sessions, sid, s);
	lru_push(gw, s);
	session_touch(gw, s);
	account(gw, s, session_base_bytes(s) + (size_t)s->cap * sizeof(*s->ring), 0);
	evict_locked(gw, s);
	return s;
}

void gw_touch_session(struct gw *gw, const char *sid)
{
	pthread_mutex_lock(&gw->lock);
	session_touch(gw, session_get(gw, sid, 1));
	pthread_mutex_unlock(&gw->lock);
}

int gw_session_alive(struct gw *gw, const char *sid)
{
	pthread_mutex_lock(&gw->lock);
	struct gw_session *s = session_get(gw, sid, 0);
	if (s)
		session_touch(gw, s);
	pthread_mutex_unlock(&gw->lock);
	return s ? 0 : -1;
}

/* Caller holds the lock. */
static int remember_delivered(struct gw *gw, const char *turn_id)
{
	if (hmap_get(gw->delivered, turn_id))
		return 0;
	long slot = gw->fifo_head;
	if (gw->delivered_fifo[slot]) {
		hmap_del(gw->delivered, gw->delivered_fifo[slot]);
		free(gw->delivered_fifo[slot]);
	}
	gw->delivered_fifo[slot] = xstrdup(turn_id);
	gw->fifo_head = (slot + 1) % gw->conf.dedupe_capacity;
	hmap_put(gw->delivered, turn_id, (void *)1);
	return 1;
}

static char *event_json(const Chat__Turn *turn, uint64_t seq)
{
	json_error_t jerr;
	json_t *ev = json_loadb((const char *)turn->rendered->payload.data, turn->rendered->payload.len, 0, &jerr);
	if (!json_is_object(ev)) {
		json_decref(ev);
		ev = json_pack("{s:s,s:s,s:s}", "type", "final", "turn_id", turn->turn_id, "text",
			       "Sorry, something went wrong with this reply.");
	}
	json_object_set_new(ev, "seq", json_integer((json_int_t)seq));
	json_object_set_new(ev, "trace_id", json_string(turn->trace_id));
	json_t *st = json_array();
	for (size_t i = 0; i < turn->n_stage_times; i++)
		json_array_append_new(st, json_pack("{s:s,s:I}", "stage", turn->stage_times[i]->stage, "at_us",
						    (json_int_t)turn->stage_times[i]->at_us));
	json_object_set_new(ev, "stage_times", st);
	char *s = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	return s;
}

/* Copy the ring in order into a fresh array of capacity cap, keeping the
 * events keep() accepts. Caller holds the lock. */
static void ring_rebuild(struct gw *gw, struct gw_session *s, int cap, const char *drop_deltas_of)
{
	struct gw_event *r = xcalloc((size_t)cap, sizeof(*r));
	int n = 0;
	account(gw, s, (size_t)cap * sizeof(*r), (size_t)s->cap * sizeof(*r));
	for (int i = 0; i < s->count; i++) {
		struct gw_event *e = &s->ring[(s->head + i) % s->cap];
		if (drop_deltas_of && e->delta && !strcmp(e->turn_id, drop_deltas_of)) {
			account(gw, s, 0, event_bytes(e));
			free(e->turn_id);
			free(e->json);
			continue;
		}
		r[n++] = *e;
	}
	free(s->ring);
	s->ring = r;
	s->cap = cap;
	s->head = 0;
	s->count = n;
}

/* Append an event (json taken) and tell the listener. Caller holds the
 * lock; the listener runs under it, so it sees each session's events in
 * seq order. */
static void append_event(struct gw *gw, const char *sid, struct gw_session *s, uint64_t seq, const char *turn_id,
			 char *json, int delta)
{
	struct gw_event *slot;
	if (s->count == s->cap && s->cap < gw->conf.events_per_session) {
		int cap = s->cap * 2 > gw->conf.events_per_session ? gw->conf.events_per_session : s->cap * 2;
		ring_rebuild(gw, s, cap, NULL);
	}
	if (s->count == s->cap) {
		slot = &s->ring[s->head];
		account(gw, s, 0, event_bytes(slot));
		free(slot->turn_id);
		free(slot->json);
		s->head = (s->head + 1) % s->cap;
	} else {
		slot = &s->ring[(s->head + s->count) % s->cap];
		s->count++;
	}
	slot->seq = seq;
	slot->turn_id = xstrdup(turn_id);
	slot->json = json;
	slot->delta = delta;
	account(gw, s, event_bytes(slot), 0);
	session_touch(gw, s);
	pthread_cond_broadcast(&s->cond);
	if (gw->listener)
		gw->listener(gw->listener_arg, sid, seq, json);
	evict_locked(gw, s);
}

/* The stream state of turn_id in s, created when create. */
static struct gw_stream *stream_of(struct gw_session *s, const char *turn_id, int create)
{
	for (int i = 0; i < GW_STREAMS; i++)
		if (!strcmp(s->streams[i].turn_id, turn_id))
			return &s->streams[i];
	if (!create)
		return NULL;
	struct gw_stream *st = &s->streams[s->stream_next];
	s->stream_next = (s->stream_next + 1) % GW_STREAMS;
	memset(st, 0, sizeof(*st));
	util_strlcpy(st->turn_id, turn_id, sizeof(st->turn_id));
	return st;
}

int gw_deliver(struct gw *gw, Chat__Turn *turn)
{
	if (!turn->rendered || !turn->rendered->payload.len)
		return -1;
	turn_stamp(turn, "gateway.out");
	pthread_mutex_lock(&gw->lock);
	if (!remember_delivered(gw, turn->turn_id)) {
		pthread_mutex_unlock(&gw->lock);
		metrics_inc(gw->m_dupes, 1);
		return 0;
	}
	struct gw_session *s = session_get(gw, turn->session_id, 1);
	uint64_t seq = ++s->next_seq;
	/* The final reply carries the whole text: the turn's deltas are no
	 * longer worth keeping for a client that reconnects later. */
	struct gw_stream *st = stream_of(s, turn->turn_id, 1);
	st->finished = 1;
	ring_rebuild(gw, s, s->cap, turn->turn_id);
	append_event(gw, turn->session_id, s, seq, turn->turn_id, event_json(turn, seq), 0);
	pthread_mutex_unlock(&gw->lock);
	metrics_inc(gw->m_replies, 1);
	if (turn->received_at_us > 0)
		metrics_observe_us(gw->m_latency, util_now_us() - turn->received_at_us);
	return 1;
}

int gw_deliver_chunk(struct gw *gw, const Chat__StreamChunk *c)
{
	if (!c->session_id || !util_valid_id(c->session_id, GW_MAX_SESSION_ID) || !c->turn_id || !*c->turn_id ||
	    strlen(c->turn_id) >= sizeof(((struct gw_stream *)0)->turn_id))
		return -1;
	if (!c->delta || !*c->delta)
		return 0; /* an empty final marker: the rendered reply follows on chat.outbound.v1 */
	pthread_mutex_lock(&gw->lock);
	struct gw_session *s = session_get(gw, c->session_id, 0);
	struct gw_stream *st = s ? stream_of(s, c->turn_id, 1) : NULL;
	if (!s || st->finished || hmap_get(gw->delivered, c->turn_id) || c->seq < st->next) {
		pthread_mutex_unlock(&gw->lock);
		return 0;
	}
	st->next = (uint64_t)c->seq + 1;
	uint64_t seq = ++s->next_seq;
	json_t *ev = json_pack("{s:s,s:I,s:s,s:s}", "type", "delta", "seq", (json_int_t)seq, "turn_id", c->turn_id,
			       "text", c->delta);
	char *json = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	append_event(gw, c->session_id, s, seq, c->turn_id, json, 1);
	pthread_mutex_unlock(&gw->lock);
	metrics_inc(gw->m_chunks, 1);
	return 1;
}

void gw_session_restore(struct gw *gw, const char *sid, const char *const *events, size_t n)
{
	pthread_mutex_lock(&gw->lock);
	if (session_get(gw, sid, 0)) {
		pthread_mutex_unlock(&gw->lock);
		return;
	}
	struct gw_session *s = session_get(gw, sid, 1);
	gw_event_fn listener = gw->listener;
	gw->listener = NULL; /* nothing new: sockets get these through replay */
	for (size_t i = 0; i < n; i++) {
		json_t *ev = json_loads(events[i], 0, NULL);
		json_int_t seq = json_integer_value(json_object_get(ev, "seq"));
		const char *type = json_string_value(json_object_get(ev, "type"));
		const char *tid = json_string_value(json_object_get(ev, "turn_id"));
		if (seq > 0 && (uint64_t)seq > s->next_seq && type && tid) {
			int delta = !strcmp(type, "delta");
			if (!delta)
				remember_delivered(gw, tid);
			s->next_seq = (uint64_t)seq;
			append_event(gw, sid, s, (uint64_t)seq, tid, xstrdup(events[i]), delta);
		}
		json_decref(ev);
	}
	gw->listener = listener;
	pthread_mutex_unlock(&gw->lock);
}

void gw_set_listener(struct gw *gw, gw_event_fn fn, void *arg)
{
	pthread_mutex_lock(&gw->lock);
	gw->listener = fn;
	gw->listener_arg = arg;
	pthread_mutex_unlock(&gw->lock);
}

int gw_replay(struct gw *gw, const char *sid, uint64_t after, gw_event_fn fn, void *arg)
{
	pthread_mutex_lock(&gw->lock);
	struct gw_session *s = session_get(gw, sid, 0);
	if (!s) {
		pthread_mutex_unlock(&gw->lock);
		return -1;
	}
	for (int i = 0; i < s->count; i++) {
		const struct gw_event *e = &s->ring[(s->head + i) % s->cap];
		if (e->seq > after)
			fn(arg, sid, e->seq, e->json);
	}
	session_touch(gw, s);
	pthread_mutex_unlock(&gw->lock);
	return 0;
}

static void deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Caller holds the lock. */
static const struct gw_event *find_event(const struct gw_session *s, const char *turn_id)
{
	for (int i = 0; i < s->count; i++) {
		const struct gw_event *e = &s->ring[(s->head + i) % s->cap];
		if (!e->delta && !strcmp(e->turn_id, turn_id))
			return e;
	}
	return NULL;
}

int gw_wait_reply(struct gw *gw, const char *sid, const char *turn_id, int timeout_ms, char **event_json_out)
{
	struct timespec dl;
	deadline_in(&dl, timeout_ms);
	int rc = -1;
	pthread_mutex_lock(&gw->lock);
	struct gw_session *s = session_get(gw, sid, 1);
	s->waiters++;
	for (;;) {
		const struct gw_event *e = find_event(s, turn_id);
		if (e) {
			*event_json_out = xstrdup(e->json);
			rc = 0;
			break;
		}
		if (gw->stopping || pthread_cond_timedwait(&s->cond, &gw->lock, &dl) == ETIMEDOUT)
			break;
	}
	s->waiters--;
	session_touch(gw, s);
	pthread_mutex_unlock(&gw->lock);
	return rc;
}

int gw_events(struct gw *gw, const char *sid, uint64_t after, int wait_ms, char **json)
{
	struct timespec dl;
	deadline_in(&dl, wait_ms);
	pthread_mutex_lock(&gw->lock);
	struct gw_session *s = session_get(gw, sid, 0);
	if (!s) {
		pthread_mutex_unlock(&gw->lock);
		return -1;
	}
	s->waiters++;
	while (s->next_seq <= after && !gw->stopping && wait_ms > 0)
		if (pthread_cond_timedwait(&s->cond, &gw->lock, &dl) == ETIMEDOUT)
			break;
	json_t *events = json_array();
	for (int i = 0; i < s->count; i++) {
		const struct gw_event *e = &s->ring[(s->head + i) % s->cap];
		if (e->seq > after)
			json_array_append_new(events, json_loads(e->json, 0, NULL));
	}
	json_t *doc = json_pack("{s:s,s:o,s:I}", "session_id", sid, "events", events, "next",
				(json_int_t)(s->next_seq > after ? s->next_seq : after));
	s->waiters--;
	session_touch(gw, s);
	pthread_mutex_unlock(&gw->lock);
	*json = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return 0;
}

size_t gw_sweep(struct gw *gw, int64_t now_us)
{
	pthread_mutex_lock(&gw->lock);
	size_t n = sweep_locked(gw, now_us - gw->conf.session_ttl_s * 1000000LL);
	pthread_mutex_unlock(&gw->lock);
	return n;
}

size_t gw_session_count(struct gw *gw)
{
	pthread_mutex_lock(&gw->lock);
	size_t n = hmap_len(gw->sessions);
	pthread_mutex_unlock(&gw->lock);
	return n;
}

size_t gw_memory_bytes(struct gw *gw)
{
	pthread_mutex_lock(&gw->lock);
	size_t n = gw->bytes;
	pthread_mutex_unlock(&gw->lock);
	return n;
}

static int wake_cb(void *arg, const char *key, void *value)
{
	(void)arg;
	(void)key;
	pthread_cond_broadcast(&((struct gw_session *)value)->cond);
	return 0;
}

void gw_shutdown(struct gw *gw)
{
	pthread_mutex_lock(&gw->lock);
	gw->stopping = 1;
	hmap_sweep(gw->sessions, wake_cb, NULL);
	pthread_mutex_unlock(&gw->lock);
}

int gw_stopping(struct gw *gw)
{
	pthread_mutex_lock(&gw->lock);
	int s = gw->stopping;
	pthread_mutex_unlock(&gw->lock);
	return s;
}

const char *gw_tenant(const struct gw *gw)
{
	return gw->conf.tenant_id;
}
