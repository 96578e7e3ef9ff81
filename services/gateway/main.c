/* gateway: REST -> chat.inbound.v1; chat.outbound.v1 (own partition) -> sessions. */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "admin.h"
#include "auth.h"
#include "credis.h"
#include "gateway.h"
#include "http.h"
#include "kstage.h"
#include "log.h"
#include "metrics.h"
#include "origin.h"
#include "evlog.h"
#include "ratelimit.h"
#include "ws.h"
#include "svc.h"
#include "topics.h"
#include "util.h"
#include "whatsapp.h"

static struct svc_base base;
static const char *http_addr, *tenant_id, *jwt_secret, *assertion_secret, *default_locale;
static long token_ttl_s, token_leeway_s, sse_keepalive_s;
static const char *redis_url;
static long rl_session_per_min, rl_session_burst, rl_addr_per_min, rl_addr_burst, redis_timeout_ms;
static long rl_open_per_min, rl_open_burst;
static const char *allowed_origins;
static int rl_fail_open;
static const char *ws_addr;
static long events_ttl_s;
static int ws_libev;
static long ws_port, ws_ping_s, ws_idle_s, ws_workers, ws_max_queue;
static long http_port, ordinal, max_body, max_wait_ms, max_conns, events_per_session, max_sessions,
    session_ttl_s, dedupe_capacity, event_memory_mb;
static struct wa_conf wa_conf;
static const struct cfg_entry cfg[] = {
	SVC_BASE_CFG(base, "9101", "gateway"),
	{ "GATEWAY_HTTP_ADDR", CFG_STR, "127.0.0.1", 0, 0, "address of the REST API", &http_addr },
	{ "GATEWAY_HTTP_PORT", CFG_INT, "8080", 1, 65535, "port of the REST API", &http_port },
	{ "GATEWAY_ORDINAL", CFG_INT, "0", 0, 1023,
	  "this instance's partition of chat.outbound.v1 (its StatefulSet ordinal)", &ordinal },
	{ "GATEWAY_TENANT_ID", CFG_STR, "demo", 0, 0, "retailer served by this gateway", &tenant_id },
	{ "GATEWAY_MAX_BODY", CFG_INT, "16384", 256, 1048576, "largest request body in bytes", &max_body },
	{ "GATEWAY_MAX_WAIT_MS", CFG_INT, "30000", 0, 120000, "longest a request may wait for a reply",
	  &max_wait_ms },
	{ "GATEWAY_MAX_CONNECTIONS", CFG_INT, "1024", 16, 65536, "concurrent REST connections", &max_conns },
	{ "GATEWAY_SESSION_EVENTS", CFG_INT, "256", 4, 4096,
	  "events (deltas and replies) kept per session for polling and reconnects",
	  &events_per_session },
	{ "GATEWAY_MAX_SESSIONS", CFG_INT, "100000", 16, 10000000,
	  "sessions held in memory (past it the least recently active go; Redis keeps their events)", &max_sessions },
	{ "GATEWAY_EVENT_MEMORY_MB", CFG_INT, "64", 0, 65536,
	  "memory for sessions and their events, 0 for no limit (past it the least recently active go; Redis keeps "
	  "their events)",
	  &event_memory_mb },
	{ "GATEWAY_SESSION_TTL_S", CFG_INT, "1800", 10, 86400, "idle time after which a session is forgotten",
	  &session_ttl_s },
	{ "GATEWAY_JWT_SECRET", CFG_STR, "", 0, 0,
	  "HS256 secret for session tokens, at least 32 bytes (required; no default)", &jwt_secret },
	{ "GATEWAY_ASSERTION_SECRET", CFG_STR, "", 0, 0,
	  "HS256 secret of the retailer's customer assertions, at least 32 bytes (required; no default)",
	  &assertion_secret },
	{ "GATEWAY_TOKEN_TTL_S", CFG_INT, "900", 10, 900, "lifetime of a session token", &token_ttl_s },
	{ "GATEWAY_TOKEN_LEEWAY_S", CFG_INT, "30", 0, 30, "clock skew allowed on exp/nbf/iat", &token_leeway_s },
	{ "GATEWAY_DEFAULT_LOCALE", CFG_STR, "en-MY", 0, 0, "locale of a session that names none", &default_locale },
	{ "GATEWAY_SSE_KEEPALIVE_S", CFG_INT, "15", 1, 300, "comment line on an idle event stream", &sse_keepalive_s },
	{ "GATEWAY_WS_ADDR", CFG_STR, "127.0.0.1", 0, 0, "address of the WebSocket listener", &ws_addr },
	{ "GATEWAY_WS_PORT", CFG_INT, "8081", 1, 65535, "port of the WebSocket listener", &ws_port },
	{ "GATEWAY_WS_PING_S", CFG_INT, "30", 1, 3600, "ping an idle WebSocket client this often", &ws_ping_s },
	{ "GATEWAY_WS_IDLE_S", CFG_INT, "300", 1, 86400, "close a WebSocket after this long without frames",
	  &ws_idle_s },
	{ "GATEWAY_WS_WORKERS", CFG_INT, "4", 1, 64, "threads enqueueing WebSocket messages", &ws_workers },
	{ "GATEWAY_WS_LIBEV", CFG_BOOL, "1", 0, 0,
	  "1: the WebSocket loop uses libev (epoll; needs libwebsockets-evlib-ev); 0: poll()", &ws_libev },
	{ "GATEWAY_WS_MAX_QUEUE", CFG_INT, "1024", 16, 1000000,
	  "frames queued for one WebSocket client before it is dropped as too slow", &ws_max_queue },
	{ "REDIS_URL", CFG_STR, "redis://127.0.0.1:6379/0", 0, 0, "rate-limit buckets and the session event log",
	  &redis_url },
	{ "GATEWAY_REDIS_TIMEOUT_MS", CFG_INT, "200", 10, 10000, "longest wait for one Redis command",
	  &redis_timeout_ms },
	{ "GATEWAY_RATE_SESSION_PER_MIN", CFG_INT, "30", 1, 1000000, "messages per minute per session (refill)",
	  &rl_session_per_min },
	{ "GATEWAY_RATE_SESSION_BURST", CFG_INT, "10", 1, 1000000, "messages a session may send at once",
	  &rl_session_burst },
	{ "GATEWAY_RATE_ADDR_PER_MIN", CFG_INT, "600", 1, 10000000,
	  "messages per minute per client address (refill)", &rl_addr_per_min },
	{ "GATEWAY_RATE_ADDR_BURST", CFG_INT, "100", 1, 10000000, "messages a client address may send at once",
	  &rl_addr_burst },
	{ "GATEWAY_RATE_NEW_SESSIONS_PER_MIN", CFG_INT, "60", 1, 10000000,
	  "sessions a client address may open per minute (refill)", &rl_open_per_min },
	{ "GATEWAY_RATE_NEW_SESSIONS_BURST", CFG_INT, "20", 1, 10000000,
	  "sessions a client address may open at once", &rl_open_burst },
	{ "GATEWAY_RATE_FAIL_OPEN", CFG_BOOL, "1", 0, 0,
	  "when Redis is down: 1 allows messages and new sessions without limits, 0 refuses them (429)",
	  &rl_fail_open },
	{ "GATEWAY_ALLOWED_ORIGINS", CFG_STR, "", 0, 0,
	  "comma-separated origins (https://shop.example.com) whose pages may call the REST API and open "
	  "WebSockets besides the gateway's own host; * allows any; empty: none",
	  &allowed_origins },
	{ "GATEWAY_EVENTS_TTL_S", CFG_INT, "600", 10, 86400,
	  "how long a session's events stay in Redis (gw:events:{session}) for reconnects", &events_ttl_s },
	{ "GATEWAY_DEDUPE_CAPACITY", CFG_INT, "200000", 1000, 10000000,
	  "turn ids remembered as delivered (replayed replies are dropped)", &dedupe_capacity },
	WA_CFG_ROWS(wa_conf),
};

/* One enqueue waiting for the broker's acknowledgement. */
struct pending {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
	rd_kafka_resp_err_t err;
	/* Set for an enqueue that does not wait: called with the outcome
	 * (then the pending is freed). */
	void (*cb)(void *cbarg, const char *errstr);
	void *cbarg;
};

struct gateway {
	struct gw *gw;
	rd_kafka_t *producer;
	rd_kafka_t *consumer;
	volatile sig_atomic_t stop_threads;
	_Atomic int assigned; /* reply partitions assigned at a known offset */
	_Atomic int listening; /* REST and WebSocket listeners are open */
	pthread_t poll_tid, consume_tid;
	struct metric *m_turns, *m_poison, *m_chunks, *m_feedback;
	struct gw_ratelimit *rl;
	struct gw_evlog *evlog;
	struct gw_ws *ws;
	struct wa *wa;
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
	struct pending *p = rkm->_private;
	(void)rk;
	(void)opaque;
	if (!p)
		return;
	if (p->cb) {
		p->cb(p->cbarg, rkm->err ? rd_kafka_err2str(rkm->err) : NULL);
		free(p);
		return;
	}
	pthread_mutex_lock(&p->lock);
	p->err = rkm->err;
	p->done = 1;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

/* Produce buf (taken) keyed key to topic and wait for the broker's
 * acknowledgement. */
static int produce_wait(struct gateway *g, const char *topic, const char *key, void *buf, size_t len, char *errstr,
			size_t errlen)
{
	struct pending p = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, NULL, NULL };
	rd_kafka_resp_err_t err = rd_kafka_producev(
	    g->producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE(buf, len),
	    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE), RD_KAFKA_V_OPAQUE(&p), RD_KAFKA_V_END);
	if (err) {
		free(buf);
		snprintf(errstr, errlen, "cannot produce to %s: %s", topic, rd_kafka_err2str(err));
		return -1;
	}
	/* The message timeout bounds this wait; the report always comes. */
	pthread_mutex_lock(&p.lock);
	while (!p.done)
		pthread_cond_wait(&p.cond, &p.lock);
	pthread_mutex_unlock(&p.lock);
	if (p.err) {
		snprintf(errstr, errlen, "broker did not accept the message: %s", rd_kafka_err2str(p.err));
		return -1;
	}
	return 0;
}

static int enqueue(void *arg, const Chat__Turn *turn, char *errstr, size_t errlen)
{
	struct gateway *g = arg;
	size_t len;
	void *buf = turn_encode(turn, &len);
	if (produce_wait(g, TOPIC_INBOUND, turn->session_id, buf, len, errstr, errlen))
		return -1;
	metrics_inc(g->m_turns, 1);
	return 0;
}

static int enqueue_async(void *arg, const Chat__Turn *turn, void (*cb)(void *cbarg, const char *errstr), void *cbarg,
			 char *errstr, size_t errlen)
{
	struct gateway *g = arg;
	size_t len;
	void *buf = turn_encode(turn, &len);
	struct pending *p = xcalloc(1, sizeof(*p));
	p->cb = cb;
	p->cbarg = cbarg;
	rd_kafka_resp_err_t err = rd_kafka_producev(
	    g->producer, RD_KAFKA_V_TOPIC(TOPIC_INBOUND), RD_KAFKA_V_KEY(turn->session_id, strlen(turn->session_id)),
	    RD_KAFKA_V_VALUE(buf, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE), RD_KAFKA_V_OPAQUE(p), RD_KAFKA_V_END);
	if (err) {
		free(buf);
		free(p);
		snprintf(errstr, errlen, "cannot produce to %s: %s", TOPIC_INBOUND, rd_kafka_err2str(err));
		return -1;
	}
	metrics_inc(g->m_turns, 1);
	return 0;
}

static int publish_feedback(void *arg, const Chat__Feedback *fb, char *errstr, size_t errlen)
{
	struct gateway *g = arg;
	size_t len = chat__feedback__get_packed_size(fb);
	void *buf = xmalloc(len ? len : 1);
	chat__feedback__pack(fb, buf);
	if (produce_wait(g, TOPIC_FEEDBACK, fb->session_id, buf, len, errstr, errlen))
		return -1;
	metrics_inc(g->m_feedback, 1);
	return 0;
}

static void opened(void *arg, const char *sid)
{
	struct gateway *g = arg;
	gw_evlog_open(g->evlog, sid);
}

static int restore(void *arg, const char *sid)
{
	struct gateway *g = arg;
	return gw_evlog_restore(g->evlog, g->gw, sid);
}

/* Every session event: to the sockets, and to Redis for reconnects. */
static void on_event(void *arg, const char *sid, uint64_t seq, const char *json)
{
	struct gateway *g = arg;
	if (g->ws)
		gw_ws_event(g->ws, sid, seq, json);
	gw_evlog_append(g->evlog, sid, seq, json);
}

static int allow(void *arg, const char *sid, const char *addr, int *retry_after_s)
{
	struct gateway *g = arg;
	return gw_ratelimit_allow(g->rl, sid, addr, retry_after_s);
}

static int allow_open(void *arg, const char *addr, int *retry_after_s)
{
	struct gateway *g = arg;
	return gw_ratelimit_allow_open(g->rl, addr, retry_after_s);
}

static void *poll_main(void *arg)
{
	struct gateway *g = arg;
	while (!g->stop_threads)
		rd_kafka_poll(g->producer, 100);
	return NULL;
}

static void handle_outbound(struct gateway *g, rd_kafka_message_t *rkm)
{
	const char *topic = rd_kafka_topic_name(rkm->rkt);
	char errstr[256];
	if (!strcmp(topic, TOPIC_STREAM)) {
		metrics_inc(g->m_chunks, 1);
		Chat__StreamChunk *c = chat__stream_chunk__unpack(NULL, rkm->len, rkm->payload);
		if (!c || gw_deliver_chunk(g->gw, c) < 0) {
			metrics_inc(g->m_poison, 1);
			kstage_dead_letter(g->producer, base.dlq_topic, "gateway", rkm,
					   c ? "stream chunk without a valid session or turn id" : "undecodable stream chunk");
		}
		if (c)
			chat__stream_chunk__free_unpacked(c, NULL);
		return;
	}
	Chat__Turn *turn = turn_decode(rkm->payload, rkm->len, errstr, sizeof(errstr));
	if (!turn) {
		metrics_inc(g->m_poison, 1);
		kstage_dead_letter(g->producer, base.dlq_topic, "gateway", rkm, errstr);
		return;
	}
	if (turn->channel == CHAT__CHANNEL__CHANNEL_WHATSAPP) {
		wa_reply(g->wa, turn); /* sent through the Graph API, off this thread */
		turn_free(turn);
		return;
	}
	/* A session this process does not hold (it restarted, or the session
	 * idled out) is rebuilt from the Redis event log first: a reply it
	 * delivered before is found there and not delivered again, and the
	 * session's event numbers go on from where they were. */
	if (g->evlog && gw_session_alive(g->gw, turn->session_id) != 0)
		gw_evlog_restore(g->evlog, g->gw, turn->session_id);
	if (gw_deliver(g->gw, turn) < 0) {
		metrics_inc(g->m_poison, 1);
		kstage_dead_letter(g->producer, base.dlq_topic, "gateway", rkm, "reply turn has no rendered payload");
	}
	turn_free(turn);
}

/* This instance owns exactly its ordinal's partition of each reply topic:
 * assigned, not subscribed, so no rebalance can move a socket's replies
 * elsewhere. It starts where its group committed, or, the first time, at
 * the current end, resolved here explicitly: letting the client resolve
 * "latest" lazily would skip replies produced before it got round to it,
 * while /readyz already said ready. */
static int assign_reply_partitions(struct gateway *g)
{
	static const char *const topics[] = { TOPIC_OUTBOUND, TOPIC_STREAM };
	rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(2);
	int rc = -1;
	for (size_t i = 0; i < ARRAY_LEN(topics); i++)
		rd_kafka_topic_partition_list_add(parts, topics[i], (int32_t)ordinal);
	rd_kafka_resp_err_t err = rd_kafka_committed(g->consumer, parts, 5000);
	if (err)
		goto out;
	for (int i = 0; i < parts->cnt; i++) {
		rd_kafka_topic_partition_t *p = &parts->elems[i];
		if (p->err)
			goto out;
		if (p->offset >= 0)
			continue;
		int64_t lo, hi;
		if (rd_kafka_query_watermark_offsets(g->consumer, p->topic, p->partition, &lo, &hi, 5000))
			goto out;
		p->offset = hi;
	}
	if (rd_kafka_assign(g->consumer, parts) == RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_info("reading replies from %s[%ld]@%lld and %s[%ld]@%lld", TOPIC_OUTBOUND, ordinal,
			 (long long)parts->elems[0].offset, TOPIC_STREAM, ordinal, (long long)parts->elems[1].offset);
		rc = 0;
	}
out:
	rd_kafka_topic_partition_list_destroy(parts);
	return rc;
}

static void *consume_main(void *arg)
{
	struct gateway *g = arg;
	int64_t last_err_us = 0;
	while (!g->stop_threads && !atomic_load(&g->assigned)) {
		if (assign_reply_partitions(g) == 0)
			atomic_store(&g->assigned, 1);
		else
			util_sleep_ms(500, &g->stop_threads);
	}
	while (!g->stop_threads) {
		rd_kafka_message_t *rkm = rd_kafka_consumer_poll(g->consumer, 100);
		if (!rkm)
			continue;
		if (!rkm->err) {
			handle_outbound(g, rkm);
		} else if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && util_mono_us() - last_err_us > 10000000) {
			last_err_us = util_mono_us();
			log_warn("reply consumer: %s", rd_kafka_message_errstr(rkm));
		}
		rd_kafka_message_destroy(rkm);
	}
	return NULL;
}

static int setup_kafka(struct gateway *g, char *errstr, size_t errlen)
{
	rd_kafka_conf_t *pc = kstage_base_conf(base.brokers, errstr, errlen);
	if (!pc)
		return -1;
	/* A request waits for its acknowledgement: bound the time, unlike the
	 * stages, so a customer gets an answer (503) instead of a hang. */
	if (kstage_producer_conf(pc, errstr, errlen) ||
	    kstage_conf_set(pc, "message.timeout.ms", "10000", errstr, errlen)) {
		rd_kafka_conf_destroy(pc);
		return -1;
	}
	rd_kafka_conf_set_dr_msg_cb(pc, on_delivery);
	g->producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, errstr, errlen);
	if (!g->producer)
		return -1;

	char group[64];
	snprintf(group, sizeof(group), "%s-%ld", base.group_id, ordinal);
	rd_kafka_conf_t *cc = kstage_base_conf(base.brokers, errstr, errlen);
	if (!cc)
		return -1;
	if (kstage_consumer_conf(cc, group, errstr, errlen) ||
	    kstage_conf_set(cc, "auto.offset.reset", "latest", errstr, errlen)) {
		rd_kafka_conf_destroy(cc);
		return -1;
	}
	g->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, errstr, errlen);
	if (!g->consumer)
		return -1;
	rd_kafka_poll_set_consumer(g->consumer);
	return 0;
}

/* Every WebSocket is a descriptor: allow as many as the hard limit. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			log_warn("cannot raise the open-file limit; WebSocket connections are capped by it");
	}
}

/* Ready only once customers can connect: both listeners are open. */
static int check_listeners(void *arg, char *detail, size_t len)
{
	struct gateway *g = arg;
	if (atomic_load(&g->listening))
		return 0;
	snprintf(detail, len, "REST and WebSocket listeners not open yet");
	return -1;
}

static int check_kafka(void *arg, char *detail, size_t len)
{
	struct gateway *g = arg;
	static const char *const topics[] = { TOPIC_INBOUND, TOPIC_OUTBOUND, TOPIC_STREAM };
	if (kstage_check_topics(g->producer, base.brokers, topics, 3, detail, len))
		return -1;
	if (!atomic_load(&g->assigned)) {
		snprintf(detail, len, "reply partition %ld not assigned yet (waiting for the group coordinator)", ordinal);
		return -1;
	}
	/* The reply partition must exist, or replies would have nowhere to go. */
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(g->producer, TOPIC_OUTBOUND, NULL);
	int rc = -1;
	if (rd_kafka_metadata(g->producer, 0, rkt, &md, 1500) == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1) {
		if (ordinal < md->topics[0].partition_cnt)
			rc = 0;
		else
			snprintf(detail, len, "%s has %d partitions; GATEWAY_ORDINAL %ld needs more", TOPIC_OUTBOUND,
				 md->topics[0].partition_cnt, ordinal);
	}
	if (md)
		rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = svc_init(&base, "gateway", "the customers' edge: REST API, sessions and reply routing", cfg,
			  ARRAY_LEN(cfg), argc, argv);
	if (rc)
		return rc > 0 ? 0 : 2;
	char errstr[512];
	struct gw_auth_conf ac = { jwt_secret, assertion_secret, token_ttl_s, (int)token_leeway_s, default_locale };
	if (gw_auth_conf_check(&ac, errstr, sizeof(errstr))) {
		log_error("refusing to start: %s", errstr);
		return 2;
	}
	if (!gw_auth_valid_locale(default_locale)) {
		log_error("refusing to start: GATEWAY_DEFAULT_LOCALE \"%s\" is not a language tag", default_locale);
		return 2;
	}
	struct gw_origins origins;
	if (gw_origins_init(&origins, allowed_origins, errstr, sizeof(errstr))) {
		log_error("refusing to start: GATEWAY_ALLOWED_ORIGINS: %s", errstr);
		return 2;
	}
	struct gateway g;
	memset(&g, 0, sizeof(g));
	struct gw_conf gc = { tenant_id,     (int)ordinal,   (int)events_per_session,
			      max_sessions,  session_ttl_s,  dedupe_capacity,
			      event_memory_mb * 1024 * 1024 };
	g.gw = gw_new(&gc);
	g.m_turns = metrics_counter("gateway_turns_total", "Messages accepted into the pipeline", "");
	g.m_poison = metrics_counter("gateway_poison_replies_total", "Undecodable replies dead-lettered", "");
	g.m_chunks = metrics_counter("gateway_stream_chunks_total", "Stream chunks received", "");
	g.m_feedback = metrics_counter("gateway_feedback_total", "Ratings published to chat.feedback.v1", "");
	rc = 1;
	struct admin *adm = NULL;
	struct gw_http *http = NULL;
	struct gw_ws *ws = NULL;
	struct credis *redis[8] = { NULL }, *redis_log = NULL;
	if (setup_kafka(&g, errstr, sizeof(errstr))) {
		log_error("cannot set up Kafka: %s", errstr);
		goto out;
	}
	adm = svc_admin(&base);
	if (!adm)
		goto out;
	admin_add_check(adm, "kafka", check_kafka, &g);
	admin_add_check(adm, "listeners", check_listeners, &g);
	wa_conf.redis_url = redis_url;
	wa_conf.tenant_id = tenant_id;
	wa_conf.ordinal = ordinal;
	g.wa = wa_new(&wa_conf, (struct wa_io){ enqueue, &g, NULL });
	pthread_create(&g.poll_tid, NULL, poll_main, &g);
	pthread_create(&g.consume_tid, NULL, consume_main, &g);
	struct gw_http_conf hc = { http_addr, (int)http_port, max_body, max_wait_ms, max_conns, &ac, sse_keepalive_s,
				   &origins };
	/* Rate-limit checks run on REST threads and WebSocket workers at once:
	 * a few connections, each used by one check at a time. */
	for (size_t i = 0; i < ARRAY_LEN(redis); i++) {
		redis[i] = credis_new(redis_url, (int)redis_timeout_ms, errstr, sizeof(errstr));
		if (!redis[i]) {
			log_error("REDIS_URL: %s", errstr);
			goto stop_threads;
		}
	}
	struct gw_ratelimit_conf rlc = { rl_session_per_min, rl_session_burst, rl_addr_per_min, rl_addr_burst,
					 rl_open_per_min, rl_open_burst, rl_fail_open, "gw:rl:" };
	g.rl = gw_ratelimit_new(redis, (int)ARRAY_LEN(redis), &rlc);
	struct gw_evlog_conf elc = { "gw:", events_per_session, events_ttl_s, session_ttl_s, 100000 };
	redis_log = credis_new(redis_url, (int)redis_timeout_ms, errstr, sizeof(errstr));
	g.evlog = gw_evlog_new(redis_log, &elc);
	gw_set_listener(g.gw, on_event, &g);
	struct gw_http_io io = { .enqueue = enqueue,
				 .enqueue_async = enqueue_async,
				 .feedback = publish_feedback,
				 .allow = allow,
				 .allow_open = allow_open,
				 .opened = opened,
				 .restore = restore,
				 .arg = &g,
				 .wa = g.wa };
	http = gw_http_start(g.gw, &hc, io, errstr, sizeof(errstr));
	if (!http) {
		log_error("%s", errstr);
		goto stop_threads;
	}
	raise_fd_limit();
	struct gw_ws_conf wc = { ws_addr, (int)ws_port, &ac, ws_ping_s, ws_idle_s, max_body, ws_max_queue, (int)ws_workers,
				   ws_libev, &origins };
	ws = gw_ws_start(g.gw, &wc, io, errstr, sizeof(errstr));
	g.ws = ws;
	if (!ws) {
		log_error("%s", errstr);
		gw_shutdown(g.gw);
		gw_http_stop(http);
		goto stop_threads;
	}
	atomic_store(&g.listening, 1);
	log_info("started: REST on %s:%ld, WebSocket on %s:%ld, reply partition %ld, admin on %s:%ld", http_addr,
		 http_port, ws_addr, ws_port, ordinal, base.admin_addr, base.admin_port);
	admin_log_unready(adm);
	int64_t last_sweep = util_mono_us();
	while (!svc_stop) {
		util_sleep_ms(100, &svc_stop);
		admin_heartbeat(adm);
		if (util_mono_us() - last_sweep > 10000000) {
			gw_sweep(g.gw, util_now_us());
			last_sweep = util_mono_us();
		}
	}
	rc = 0;
	log_info("stopping: closing the REST API");
	/* Stop accepting, wake long-polls, let open requests finish. */
	gw_shutdown(g.gw);
	gw_http_stop(http);
stop_threads:
	wa_stop(g.wa); /* its worker may wait for a delivery report: before the poll thread ends */
	g.stop_threads = 1;
	pthread_join(g.consume_tid, NULL);
	gw_set_listener(g.gw, NULL, NULL);
	gw_ws_stop(ws);
	gw_evlog_free(g.evlog);
	pthread_join(g.poll_tid, NULL);
out:
	if (g.consumer) {
		rd_kafka_consumer_close(g.consumer);
		rd_kafka_destroy(g.consumer);
	}
	if (g.producer) {
		rd_kafka_flush(g.producer, 10000);
		rd_kafka_destroy(g.producer);
	}
	admin_stop(adm);
	wa_free(g.wa);
	gw_ratelimit_free(g.rl);
	for (size_t i = 0; i < ARRAY_LEN(redis); i++)
		credis_free(redis[i]);
	credis_free(redis_log);
	gw_free(g.gw);
	gw_origins_release(&origins);
	log_info("stopped");
	return rc;
}
