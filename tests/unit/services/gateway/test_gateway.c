/* gateway: message parsing, turn building and exactly-once reply delivery
 * (gateway.h only; http.c and main.c are not exercised here). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "../../testutil.h"
#include "services/gateway/gateway.h"

TestSuite(gw, .fini = tu_leak_check);

static const struct gw_conf conf = {
	.tenant_id = "tenant-1",
	.ordinal = 3,
	.events_per_session = 16,
	.max_sessions = 1000,
	.session_ttl_s = 60,
	.dedupe_capacity = 1000,
};

/* --- gw_parse_message -------------------------------------------------- */

static int parse(const char *body, struct gw_msg *msg, char *err, size_t errlen)
{
	err[0] = '\0';
	int rc = gw_parse_message(body, strlen(body), msg, err, errlen);
	if (rc)
		cr_assert_neq(err[0], '\0', "a rejection says why: %s", body);
	return rc;
}

Test(gw, parse_valid_body)
{
	struct gw_msg m;
	char err[256];
	cr_assert_eq(parse("{\"text\":\"  where is my order? \",\"client_msg_id\":\"m-1:a_b.c\",\"channel\":\"web\"}",
			   &m, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_str_eq(m.text, "  where is my order? ", "text kept as sent");
	cr_assert_str_eq(m.client_msg_id, "m-1:a_b.c");
	cr_assert_eq(m.channel, CHAT__CHANNEL__CHANNEL_WEB);
	gw_msg_release(&m);
	cr_assert_null(m.text);

	cr_assert_eq(parse("{\"text\":\"hi\"}", &m, err, sizeof(err)), 0, "%s", err);
	cr_assert_null(m.client_msg_id, "optional");
	cr_assert_eq(m.channel, CHAT__CHANNEL__CHANNEL_API, "default channel");
	gw_msg_release(&m);

	cr_assert_eq(parse("{\"text\":\"hi\",\"channel\":\"mobile\",\"client_msg_id\":null}", &m, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(m.channel, CHAT__CHANNEL__CHANNEL_MOBILE);
	cr_assert_null(m.client_msg_id);
	gw_msg_release(&m);

	cr_assert_eq(parse("{\"text\":\"\\u4f60\\u597d\",\"channel\":\"api\"}", &m, err, sizeof(err)), 0);
	cr_assert_str_eq(m.text, "你好");
	gw_msg_release(&m);
}

Test(gw, parse_malformed_json_names_position)
{
	struct gw_msg m;
	char err[256];
	cr_assert_eq(parse("{\"text\": \"hi\",\n  oops}", &m, err, sizeof(err)), -1);
	cr_assert(strstr(err, "line 2") != NULL, "%s", err);
	cr_assert(strstr(err, "column") != NULL, "%s", err);
	cr_assert_eq(parse("", &m, err, sizeof(err)), -1, "empty body");
	cr_assert_eq(parse("[\"text\"]", &m, err, sizeof(err)), -1, "not an object");
	cr_assert(strstr(err, "object") != NULL, "%s", err);
}

Test(gw, parse_text_rules)
{
	struct gw_msg m;
	char err[256];
	cr_assert_eq(parse("{\"channel\":\"web\"}", &m, err, sizeof(err)), -1, "missing text");
	cr_assert(strstr(err, "text") != NULL, "%s", err);
	cr_assert_eq(parse("{\"text\":42}", &m, err, sizeof(err)), -1, "text not a string");
	cr_assert_eq(parse("{\"text\":\"\"}", &m, err, sizeof(err)), -1, "empty text");
	cr_assert(strstr(err, "empty") != NULL, "%s", err);
	cr_assert_eq(parse("{\"text\":\" \\t\\r\\n  \"}", &m, err, sizeof(err)), -1, "white space only");
	cr_assert_eq(parse("{\"text\":\"a\\u0000b\"}", &m, err, sizeof(err)), -1, "NUL inside text");
}

Test(gw, parse_text_length_limit)
{
	struct gw_msg m;
	char err[256];
	size_t n = TURN_MAX_TEXT + 1;
	char *body = xmalloc(n + 32);
	memcpy(body, "{\"text\":\"", 9);
	memset(body + 9, 'a', n);
	memcpy(body + 9 + n, "\"}", 3);
	cr_assert_eq(parse(body, &m, err, sizeof(err)), -1, "8193 bytes");
	cr_assert(strstr(err, "8192") != NULL, "%s", err);

	memcpy(body + 9 + TURN_MAX_TEXT, "\"}", 3);
	cr_assert_eq(parse(body, &m, err, sizeof(err)), 0, "exactly 8192 bytes: %s", err);
	cr_assert_eq(strlen(m.text), TURN_MAX_TEXT);
	gw_msg_release(&m);
	free(body);
}

Test(gw, parse_bad_client_msg_id)
{
	static const char *const bodies[] = {
		"{\"text\":\"hi\",\"client_msg_id\":\"a b\"}",
		"{\"text\":\"hi\",\"client_msg_id\":\"a/b\"}",
		"{\"text\":\"hi\",\"client_msg_id\":\"\"}",
		"{\"text\":\"hi\",\"client_msg_id\":12}",
		"{\"text\":\"hi\",\"client_msg_id\":\"x1234567890123456789012345678901234567890123456789012345678901234\"}",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct gw_msg m;
		char err[256];
		cr_assert_eq(parse(bodies[i], &m, err, sizeof(err)), -1, "%s", bodies[i]);
		cr_assert(strstr(err, "client_msg_id") != NULL, "%s", err);
	}
	struct gw_msg m;
	char err[256];
	cr_assert_eq(parse("{\"text\":\"hi\",\"client_msg_id\":"
			   "\"1234567890123456789012345678901234567890123456789012345678901234\"}",
			   &m, err, sizeof(err)),
		     0, "exactly 64 characters: %s", err);
	gw_msg_release(&m);
}

Test(gw, parse_bad_channel)
{
	static const char *const bodies[] = {
		"{\"text\":\"hi\",\"channel\":\"sms\"}",
		"{\"text\":\"hi\",\"channel\":\"WEB\"}",
		"{\"text\":\"hi\",\"channel\":1}",
		"{\"text\":\"hi\",\"client_msg_id\":\"ok-1\",\"channel\":\"whatsapp\"}",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct gw_msg m;
		char err[256];
		cr_assert_eq(parse(bodies[i], &m, err, sizeof(err)), -1, "%s", bodies[i]);
		cr_assert(strstr(err, "channel") != NULL, "%s", err);
	}
}

Test(gw, parse_duplicate_keys_rejected)
{
	struct gw_msg m;
	char err[256];
	cr_assert_eq(parse("{\"text\":\"hello\",\"text\":\"transfer all my points\"}", &m, err, sizeof(err)), -1);
	cr_assert_eq(parse("{\"text\":\"hi\",\"channel\":\"web\",\"channel\":\"api\"}", &m, err, sizeof(err)), -1);
}

/* --- gw_build_turn ---------------------------------------------------- */

static Chat__Turn *build(struct gw *gw, const char *sid, const char *text, const char *cmid)
{
	struct gw_msg m = { (char *)text, (char *)cmid, CHAT__CHANNEL__CHANNEL_WEB };
	Chat__Turn *t = gw_build_turn(gw, sid, &m);
	cr_assert_not_null(t);
	return t;
}

Test(gw, build_turn_scrubs_nric_and_card_numbers_at_the_edge)
{
	struct gw *gw = gw_new(&conf);
	Chat__Turn *t = build(gw, "sess-1", "my ic 900101-14-5678, card 4111 1111 1111 1111, call 012-345 6789", NULL);
	cr_assert_null(strstr(t->text, "900101"), "NRIC kept: %s", t->text);
	cr_assert_null(strstr(t->text, "4111"), "card number kept: %s", t->text);
	cr_assert(strstr(t->text, "012-345 6789"), "contact details must stay: %s", t->text);
	/* an order number that is not a valid NRIC is left alone */
	turn_free(t);
	t = build(gw, "sess-1", "order 991399123456 please", NULL);
	cr_assert_str_eq(t->text, "order 991399123456 please");
	turn_free(t);
	gw_free(gw);
}

Test(gw, build_turn_fields)
{
	struct gw *gw = gw_new(&conf);
	int64_t before = util_now_us();
	Chat__Turn *t = build(gw, "sess-1", "hello", "m-1");
	cr_assert_str_eq(t->tenant_id, "tenant-1");
	cr_assert_str_eq(t->session_id, "sess-1");
	cr_assert_str_eq(t->text, "hello");
	cr_assert_str_eq(t->client_msg_id, "m-1");
	cr_assert_eq(t->channel, CHAT__CHANNEL__CHANNEL_WEB);
	cr_assert_eq(t->reply_partition, 3, "reply_partition is the instance ordinal");
	cr_assert_geq(t->received_at_us, before);
	cr_assert_eq(t->n_stage_times, 1);
	cr_assert_str_eq(t->stage_times[0]->stage, "gateway");
	cr_assert_eq(strlen(t->trace_id), 36);

	/* What the gateway builds passes every later stage's validation. */
	size_t len;
	void *buf = turn_encode(t, &len);
	char err[256] = "";
	Chat__Turn *u = turn_decode(buf, len, err, sizeof(err));
	cr_assert_not_null(u, "%s", err);
	turn_free(u);
	free(buf);
	turn_free(t);
	gw_free(gw);
}

Test(gw, build_turn_ids)
{
	struct gw *gw = gw_new(&conf);
	Chat__Turn *a = build(gw, "sess-1", "hello", "m-1");
	Chat__Turn *a2 = build(gw, "sess-1", "hello again", "m-1");
	Chat__Turn *b = build(gw, "sess-1", "hello", "m-2");
	Chat__Turn *c = build(gw, "sess-2", "hello", "m-1");
	Chat__Turn *r1 = build(gw, "sess-1", "hello", NULL);
	Chat__Turn *r2 = build(gw, "sess-1", "hello", NULL);
	cr_assert_str_eq(a->turn_id, a2->turn_id, "a retried POST names the same turn");
	cr_assert_str_neq(a->turn_id, b->turn_id, "another client_msg_id, another turn");
	cr_assert_str_neq(a->turn_id, c->turn_id, "the same client_msg_id in another session");
	cr_assert_str_neq(r1->turn_id, r2->turn_id, "without client_msg_id: random");
	cr_assert_str_neq(a->trace_id, a2->trace_id, "trace ids are per attempt");
	cr_assert_eq(strlen(a->turn_id), 36);
	cr_assert_eq(strlen(r1->turn_id), 36);
	cr_assert_str_eq(r1->client_msg_id, "");

	/* Another tenant derives other ids. */
	struct gw_conf other = conf;
	other.tenant_id = "tenant-2";
	struct gw *gw2 = gw_new(&other);
	Chat__Turn *d = build(gw2, "sess-1", "hello", "m-1");
	cr_assert_str_neq(a->turn_id, d->turn_id);
	turn_free(d);
	gw_free(gw2);

	turn_free(a);
	turn_free(a2);
	turn_free(b);
	turn_free(c);
	turn_free(r1);
	turn_free(r2);
	gw_free(gw);
}

/* --- delivery --------------------------------------------------------- */

/* An outbound turn with a rendered JSON reply. */
static Chat__Turn *reply(const char *sid, const char *turn_id)
{
	Chat__Turn *t = tu_turn(sid, turn_id, "question");
	t->rendered = xmalloc(sizeof(*t->rendered));
	chat__rendered__init(t->rendered);
	t->rendered->content_type = xstrdup("application/json");
	char *body = xasprintf("{\"type\":\"final\",\"turn_id\":\"%s\",\"text\":\"answer to %s\"}", turn_id, turn_id);
	t->rendered->payload.data = (uint8_t *)body;
	t->rendered->payload.len = strlen(body);
	t->received_at_us = util_now_us() - 1000;
	return t;
}

static int deliver(struct gw *gw, const char *sid, const char *turn_id)
{
	Chat__Turn *t = reply(sid, turn_id);
	int rc = gw_deliver(gw, t);
	turn_free(t);
	return rc;
}

static json_t *events(struct gw *gw, const char *sid, uint64_t after)
{
	char *s = NULL;
	cr_assert_eq(gw_events(gw, sid, after, 0, &s), 0);
	json_error_t jerr;
	json_t *j = json_loads(s, 0, &jerr);
	cr_assert_not_null(j, "%s: %s", jerr.text, s);
	free(s);
	return j;
}

Test(gw, deliver_once)
{
	struct gw *gw = gw_new(&conf);
	cr_assert_eq(deliver(gw, "sess-1", "turn-1"), 1);
	cr_assert_eq(deliver(gw, "sess-1", "turn-1"), 0, "a replayed reply is a duplicate");
	cr_assert_eq(deliver(gw, "sess-1", "turn-1"), 0);
	json_t *j = events(gw, "sess-1", 0);
	cr_assert_eq(json_array_size(json_object_get(j, "events")), 1, "delivered exactly once");
	json_decref(j);
	gw_free(gw);
}

Test(gw, deliver_without_rendered_reply)
{
	struct gw *gw = gw_new(&conf);
	Chat__Turn *t = tu_turn("sess-1", "turn-1", "q");
	cr_assert_eq(gw_deliver(gw, t), -1);
	t->rendered = xmalloc(sizeof(*t->rendered));
	chat__rendered__init(t->rendered);
	cr_assert_eq(gw_deliver(gw, t), -1, "empty payload");
	turn_free(t);
	cr_assert_eq(deliver(gw, "sess-1", "turn-1"), 1, "a failed attempt does not count as delivered");
	gw_free(gw);
}

Test(gw, events_in_order)
{
	struct gw *gw = gw_new(&conf);
	gw_touch_session(gw, "sess-1");
	json_t *j = events(gw, "sess-1", 0);
	cr_assert_eq(json_array_size(json_object_get(j, "events")), 0);
	cr_assert_eq(json_integer_value(json_object_get(j, "next")), 0);
	json_decref(j);

	cr_assert_eq(deliver(gw, "sess-1", "turn-a"), 1);
	cr_assert_eq(deliver(gw, "sess-2", "turn-x"), 1);
	cr_assert_eq(deliver(gw, "sess-1", "turn-b"), 1);
	j = events(gw, "sess-1", 0);
	cr_assert_str_eq(json_string_value(json_object_get(j, "session_id")), "sess-1");
	json_t *ev = json_object_get(j, "events");
	cr_assert_eq(json_array_size(ev), 2, "only this session's events");
	json_t *e0 = json_array_get(ev, 0), *e1 = json_array_get(ev, 1);
	cr_assert_str_eq(json_string_value(json_object_get(e0, "turn_id")), "turn-a");
	cr_assert_str_eq(json_string_value(json_object_get(e1, "turn_id")), "turn-b");
	cr_assert_str_eq(json_string_value(json_object_get(e0, "text")), "answer to turn-a", "the rendered reply");
	cr_assert_eq(json_integer_value(json_object_get(e0, "seq")), 1);
	cr_assert_eq(json_integer_value(json_object_get(e1, "seq")), 2);
	cr_assert_str_eq(json_string_value(json_object_get(e0, "trace_id")), "trace-1");
	json_t *st = json_object_get(e0, "stage_times");
	cr_assert_eq(json_array_size(st), 1);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(st, 0), "stage")), "gateway.out");
	json_int_t next = json_integer_value(json_object_get(j, "next"));
	cr_assert_eq(next, 2);
	json_decref(j);

	j = events(gw, "sess-1", (uint64_t)next);
	cr_assert_eq(json_array_size(json_object_get(j, "events")), 0, "nothing after next");
	cr_assert_eq(json_integer_value(json_object_get(j, "next")), 2);
	json_decref(j);

	j = events(gw, "sess-1", 1);
	cr_assert_eq(json_array_size(json_object_get(j, "events")), 1);
	json_decref(j);
	gw_free(gw);
}

Test(gw, events_unknown_session)
{
	struct gw *gw = gw_new(&conf);
	char *s = NULL;
	cr_assert_eq(gw_events(gw, "nobody", 0, 0, &s), -1);
	cr_assert_null(s);
	cr_assert_eq(gw_session_count(gw), 0, "asking does not create a session");
	gw_free(gw);
}

Test(gw, events_ring_keeps_the_last)
{
	struct gw_conf c = conf;
	c.events_per_session = 4;
	struct gw *gw = gw_new(&c);
	for (int i = 1; i <= 6; i++) {
		char id[16];
		snprintf(id, sizeof(id), "turn-%d", i);
		cr_assert_eq(deliver(gw, "s", id), 1);
	}
	json_t *j = events(gw, "s", 0);
	json_t *ev = json_object_get(j, "events");
	cr_assert_eq(json_array_size(ev), 4);
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(ev, 0), "seq")), 3);
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(ev, 3), "seq")), 6);
	cr_assert_eq(json_integer_value(json_object_get(j, "next")), 6);
	json_decref(j);
	gw_free(gw);
}

static int64_t ms_since(int64_t t0)
{
	return (util_mono_us() - t0) / 1000;
}

Test(gw, wait_reply_delivered_and_timeout)
{
	struct gw *gw = gw_new(&conf);
	cr_assert_eq(deliver(gw, "sess-1", "turn-1"), 1);
	char *ev = NULL;
	cr_assert_eq(gw_wait_reply(gw, "sess-1", "turn-1", 50, &ev), 0);
	cr_assert_not_null(ev);
	cr_assert(strstr(ev, "\"turn_id\":\"turn-1\"") != NULL, "%s", ev);
	free(ev);

	ev = NULL;
	int64_t t0 = util_mono_us();
	cr_assert_eq(gw_wait_reply(gw, "sess-1", "turn-2", 50, &ev), -1, "another turn: timeout");
	int64_t took = ms_since(t0);
	cr_assert_geq(took, 40, "waited about 50 ms (%lld)", (long long)took);
	cr_assert_lt(took, 1000, "%lld ms", (long long)took);
	cr_assert_null(ev);
	gw_free(gw);
}

struct later {
	struct gw *gw;
	int delay_ms;
	int rc;
};

static void *deliver_later(void *arg)
{
	struct later *l = arg;
	struct timespec ts = { 0, (long)l->delay_ms * 1000000L };
	nanosleep(&ts, NULL);
	l->rc = deliver(l->gw, "sess-1", "turn-late");
	return NULL;
}

Test(gw, wait_reply_wakes_on_delivery)
{
	struct gw *gw = gw_new(&conf);
	gw_touch_session(gw, "sess-1");
	struct later l = { gw, 30, 0 };
	pthread_t th;
	pthread_create(&th, NULL, deliver_later, &l);
	char *ev = NULL;
	int64_t t0 = util_mono_us();
	int rc = gw_wait_reply(gw, "sess-1", "turn-late", 5000, &ev);
	int64_t took = ms_since(t0);
	pthread_join(th, NULL);
	cr_assert_eq(l.rc, 1);
	cr_assert_eq(rc, 0);
	cr_assert_lt(took, 2000, "woken by the delivery, not the timeout (%lld ms)", (long long)took);
	cr_assert(strstr(ev, "turn-late") != NULL, "%s", ev);
	free(ev);
	gw_free(gw);
}

Test(gw, dedupe_capacity_evicts_oldest)
{
	struct gw *gw = gw_new(&conf); /* dedupe_capacity 1000 */
	char id[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "turn-%d", i);
		cr_assert_eq(deliver(gw, "s", id), 1, "%s", id);
	}
	cr_assert_eq(deliver(gw, "s", "turn-0"), 0, "still remembered at capacity");
	cr_assert_eq(deliver(gw, "s", "turn-999"), 0);
	cr_assert_eq(deliver(gw, "s", "turn-1000"), 1, "the 1001st distinct turn");
	cr_assert_eq(deliver(gw, "s", "turn-0"), 1, "the oldest was evicted: accepted again");
	cr_assert_eq(deliver(gw, "s", "turn-2"), 0, "turn-2 is still remembered");
	cr_assert_eq(deliver(gw, "s", "turn-1000"), 0);
	gw_free(gw);
}

Test(gw, sweep_removes_idle_sessions)
{
	struct gw_conf c = conf;
	c.session_ttl_s = 1;
	struct gw *gw = gw_new(&c);
	gw_touch_session(gw, "a");
	gw_touch_session(gw, "b");
	gw_touch_session(gw, "a"); /* touching twice is still one session */
	cr_assert_eq(deliver(gw, "c", "turn-1"), 1);
	cr_assert_eq(gw_session_count(gw), 3);
	cr_assert_eq(gw_sweep(gw, util_now_us()), 0, "nothing idle yet");
	cr_assert_eq(gw_sweep(gw, util_now_us() + 10 * 1000000LL), 3);
	cr_assert_eq(gw_session_count(gw), 0);
	char *s = NULL;
	cr_assert_eq(gw_events(gw, "c", 0, 0, &s), -1, "swept sessions are gone");
	gw_free(gw);
}

struct waiter {
	struct gw *gw;
	int rc;
};

static void *wait_long(void *arg)
{
	struct waiter *w = arg;
	char *ev = NULL;
	w->rc = gw_wait_reply(w->gw, "busy", "never", 10000, &ev);
	free(ev);
	return NULL;
}

/* Start w waiting for a reply in session "busy" on a thread of its own,
 * and return once that session exists. */
static void start_waiter(struct waiter *w, pthread_t *th)
{
	pthread_create(th, NULL, wait_long, w);
	for (int i = 0; i < 200 && gw_session_count(w->gw) == 0; i++) {
		struct timespec ts = { 0, 5000000L };
		nanosleep(&ts, NULL);
	}
}

/* Deliver reply "turn-<i>" to session "s<i>". */
static int deliver_nth(struct gw *gw, int i)
{
	char sid[16], tid[16];
	snprintf(sid, sizeof(sid), "s%d", i);
	snprintf(tid, sizeof(tid), "turn-%d", i);
	return deliver(gw, sid, tid);
}

Test(gw, sweep_keeps_sessions_with_waiters_and_shutdown_wakes)
{
	struct gw_conf c = conf;
	c.session_ttl_s = 1;
	struct gw *gw = gw_new(&c);
	struct waiter w = { gw, 99 };
	pthread_t th;
	start_waiter(&w, &th);
	struct timespec ts = { 0, 20000000L };
	nanosleep(&ts, NULL);
	gw_touch_session(gw, "idle");
	cr_assert_eq(gw_sweep(gw, util_now_us() + 10 * 1000000LL), 1, "only the idle session");
	cr_assert_eq(gw_session_count(gw), 1);

	int64_t t0 = util_mono_us();
	gw_shutdown(gw);
	pthread_join(th, NULL);
	cr_assert_eq(w.rc, -1);
	cr_assert_lt(ms_since(t0), 2000, "shutdown wakes the waiter");

	char *ev = NULL;
	t0 = util_mono_us();
	cr_assert_eq(gw_wait_reply(gw, "busy", "never", 5000, &ev), -1);
	cr_assert_lt(ms_since(t0), 1000, "after shutdown a wait returns at once");
	gw_free(gw);
}

Test(gw, full_gateway_drops_the_least_recently_active_session)
{
	struct gw_conf c = conf;
	c.max_sessions = 3;
	struct gw *gw = gw_new(&c);
	gw_touch_session(gw, "a");
	gw_touch_session(gw, "b");
	gw_touch_session(gw, "c");
	cr_assert_eq(gw_session_alive(gw, "a"), 0); /* a is now the most recent */
	gw_touch_session(gw, "d");
	cr_assert_eq(gw_session_count(gw), 3);
	cr_assert_eq(gw_session_alive(gw, "b"), -1, "b was the least recently active");
	cr_assert_eq(gw_session_alive(gw, "a"), 0);
	cr_assert_eq(gw_session_alive(gw, "c"), 0);
	cr_assert_eq(gw_session_alive(gw, "d"), 0);
	gw_free(gw);
}

Test(gw, event_memory_is_bounded_and_the_newest_sessions_stay)
{
	struct gw_conf c = conf;
	c.event_memory = 16 * 1024;
	struct gw *gw = gw_new(&c);
	for (int i = 0; i < 500; i++) {
		cr_assert_eq(deliver_nth(gw, i), 1);
		cr_assert_leq(gw_memory_bytes(gw), (size_t)c.event_memory, "after %d replies", i + 1);
	}
	size_t n = gw_session_count(gw);
	cr_assert_gt(n, 5, "the budget holds more than a handful of sessions (%zu)", n);
	cr_assert_lt(n, 500, "old sessions went (%zu held)", n);
	json_t *j = events(gw, "s499", 0);
	cr_assert_eq(json_array_size(json_object_get(j, "events")), 1, "the newest session keeps its reply");
	json_decref(j);
	char *s = NULL;
	cr_assert_eq(gw_events(gw, "s0", 0, 0, &s), -1, "the oldest session went");

	/* Every session gone gives its bytes back. */
	gw_sweep(gw, util_now_us() + 3600 * 1000000LL);
	cr_assert_eq(gw_session_count(gw), 0);
	cr_assert_eq(gw_memory_bytes(gw), 0);
	gw_free(gw);
}

Test(gw, event_memory_never_drops_a_session_somebody_waits_on)
{
	struct gw_conf c = conf;
	c.event_memory = 8 * 1024;
	struct gw *gw = gw_new(&c);
	struct waiter w = { gw, 99 };
	pthread_t th;
	start_waiter(&w, &th);
	for (int i = 0; i < 200; i++)
		deliver_nth(gw, i);
	cr_assert_eq(deliver(gw, "busy", "never"), 1);
	pthread_join(th, NULL);
	cr_assert_eq(w.rc, 0, "the waiter's session stayed and it got its reply");
	gw_free(gw);
}
