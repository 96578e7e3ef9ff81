/* ws: WebSocket channel on libwebsockets. */
#include "ws.h"

#include <ev.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

#define REPLAY_DELAY_US 300000 /* a resume frame may come this long after connect */

struct frame {
	struct frame *next;
	uint64_t seq; /* 0: not a session event (error frames) */
	int64_t at_us; /* when the reply reached this gateway (live events only; else 0) */
	size_t len;
	unsigned char buf[]; /* LWS_PRE bytes, then the payload */
};

/* Per connection, owned by the service thread. */
struct conn {
	struct lws *wsi;
	uint64_t id;
	char sid[GW_MAX_SESSION_ID + 1];
	struct gw_customer cust;
	char addr[64];
	uint64_t after;  /* from the URL, or the resume frame */
	uint64_t sent;   /* highest session seq queued on this connection */
	int ready;       /* replay done: live events flow */
	struct frame *head, *tail;
	long queued;
	char *rx;
	size_t rxlen;
	int registered;
	int64_t timeout_set_us; /* when the idle timeout was last pushed back */
	struct conn *next_in_session;
};

/* Something for the service thread: a session event, or a frame for one
 * connection (conn_id != 0). */
struct item {
	struct item *next;
	uint64_t conn_id;
	uint64_t seq;
	int64_t at_us; /* session events: when the gateway got them */
	char sid[GW_MAX_SESSION_ID + 1];
	char *json;
};

/* A client message for a worker. */
struct job {
	struct job *next;
	uint64_t conn_id;
	char sid[GW_MAX_SESSION_ID + 1];
	char addr[64];
	struct gw_customer cust;
	struct gw_msg msg;
	int64_t at_us; /* when the frame was read whole */
};

struct gw_ws {
	struct gw *gw;
	struct gw_ws_conf conf;
	struct gw_http_io io;
	struct lws_context *ctx;
	struct lws_protocols protocols[2];
	lws_retry_bo_t retry;
	pthread_t service_tid;
	/* libev only: the loop lws joins (a foreign loop, so the service thread
	 * runs it and can leave it), and the wake-up that makes it stop */
	struct ev_loop *loop;
	ev_async stop_async;
	pthread_t *worker_tids;
	volatile int stop;
	/* service thread only */
	struct hmap *by_session; /* sid -> struct conn list */
	struct hmap *by_id;      /* "%llu" id -> struct conn */
	uint64_t next_id;
	/* inbox: any thread -> service thread */
	pthread_mutex_t in_lock;
	struct item *in_head, *in_tail;
	/* jobs: service thread -> workers */
	pthread_mutex_t job_lock;
	pthread_cond_t job_cond;
	struct job *job_head, *job_tail;
	_Atomic long conns;
	struct metric *m_conns, *m_frames_out, *m_msgs, *m_refused, *m_dropped, *m_in, *m_out;
};

/* Wake the service thread only when the inbox was empty: lws delivers
 * EVENT_WAIT_CANCELLED to every connection of the protocol, so a wake-up
 * costs in proportion to the open sockets; one drain takes the whole batch. */
static void post(struct gw_ws *ws, struct item *it)
{
	pthread_mutex_lock(&ws->in_lock);
	int was_empty = ws->in_head == NULL;
	if (ws->in_tail)
		ws->in_tail->next = it;
	else
		ws->in_head = it;
	ws->in_tail = it;
	pthread_mutex_unlock(&ws->in_lock);
	if (was_empty)
		lws_cancel_service(ws->ctx);
}

/* gw's listener: runs on the thread that appended the event, under gw's
 * lock, so items are posted in seq order per session. */
void gw_ws_event(void *arg, const char *sid, uint64_t seq, const char *json)
{
	struct gw_ws *ws = arg;
	struct item *it = xcalloc(1, sizeof(*it));
	util_strlcpy(it->sid, sid, sizeof(it->sid));
	it->seq = seq;
	it->at_us = util_mono_us();
	it->json = xstrdup(json);
	post(ws, it);
}

static void post_error(struct gw_ws *ws, uint64_t conn_id, const char *code, const char *message, int retry_after)
{
	json_t *j = json_pack("{s:s,s:s,s:s}", "type", "error", "code", code, "message", message);
	if (retry_after > 0)
		json_object_set_new(j, "retry_after", json_integer(retry_after));
	struct item *it = xcalloc(1, sizeof(*it));
	it->conn_id = conn_id;
	it->json = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	post(ws, it);
}

/* --- service thread ------------------------------------------------------ */

static void queue_frame(struct gw_ws *ws, struct conn *c, uint64_t seq, const char *json, int64_t at_us)
{
	if (c->queued >= ws->conf.max_queue) {
		/* A client that does not read: drop it rather than grow without bound. */
		metrics_inc(ws->m_dropped, 1);
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		return;
	}
	size_t n = strlen(json);
	struct frame *f = xmalloc(sizeof(*f) + LWS_PRE + n);
	f->next = NULL;
	f->seq = seq;
	f->at_us = at_us;
	f->len = n;
	memcpy(f->buf + LWS_PRE, json, n);
	if (c->tail)
		c->tail->next = f;
	else
		c->head = f;
	c->tail = f;
	c->queued++;
	if (seq > c->sent)
		c->sent = seq;
	lws_callback_on_writable(c->wsi);
}

static void replay_cb(void *arg, const char *sid, uint64_t seq, const char *json)
{
	struct conn *c = arg;
	struct gw_ws *ws = lws_context_user(lws_get_context(c->wsi));
	(void)sid;
	if (seq > c->sent)
		queue_frame(ws, c, seq, json, 0);
}

/* Start live delivery: first what the session has after c->after. */
static void make_ready(struct gw_ws *ws, struct conn *c)
{
	if (c->ready)
		return;
	c->ready = 1;
	if (c->after > c->sent)
		c->sent = c->after;
	gw_replay(ws->gw, c->sid, c->after, replay_cb, c);
}

static void drain_inbox(struct gw_ws *ws)
{
	pthread_mutex_lock(&ws->in_lock);
	struct item *it = ws->in_head;
	ws->in_head = ws->in_tail = NULL;
	pthread_mutex_unlock(&ws->in_lock);
	while (it) {
		struct item *next = it->next;
		if (it->conn_id) {
			char key[24];
			snprintf(key, sizeof(key), "%llu", (unsigned long long)it->conn_id);
			struct conn *c = hmap_get(ws->by_id, key);
			if (c)
				queue_frame(ws, c, 0, it->json, 0);
		} else {
			for (struct conn *c = hmap_get(ws->by_session, it->sid); c; c = c->next_in_session)
				if (c->ready && it->seq > c->sent)
					queue_frame(ws, c, it->seq, it->json, it->at_us);
		}
		free(it->json);
		free(it);
		it = next;
	}
}

static void unregister(struct gw_ws *ws, struct conn *c)
{
	if (!c->registered)
		return;
	c->registered = 0;
	struct conn *h = hmap_get(ws->by_session, c->sid);
	if (h == c) {
		if (c->next_in_session)
			hmap_put(ws->by_session, c->sid, c->next_in_session);
		else
			hmap_del(ws->by_session, c->sid);
	} else {
		for (struct conn *p = h; p; p = p->next_in_session)
			if (p->next_in_session == c) {
				p->next_in_session = c->next_in_session;
				break;
			}
	}
	char key[24];
	snprintf(key, sizeof(key), "%llu", (unsigned long long)c->id);
	hmap_del(ws->by_id, key);
	while (c->head) {
		struct frame *f = c->head;
		c->head = f->next;
		free(f);
	}
	c->tail = NULL;
	free(c->rx);
	c->rx = NULL;
	atomic_fetch_sub(&ws->conns, 1);
	metrics_set(ws->m_conns, atomic_load(&ws->conns));
}

/* A browser sends the page's Origin with every upgrade: only pages that
 * may call the gateway get a socket, so another site cannot use a token
 * it got hold of from its own page. 0, or -1 with why. */
static int check_origin(struct gw_ws *ws, struct lws *wsi, char *why, size_t whylen)
{
	char origin[GW_ORIGIN_MAX + 1], host[GW_ORIGIN_MAX + 1];
	int olen = lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN);
	if (olen <= 0)
		return 0;
	if (olen > GW_ORIGIN_MAX || lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) < 0) {
		snprintf(why, whylen, "the Origin header is over %d bytes", GW_ORIGIN_MAX);
		return -1;
	}
	int have_host = lws_hdr_total_length(wsi, WSI_TOKEN_HOST) > 0 &&
			lws_hdr_copy(wsi, host, sizeof(host), WSI_TOKEN_HOST) >= 0;
	if (gw_origin_allowed(ws->conf.origins, origin, have_host ? host : NULL))
		return 0;
	snprintf(why, whylen, "origin \"%.128s\" may not open a WebSocket here (GATEWAY_ALLOWED_ORIGINS does not list it)",
		 origin);
	return -1;
}

/* Check the upgrade request: path, origin, token, session. 0, or the HTTP
 * status to refuse with (and why). */
static int check_upgrade(struct gw_ws *ws, struct lws *wsi, struct conn *c, char *why, size_t whylen)
{
	char uri[64], arg[4200];
	if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) < 0 || strcmp(uri, "/v1/ws")) {
		snprintf(why, whylen, "no such endpoint: use /v1/ws?token=...");
		return 404;
	}
	if (check_origin(ws, wsi, why, whylen))
		return 403;
	const char *tok = lws_get_urlarg_by_name(wsi, "token=", arg, sizeof(arg));
	if (!tok || !*tok) {
		snprintf(why, whylen, "a ?token= query parameter with the session token is required");
		return 401;
	}
	struct gw_identity id;
	char err[160];
	if (gw_auth_verify(ws->conf.auth, tok, util_now_us() / 1000000, &id, err, sizeof(err))) {
		snprintf(why, whylen, "invalid token: %s", err);
		return 401;
	}
	if (gw_session_alive(ws->gw, id.sid) &&
	    (!ws->io.restore || ws->io.restore(ws->io.arg, id.sid) || gw_session_alive(ws->gw, id.sid))) {
		snprintf(why, whylen, "unknown or expired session: open a new one with POST /v1/sessions");
		return 404;
	}
	memset(c, 0, sizeof(*c));
	util_strlcpy(c->sid, id.sid, sizeof(c->sid));
	c->cust = id.customer;
	char after[48];
	const char *a = lws_get_urlarg_by_name(wsi, "after=", after, sizeof(after));
	long v;
	if (a && util_parse_long(a, 0, INT32_MAX, &v) == 0)
		c->after = (uint64_t)v;
	return 0;
}

static void on_frame(struct gw_ws *ws, struct conn *c, const char *data, size_t len)
{
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
	const char *type = json_string_value(json_object_get(root, "type"));
	int is_message = type && !strcmp(type, "message");
	if (type && !strcmp(type, "resume")) {
		json_t *after = json_object_get(root, "after");
		if (!json_is_integer(after) || json_integer_value(after) < 0) {
			post_error(ws, c->id, "bad_request", "\"after\" must be a sequence number of 0 or more", 0);
		} else if (c->ready) {
			post_error(ws, c->id, "bad_request", "resume comes first, right after connecting", 0);
		} else {
			c->after = (uint64_t)json_integer_value(after);
			make_ready(ws, c);
		}
		json_decref(root);
		return;
	}
	json_decref(root);
	if (!is_message) {
		/* also covers malformed JSON: say what is wrong */
		char err[256];
		struct gw_msg m;
		if (gw_parse_message(data, len, &m, err, sizeof(err)) == 0) {
			gw_msg_release(&m);
			snprintf(err, sizeof(err), "\"type\" must be \"message\" or \"resume\"");
		}
		post_error(ws, c->id, "bad_request", err, 0);
		return;
	}
	struct job *j = xcalloc(1, sizeof(*j));
	char err[256];
	if (gw_parse_message(data, len, &j->msg, err, sizeof(err))) {
		free(j);
		post_error(ws, c->id, "bad_request", err, 0);
		return;
	}
	make_ready(ws, c); /* a client that talks without resuming gets the backlog now */
	j->msg.channel = CHAT__CHANNEL__CHANNEL_WEB;
	j->conn_id = c->id;
	util_strlcpy(j->sid, c->sid, sizeof(j->sid));
	util_strlcpy(j->addr, c->addr, sizeof(j->addr));
	j->cust = c->cust;
	j->at_us = util_mono_us();
	pthread_mutex_lock(&ws->job_lock);
	if (ws->job_tail)
		ws->job_tail->next = j;
	else
		ws->job_head = j;
	ws->job_tail = j;
	pthread_cond_signal(&ws->job_cond);
	pthread_mutex_unlock(&ws->job_lock);
}

/* A JSON error response on the HTTP connection (before any upgrade). */
static void http_json(struct lws *wsi, unsigned status, const char *msg)
{
	json_t *j = json_pack("{s:s}", "error", msg);
	char *body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	size_t n = strlen(body);
	unsigned char buf[LWS_PRE + 1024];
	unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;
	if (lws_add_http_common_headers(wsi, status, "application/json", n, &p, end) == 0 &&
	    (status != 401 || lws_add_http_header_by_name(wsi, (const unsigned char *)"WWW-Authenticate:",
							  (const unsigned char *)"Bearer", 6, &p, end) == 0) &&
	    lws_finalize_write_http_header(wsi, start, &p, end) == 0) {
		unsigned char *b = xmalloc(LWS_PRE + n);
		memcpy(b + LWS_PRE, body, n);
		lws_write(wsi, b + LWS_PRE, n, LWS_WRITE_HTTP_FINAL);
		free(b);
	}
	free(body);
}

/* Push the idle close back. lws keeps timeouts in a sorted list, so each
 * reset costs in proportion to the open sockets: reset at most once per
 * tenth of the idle time (a connection closes 90-100 % of idle_s after its
 * last frame). */
static void touch(struct gw_ws *ws, struct conn *c)
{
	int64_t now = util_mono_us();
	if (now - c->timeout_set_us < ws->conf.idle_s * 100000LL)
		return;
	c->timeout_set_us = now;
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, (int)ws->conf.idle_s);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct gw_ws *ws = lws_context_user(lws_get_context(wsi));
	struct conn *c = user;
	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
		char why[256];
		int status = check_upgrade(ws, wsi, c, why, sizeof(why));
		if (status) {
			metrics_inc(ws->m_refused, 1);
			http_json(wsi, (unsigned)status, why);
			return -1;
		}
		return 0;
	}
	case LWS_CALLBACK_ESTABLISHED: {
		c->wsi = wsi;
		c->id = ++ws->next_id;
		lws_get_peer_simple(wsi, c->addr, sizeof(c->addr));
		char key[24];
		snprintf(key, sizeof(key), "%llu", (unsigned long long)c->id);
		hmap_put(ws->by_id, key, c);
		c->next_in_session = hmap_get(ws->by_session, c->sid);
		hmap_put(ws->by_session, c->sid, c);
		c->registered = 1;
		atomic_fetch_add(&ws->conns, 1);
		metrics_set(ws->m_conns, atomic_load(&ws->conns));
		c->timeout_set_us = util_mono_us();
		lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, (int)ws->conf.idle_s);
		lws_set_timer_usecs(wsi, REPLAY_DELAY_US);
		return 0;
	}
	case LWS_CALLBACK_TIMER:
		if (c && c->registered)
			make_ready(ws, c);
		return 0;
	case LWS_CALLBACK_RECEIVE: {
		touch(ws, c);
		if (lws_frame_is_binary(wsi)) {
			post_error(ws, c->id, "bad_request", "frames are JSON text", 0);
			return 0;
		}
		if (c->rxlen + len > (size_t)ws->conf.max_frame) {
			post_error(ws, c->id, "too_large", "message is over the size limit", 0);
			free(c->rx);
			c->rx = NULL;
			c->rxlen = 0;
			return 0;
		}
		c->rx = xrealloc(c->rx, c->rxlen + len + 1);
		memcpy(c->rx + c->rxlen, in, len);
		c->rxlen += len;
		if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
			return 0;
		on_frame(ws, c, c->rx, c->rxlen);
		free(c->rx);
		c->rx = NULL;
		c->rxlen = 0;
		return 0;
	}
	case LWS_CALLBACK_SERVER_WRITEABLE: {
		struct frame *f = c->head;
		if (!f)
			return 0;
		if (lws_write(wsi, f->buf + LWS_PRE, f->len, LWS_WRITE_TEXT) < (int)f->len)
			return -1;
		if (f->at_us)
			metrics_observe_us(ws->m_out, util_mono_us() - f->at_us);
		c->head = f->next;
		if (!c->head)
			c->tail = NULL;
		c->queued--;
		free(f);
		metrics_inc(ws->m_frames_out, 1);
		touch(ws, c);
		if (c->head)
			lws_callback_on_writable(wsi);
		return 0;
	}
	case LWS_CALLBACK_CLOSED:
		unregister(ws, c);
		return 0;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		drain_inbox(ws);
		return 0;
	case LWS_CALLBACK_HTTP:
		http_json(wsi, 404, "this port speaks WebSocket: /v1/ws?token=...");
		return -1;
	default:
		return 0;
	}
}

/* --- workers: client messages into the pipeline ----------------------- */

struct sent {
	struct gw_ws *ws;
	uint64_t conn_id;
	char sid[GW_MAX_SESSION_ID + 1];
	char trace_id[40];
};

/* The broker's answer for a message that was produced without waiting. */
static void on_enqueued(void *arg, const char *errstr)
{
	struct sent *s = arg;
	if (errstr) {
		log_write(LOG_WARN, s->trace_id, s->sid, "message not enqueued: %s", errstr);
		post_error(s->ws, s->conn_id, "unavailable", "the assistant cannot take messages right now; try again shortly",
			   0);
	} else {
		metrics_inc(s->ws->m_msgs, 1);
	}
	free(s);
}

static void *worker_main(void *arg)
{
	struct gw_ws *ws = arg;
	for (;;) {
		pthread_mutex_lock(&ws->job_lock);
		while (!ws->job_head && !ws->stop)
			pthread_cond_wait(&ws->job_cond, &ws->job_lock);
		struct job *j = ws->job_head;
		if (j) {
			ws->job_head = j->next;
			if (!ws->job_head)
				ws->job_tail = NULL;
		}
		pthread_mutex_unlock(&ws->job_lock);
		if (!j)
			return NULL;
		int retry_after = 1;
		char errstr[256];
		if (ws->io.allow && !ws->io.allow(ws->io.arg, j->sid, j->addr, &retry_after)) {
			snprintf(errstr, sizeof(errstr), "too many messages; retry in %d s", retry_after);
			post_error(ws, j->conn_id, "rate_limited", errstr, retry_after);
		} else {
			Chat__Turn *turn = gw_build_turn(ws->gw, j->sid, &j->msg);
			gw_auth_stamp_turn(turn, &j->cust);
			struct sent *s = NULL;
			if (ws->io.enqueue_async) {
				s = xcalloc(1, sizeof(*s));
				s->ws = ws;
				s->conn_id = j->conn_id;
				util_strlcpy(s->sid, j->sid, sizeof(s->sid));
				util_strlcpy(s->trace_id, turn->trace_id, sizeof(s->trace_id));
			}
			if (s && ws->io.enqueue_async(ws->io.arg, turn, on_enqueued, s, errstr, sizeof(errstr)) == 0) {
				/* the broker's answer comes to on_enqueued */
				metrics_observe_us(ws->m_in, util_mono_us() - j->at_us);
			} else if (s) {
				free(s);
				log_write(LOG_WARN, turn->trace_id, j->sid, "message not enqueued: %s", errstr);
				post_error(ws, j->conn_id, "unavailable",
					   "the assistant cannot take messages right now; try again shortly", 0);
			} else if (ws->io.enqueue(ws->io.arg, turn, errstr, sizeof(errstr))) {
				log_write(LOG_WARN, turn->trace_id, j->sid, "message not enqueued: %s", errstr);
				post_error(ws, j->conn_id, "unavailable",
					   "the assistant cannot take messages right now; try again shortly", 0);
			} else {
				metrics_inc(ws->m_msgs, 1);
				metrics_observe_us(ws->m_in, util_mono_us() - j->at_us);
			}
			turn_free(turn);
		}
		gw_msg_release(&j->msg);
		free(j);
	}
}

/* On the service thread, inside ev_run: gw_ws_stop asked the loop to end. */
static void on_stop_async(struct ev_loop *loop, ev_async *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static void *service_main(void *arg)
{
	struct gw_ws *ws = arg;
	if (ws->loop) {
		/* lws's sockets, timers and its cancel pipe are watchers on this
		 * loop; lws_service() would run it with no way out. */
		ev_run(ws->loop, 0);
		return NULL;
	}
	while (!ws->stop)
		if (lws_service(ws->ctx, 0) < 0)
			break;
	return NULL;
}

static void lws_log(int level, const char *line)
{
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (level & LLL_ERR)
		log_error("websockets: %.*s", (int)n, line);
	else
		log_warn("websockets: %.*s", (int)n, line);
}

/* The maps, locks and the struct itself: what start sets up before any
 * thread runs, and stop frees after every thread is joined. */
static void ws_free(struct gw_ws *ws)
{
	hmap_free(ws->by_session);
	hmap_free(ws->by_id);
	pthread_mutex_destroy(&ws->in_lock);
	pthread_mutex_destroy(&ws->job_lock);
	pthread_cond_destroy(&ws->job_cond);
	free(ws);
}

struct gw_ws *gw_ws_start(struct gw *gw, const struct gw_ws_conf *conf, struct gw_http_io io, char *errstr,
			  size_t errlen)
{
	struct gw_ws *ws = xcalloc(1, sizeof(*ws));
	ws->gw = gw;
	ws->conf = *conf;
	ws->io = io;
	ws->by_session = hmap_new(1024);
	ws->by_id = hmap_new(1024);
	pthread_mutex_init(&ws->in_lock, NULL);
	pthread_mutex_init(&ws->job_lock, NULL);
	pthread_cond_init(&ws->job_cond, NULL);
	ws->m_conns = metrics_gauge("gateway_ws_connections", "Open WebSocket connections", "");
	ws->m_frames_out = metrics_counter("gateway_ws_frames_sent_total", "Frames sent to WebSocket clients", "");
	ws->m_msgs = metrics_counter("gateway_ws_messages_total", "Client messages enqueued from WebSockets", "");
	ws->m_refused = metrics_counter("gateway_ws_refused_total", "Upgrades refused (bad path, origin, token, session)", "");
	ws->m_dropped = metrics_counter("gateway_ws_slow_clients_total", "Connections dropped for not reading", "");
	ws->m_in = metrics_histogram("gateway_ws_in_seconds",
				     "A client message inside the gateway: frame read to turn handed to Kafka", "");
	ws->m_out = metrics_histogram("gateway_ws_out_seconds",
				      "A reply inside the gateway: taken from Kafka to frame written to the socket", "");

	lws_set_log_level(LLL_ERR, lws_log);
	ws->protocols[0] = (struct lws_protocols){ "chat", callback, sizeof(struct conn), 4096, 0, NULL, 0 };
	ws->retry.secs_since_valid_ping = (uint16_t)conf->ping_s;
	ws->retry.secs_since_valid_hangup = (uint16_t)(conf->ping_s + 10);
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.port = conf->port;
	info.iface = conf->addr;
	info.protocols = ws->protocols;
	info.gid = (gid_t)-1;
	info.uid = (uid_t)-1;
	info.user = ws;
	info.count_threads = 1;
	info.retry_and_idle_policy = &ws->retry;
	info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
	void *foreign_loops[1];
	if (ws->conf.event_lib) {
		/* libev (epoll): the poll() backend walks every descriptor on each
		 * wake-up, which is what thousands of idle sockets cannot afford.
		 * The loop is ours (lws takes part in it) so that shutdown can
		 * break it; NOSIGMASK leaves signals to main.c. */
		ws->loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOSIGMASK);
		if (!ws->loop)
			ws->loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
		if (!ws->loop) {
			snprintf(errstr, errlen, "cannot create the libev loop for WebSockets (GATEWAY_WS_LIBEV=1)");
			goto fail;
		}
		ev_async_init(&ws->stop_async, on_stop_async);
		ev_async_start(ws->loop, &ws->stop_async);
		foreign_loops[0] = ws->loop;
		info.foreign_loops = foreign_loops;
		info.options |= LWS_SERVER_OPTION_LIBEV;
	}
	ws->ctx = lws_create_context(&info);
	if (!ws->ctx) {
		if (ws->conf.event_lib)
			snprintf(errstr, errlen,
				 "cannot listen on %s:%d for WebSockets (port in use, or the libev plugin of libwebsockets "
				 "missing: install libwebsockets-evlib-ev, or set GATEWAY_WS_LIBEV=0)",
				 conf->addr, conf->port);
		else
			snprintf(errstr, errlen, "cannot listen on %s:%d for WebSockets (port in use?)", conf->addr,
				 conf->port);
		goto fail;
	}
	ws->worker_tids = xcalloc((size_t)conf->workers, sizeof(pthread_t));
	for (int i = 0; i < conf->workers; i++)
		pthread_create(&ws->worker_tids[i], NULL, worker_main, ws);
	pthread_create(&ws->service_tid, NULL, service_main, ws);
	return ws;
fail:
	if (ws->loop) {
		ev_async_stop(ws->loop, &ws->stop_async);
		ev_loop_destroy(ws->loop);
	}
	ws_free(ws);
	return NULL;
}

long gw_ws_connections(struct gw_ws *ws)
{
	return atomic_load(&ws->conns);
}

void gw_ws_stop(struct gw_ws *ws)
{
	if (!ws)
		return;
	ws->stop = 1;
	if (ws->loop)
		ev_async_send(ws->loop, &ws->stop_async); /* thread-safe; ends ev_run */
	else
		lws_cancel_service(ws->ctx);
	pthread_join(ws->service_tid, NULL);
	pthread_mutex_lock(&ws->job_lock);
	pthread_cond_broadcast(&ws->job_cond);
	pthread_mutex_unlock(&ws->job_lock);
	for (int i = 0; i < ws->conf.workers; i++)
		pthread_join(ws->worker_tids[i], NULL);
	free(ws->worker_tids);
	/* Closes every connection (LWS_CALLBACK_CLOSED unregisters them). On
	 * the libev loop this stops lws's watchers but leaves the loop to us:
	 * let it settle what is pending, then free it. */
	lws_context_destroy(ws->ctx);
	if (ws->loop) {
		ev_async_stop(ws->loop, &ws->stop_async);
		for (int budget = 100; budget > 0 && ev_run(ws->loop, EVRUN_NOWAIT); budget--)
			;
		ev_loop_destroy(ws->loop);
	}
	drain_inbox(ws);
	while (ws->job_head) {
		struct job *j = ws->job_head;
		ws->job_head = j->next;
		gw_msg_release(&j->msg);
		free(j);
	}
	ws_free(ws);
}
