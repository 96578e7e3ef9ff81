/* The WebSocket channel: token checked before the upgrade, streamed deltas
 * then the final reply in seq order, error frames for bad input, resume
 * after a reconnect without gaps or repeats, 1,000 concurrent sessions
 * each receiving exactly its own replies, and, on a gateway of its own with
 * short timers, pings to a silent client and its close once idle; and on
 * gateways of their own, SIGTERM stops the gateway on either event loop. */
#include <criterion/criterion.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "../../tools/chatctl/wsclient.h"
#include "hmap.h"
#include "helpers.h"
#include "util.h"

static int ws_port(void)
{
	return (int)it_env_long("GATEWAY_WS_PORT", 8081);
}

static char *token_of(const char *sid)
{
	struct cc_http h;
	cr_assert_eq(cc_http_init(&h, it_gateway_url()), 0);
	char *t = cc_token(&h, sid);
	cr_assert_not_null(t);
	cc_http_release(&h);
	return t;
}

static int ws_open(struct wsc *w, const char *sid, const char *extra, char *err, size_t errlen)
{
	char *tok = sid ? token_of(sid) : xstrdup("");
	char *path = xasprintf("/v1/ws?token=%s%s", tok, extra ? extra : "");
	int rc = wsc_connect(w, "127.0.0.1", ws_port(), path, NULL, 10000, err, errlen);
	free(path);
	free(tok);
	return rc;
}

/* POST a message on REST; returns its turn_id (heap). */
static char *post(const char *sid, const char *text)
{
	struct cc_http h;
	char errstr[256];
	long status = 0;
	json_t *resp = NULL;
	cr_assert_eq(cc_http_init(&h, it_gateway_url()), 0);
	cr_assert_eq(cc_post_message(&h, sid, text, NULL, 0, &status, &resp, errstr, sizeof(errstr)), 0, "%s", errstr);
	cc_http_release(&h);
	cr_assert_eq(status, 202, "POST answered %ld", status);
	char *id = xstrdup(json_string_value(json_object_get(resp, "turn_id")));
	json_decref(resp);
	return id;
}

/* Frames until the final of a turn; checks seq order and delta turn ids.
 * Returns the final event (caller decrefs); *last_seq gets its seq. */
static json_t *until_final(struct wsc *w, const char *turn_id, uint64_t *last_seq)
{
	uint64_t prev = *last_seq;
	for (;;) {
		char *m = wsc_recv(w, 60000);
		cr_assert_not_null(m, "no final reply on the WebSocket");
		json_t *ev = json_loads(m, 0, NULL);
		free(m);
		cr_assert_not_null(ev);
		const char *type = json_string_value(json_object_get(ev, "type"));
		cr_assert_not_null(type);
		cr_assert_str_neq(type, "error", "error frame: %s", json_string_value(json_object_get(ev, "message")));
		uint64_t seq = (uint64_t)json_integer_value(json_object_get(ev, "seq"));
		cr_assert_gt(seq, prev, "seq %llu after %llu", (unsigned long long)seq, (unsigned long long)prev);
		prev = seq;
		const char *tid = json_string_value(json_object_get(ev, "turn_id"));
		if (turn_id && tid && strcmp(tid, turn_id)) {
			json_decref(ev);
			continue; /* an earlier turn's event */
		}
		if (!strcmp(type, "final")) {
			*last_seq = seq;
			return ev;
		}
		cr_assert_str_eq(type, "delta");
		cr_assert(json_is_string(json_object_get(ev, "text")));
		json_decref(ev);
	}
}

Test(ws, bad_tokens_are_refused_before_the_upgrade)
{
	struct wsc w;
	char err[512];
	cr_assert_eq(ws_open(&w, NULL, NULL, err, sizeof(err)), -1);
	cr_assert_eq(w.status, 401, "%s", err);
	cr_assert(strstr(w.body, "token"), "%s", w.body);
	wsc_close(&w);
	cr_assert_eq(wsc_connect(&w, "127.0.0.1", ws_port(), "/v1/ws?token=a.b.c", NULL, 10000, err, sizeof(err)), -1);
	cr_assert_eq(w.status, 401, "%s", err);
	wsc_close(&w);
	cr_assert_eq(wsc_connect(&w, "127.0.0.1", ws_port(), "/v1/elsewhere", NULL, 10000, err, sizeof(err)), -1);
	cr_assert_eq(w.status, 404, "%s", err);
	wsc_close(&w);
}

Test(ws, message_streams_deltas_then_final, .timeout = 120)
{
	char sid[64], err[512];
	it_open_session(sid, sizeof(sid));
	struct wsc w;
	cr_assert_eq(ws_open(&w, sid, NULL, err, sizeof(err)), 0, "%s", err);
	const char *msg = "{\"type\":\"message\",\"text\":\"Do you deliver to Penang?\",\"client_msg_id\":\"w-1\"}";
	cr_assert_eq(wsc_send(&w, msg, strlen(msg)), 0);
	uint64_t seq = 0;
	json_t *fin = until_final(&w, NULL, &seq);
	cr_assert_not_null(json_object_get(fin, "text"));
	cr_assert_not_null(json_object_get(fin, "turn_id"));
	json_decref(fin);

	/* bad frames get error frames and the connection stays usable */
	const char *bad[] = { "{\"type\":\"message\"", "{\"type\":\"message\",\"text\":\"  \"}", "{\"type\":\"shout\"}" };
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(wsc_send(&w, bad[i], strlen(bad[i])), 0);
		char *m = wsc_recv(&w, 10000);
		cr_assert_not_null(m, "no error frame for %s", bad[i]);
		json_t *ev = json_loads(m, 0, NULL);
		free(m);
		cr_assert_str_eq(json_string_value(json_object_get(ev, "type")), "error");
		cr_assert_str_eq(json_string_value(json_object_get(ev, "code")), "bad_request");
		cr_assert(json_string_length(json_object_get(ev, "message")) > 0);
		json_decref(ev);
	}
	wsc_close(&w);
}

Test(ws, reconnect_with_resume_gets_what_it_missed_once, .timeout = 180)
{
	char sid[64], err[512];
	it_open_session(sid, sizeof(sid));
	struct wsc w;
	cr_assert_eq(ws_open(&w, sid, NULL, err, sizeof(err)), 0, "%s", err);
	char *t1 = post(sid, "hello");
	uint64_t seen = 0;
	json_t *f1 = until_final(&w, t1, &seen);
	json_decref(f1);
	wsc_close(&w);

	/* Away: a reply is produced while no socket is open. */
	char *t2 = post(sid, "what are your opening hours?");
	struct cc_http h;
	char errstr[256];
	cr_assert_eq(cc_http_init(&h, it_gateway_url()), 0);
	int have = 0;
	for (int i = 0; i < 30 && !have; i++) {
		long status = 0;
		json_t *doc = NULL;
		cr_assert_eq(cc_get_events(&h, sid, seen, 2000, &status, &doc, errstr, sizeof(errstr)), 0);
		size_t k;
		json_t *ev;
		json_array_foreach(json_object_get(doc, "events"), k, ev)
		{
			const char *tid = json_string_value(json_object_get(ev, "turn_id"));
			if (tid && !strcmp(tid, t2) && !strcmp(json_string_value(json_object_get(ev, "type")), "final"))
				have = 1;
		}
		json_decref(doc);
	}
	cc_http_release(&h);
	cr_assert(have, "the second reply never arrived");

	cr_assert_eq(ws_open(&w, sid, NULL, err, sizeof(err)), 0, "%s", err);
	char resume[64];
	snprintf(resume, sizeof(resume), "{\"type\":\"resume\",\"after\":%llu}", (unsigned long long)seen);
	cr_assert_eq(wsc_send(&w, resume, strlen(resume)), 0);
	uint64_t s2 = seen;
	json_t *f2 = until_final(&w, NULL, &s2);
	cr_assert_str_eq(json_string_value(json_object_get(f2, "turn_id")), t2,
			 "the first event after the resume point is not the missed reply");
	json_decref(f2);
	/* A third message: the next frames are its own, nothing replayed twice. */
	const char *msg = "{\"type\":\"message\",\"text\":\"thanks\"}";
	cr_assert_eq(wsc_send(&w, msg, strlen(msg)), 0);
	uint64_t s3 = s2;
	json_t *f3 = until_final(&w, NULL, &s3);
	const char *t3 = json_string_value(json_object_get(f3, "turn_id"));
	cr_assert_str_neq(t3, t1);
	cr_assert_str_neq(t3, t2);
	json_decref(f3);
	wsc_close(&w);
	free(t1);
	free(t2);
}

#define MANY 1000

Test(ws, thousand_sessions_each_get_exactly_their_own_replies, .timeout = 600)
{
	static char sids[MANY][64];
	static struct wsc conns[MANY];
	static char *turns[MANY];
	static int finals[MANY];
	char err[512];
	struct rlimit rl;
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < MANY + 256 && rl.rlim_max > rl.rlim_cur) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	cr_assert_geq(rl.rlim_cur, MANY + 256, "open-file limit %lu is too low for %d sockets",
		      (unsigned long)rl.rlim_cur, MANY);
	for (int i = 0; i < MANY; i++)
		it_open_session(sids[i], sizeof(sids[i]));
	for (int i = 0; i < MANY; i++) {
		cr_assert_eq(ws_open(&conns[i], sids[i], NULL, err, sizeof(err)), 0, "connection %d: %s", i, err);
		wsc_nonblock(&conns[i]);
	}
	struct hmap *owner = hmap_new(MANY * 2); /* turn_id -> index + 1 */
	for (int i = 0; i < MANY; i++) {
		char text[64];
		snprintf(text, sizeof(text), "hello, this is customer %d", i);
		turns[i] = post(sids[i], text);
		hmap_put(owner, turns[i], (void *)(intptr_t)(i + 1));
	}
	struct pollfd *pfd = xcalloc(MANY, sizeof(*pfd));
	int done = 0, foreign = 0, dupes = 0;
	int64_t deadline = util_mono_us() + 540 * 1000000LL;
	while (done < MANY && util_mono_us() < deadline) {
		for (int i = 0; i < MANY; i++)
			pfd[i] = (struct pollfd){ conns[i].fd, POLLIN, 0 };
		if (poll(pfd, MANY, 1000) <= 0)
			continue;
		for (int i = 0; i < MANY; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			int n = wsc_fill(&conns[i]);
			cr_assert(n != 0 && n != -1, "connection %d closed early", i);
			char *m;
			while ((m = wsc_next(&conns[i]))) {
				json_t *ev = json_loads(m, 0, NULL);
				free(m);
				const char *tid = json_string_value(json_object_get(ev, "turn_id"));
				intptr_t who = tid ? (intptr_t)hmap_get(owner, tid) : 0;
				if (who != i + 1)
					foreign++;
				else if (!strcmp(json_string_value(json_object_get(ev, "type")), "final") &&
					 finals[i]++ == 0)
					done++;
				else if (!strcmp(json_string_value(json_object_get(ev, "type")), "final"))
					dupes++;
				json_decref(ev);
			}
		}
	}
	fprintf(stderr, "%d sessions: %d answered, %d foreign events, %d duplicate finals\n", MANY, done, foreign, dupes);
	cr_assert_eq(foreign, 0, "%d events reached a session they do not belong to", foreign);
	cr_assert_eq(dupes, 0);
	cr_assert_eq(done, MANY, "%d sessions never got their reply", MANY - done);
	for (int i = 0; i < MANY; i++) {
		wsc_close(&conns[i]);
		free(turns[i]);
	}
	free(pfd);
	hmap_free(owner);
}

#define IDLE_S 2
#define PING_S 1

/* A guest session's token on gateway g (heap); stops g and fails the test
 * when none can be opened. */
static char *session_token(struct it_gateway *g)
{
	struct cc_http h;
	char sid[64], err[512];
	long status = 0;
	json_t *resp = NULL;
	cr_assert_eq(cc_http_init(&h, g->url), 0);
	int rc = cc_open_session(&h, NULL, NULL, sid, sizeof(sid), &status, &resp, err, sizeof(err));
	json_decref(resp);
	char *tok = rc == 0 && status == 201 ? cc_token(&h, sid) : NULL;
	cc_http_release(&h);
	if (!tok) {
		it_stop_gateway(g);
		cr_assert_fail("no session on the gateway at %s (%ld): %s", g->url, status, err);
	}
	return tok;
}

Test(ws, silent_client_is_pinged_then_closed_when_idle, .timeout = 240)
{
	char idle[32], ping[32];
	snprintf(idle, sizeof(idle), "GATEWAY_WS_IDLE_S=%d", IDLE_S);
	snprintf(ping, sizeof(ping), "GATEWAY_WS_PING_S=%d", PING_S);
	const char *env[] = { idle, ping, NULL };
	struct it_gateway g;
	it_spawn_gateway(&g, 20073 + (int)it_env_long("PORT_OFFSET", 0), 3, env);
	char err[512];
	char *tok = session_token(&g);
	char *path = xasprintf("/v1/ws?token=%s", tok);
	int rc;
	struct wsc w, talker;
	rc = wsc_connect(&w, "127.0.0.1", g.ws_port, path, NULL, 10000, err, sizeof(err));
	if (rc == 0 && (rc = wsc_connect(&talker, "127.0.0.1", g.ws_port, path, NULL, 10000, err, sizeof(err))))
		wsc_close(&w);
	free(path);
	free(tok);
	if (rc) {
		it_stop_gateway(&g);
		cr_assert_fail("%s", err);
	}
	/* Of two sockets on the session, one (talker) sends a frame (answered
	 * with an error frame) far more often than the idle time, for three
	 * idle times; the other (w) says nothing and only answers pings
	 * (wsc_recv does). Error frames go to the talker alone and the
	 * session has no events, so w expects no text frame. */
	int64_t start = util_mono_us(), talk_until = start + 3LL * IDLE_S * 1000000,
		limit = start + 15LL * IDLE_S * 1000000;
	int64_t closed_us = 0;
	int answers = 0, texts = 0;
	while (!talker.closed && util_mono_us() < talk_until) {
		const char bad[] = "{\"type\":\"nonsense\"}";
		if (wsc_send(&talker, bad, sizeof(bad) - 1))
			break;
		char *m = wsc_recv(&talker, 5000);
		answers += m != NULL;
		free(m);
		if (w.closed) { /* the pause between frames */
			util_sleep_ms(IDLE_S * 1000 / 8, NULL);
			continue;
		}
		m = wsc_recv(&w, IDLE_S * 1000 / 8);
		texts += m != NULL;
		free(m);
		if (w.closed)
			closed_us = util_mono_us();
	}
	int talker_closed = talker.closed;
	wsc_close(&talker);
	while (!w.closed && util_mono_us() < limit) {
		char *m = wsc_recv(&w, 500);
		texts += m != NULL;
		free(m);
		if (w.closed)
			closed_us = util_mono_us();
	}
	double open_s = (double)((closed_us ? closed_us : util_mono_us()) - start) / 1e6;
	int closed = w.closed;
	long pings = w.pings;
	wsc_close(&w);
	it_stop_gateway(&g);
	fprintf(stderr, "silent WebSocket: %ld pings, closed after %.1f s (idle limit %d s); the talking one got %d answers\n",
		pings, open_s, IDLE_S, answers);
	cr_assert_not(talker_closed, "the WebSocket that kept talking was closed (after %d answers)", answers);
	cr_assert_gt(answers, 0, "the talking WebSocket got no answers");
	cr_assert_eq(texts, 0, "a silent client with no events got %d text frames", texts);
	cr_assert(closed, "the connection was still open after %d s (GATEWAY_WS_IDLE_S=%d)", 15 * IDLE_S, IDLE_S);
	cr_assert_geq(pings, 1, "no ping arrived on a silent connection (GATEWAY_WS_PING_S=%d)", PING_S);
}

/* SIGTERM stops a gateway whose WebSocket loop runs on the given event
 * library: its open socket is closed and the process exits by itself with
 * status 0, well before the stack's 10 s SIGKILL. Before that, a frame goes
 * through the loop both ways (the reply is queued by another thread and
 * sent after the loop is woken). */
static void stops_on_sigterm(const char *event_lib, int first_port, int ordinal)
{
	const char *env[] = { event_lib, NULL };
	struct it_gateway g;
	it_spawn_gateway(&g, first_port + (int)it_env_long("PORT_OFFSET", 0), ordinal, env);
	char err[512];
	char *tok = session_token(&g);
	char *path = xasprintf("/v1/ws?token=%s", tok);
	int rc;
	struct wsc w;
	rc = wsc_connect(&w, "127.0.0.1", g.ws_port, path, NULL, 10000, err, sizeof(err));
	free(path);
	free(tok);
	if (rc) {
		it_stop_gateway(&g);
		cr_assert_fail("%s: %s", event_lib, err);
	}
	const char bad[] = "{\"type\":\"nonsense\"}";
	char *answer = wsc_send(&w, bad, sizeof(bad) - 1) == 0 ? wsc_recv(&w, 10000) : NULL;
	int exit_status = it_stop_gateway_within(&g, 10000);
	char *after = wsc_recv(&w, 5000);
	int closed = w.closed;
	free(after);
	wsc_close(&w);
	cr_assert_not_null(answer, "%s: no error frame for a bad frame", event_lib);
	cr_assert(strstr(answer, "\"bad_request\""), "%s: unexpected answer %s", event_lib, answer);
	free(answer);
	cr_assert_eq(exit_status, 0,
		     "%s: the gateway did not exit by itself with status 0 within 10 s of SIGTERM (got %d; -1: "
		     "killed)",
		     event_lib, exit_status);
	cr_assert(closed, "%s: the WebSocket was still open after the gateway stopped", event_lib);
}

Test(ws, sigterm_stops_the_gateway_on_libev, .timeout = 240)
{
	stops_on_sigterm("GATEWAY_WS_LIBEV=1", 20080, 4);
}

Test(ws, sigterm_stops_the_gateway_on_poll, .timeout = 240)
{
	stops_on_sigterm("GATEWAY_WS_LIBEV=0", 20083, 5);
}
