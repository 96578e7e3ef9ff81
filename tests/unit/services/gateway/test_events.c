/* gateway events: stream chunks as delta events, the listener that feeds
 * the sockets (seq order, nothing twice), replay and restore. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "../../testutil.h"
#include "services/gateway/feedback.h"
#include "services/gateway/gateway.h"

TestSuite(events, .fini = tu_leak_check);

static const struct gw_conf conf = {
	.tenant_id = "tenant-1",
	.ordinal = 0,
	.events_per_session = 8,
	.max_sessions = 1000,
	.session_ttl_s = 60,
	.dedupe_capacity = 1000,
};

/* What the listener saw. */
struct seen {
	int n;
	uint64_t seq[64];
	char sid[64][32];
	char type[64][8];
	char text[64][32];
};

static void on_event(void *arg, const char *sid, uint64_t seq, const char *json)
{
	struct seen *s = arg;
	cr_assert_lt(s->n, 64);
	json_t *j = json_loads(json, 0, NULL);
	cr_assert_not_null(j, "event is not JSON: %s", json);
	cr_assert_eq((uint64_t)json_integer_value(json_object_get(j, "seq")), seq, "the event carries its seq");
	s->seq[s->n] = seq;
	snprintf(s->sid[s->n], sizeof(s->sid[0]), "%s", sid);
	snprintf(s->type[s->n], sizeof(s->type[0]), "%s", json_string_value(json_object_get(j, "type")));
	const char *t = json_string_value(json_object_get(j, "text"));
	snprintf(s->text[s->n], sizeof(s->text[0]), "%s", t ? t : "");
	s->n++;
	json_decref(j);
}

static int chunk(struct gw *gw, const char *sid, const char *turn_id, uint32_t seq, const char *delta)
{
	Chat__StreamChunk c = CHAT__STREAM_CHUNK__INIT;
	c.session_id = (char *)sid;
	c.turn_id = (char *)turn_id;
	c.tenant_id = (char *)"tenant-1";
	c.seq = seq;
	c.delta = (char *)delta;
	return gw_deliver_chunk(gw, &c);
}

static int final(struct gw *gw, const char *sid, const char *turn_id)
{
	Chat__Turn *t = tu_turn(sid, turn_id, "question");
	t->rendered = xmalloc(sizeof(*t->rendered));
	chat__rendered__init(t->rendered);
	char *body = xasprintf("{\"type\":\"final\",\"turn_id\":\"%s\",\"text\":\"Hello there\"}", turn_id);
	t->rendered->payload.data = (uint8_t *)body;
	t->rendered->payload.len = strlen(body);
	int rc = gw_deliver(gw, t);
	turn_free(t);
	return rc;
}

Test(events, a_stream_counted_from_seq_zero_keeps_its_second_chunk)
{
	struct gw *gw = gw_new(&conf);
	struct seen s = { 0 };
	gw_set_listener(gw, on_event, &s);
	gw_touch_session(gw, "s-1");
	cr_assert_eq(chunk(gw, "s-1", "t-1", 0, "First."), 1);
	cr_assert_eq(chunk(gw, "s-1", "t-1", 1, " Second."), 1, "seq 1 follows seq 0");
	cr_assert_eq(chunk(gw, "s-1", "t-1", 0, "First."), 0, "a replayed seq 0 is dropped");
	cr_assert_eq(s.n, 2);
	gw_set_listener(gw, NULL, NULL);
	gw_free(gw);
}

static void collect(void *arg, const char *sid, uint64_t seq, const char *json)
{
	on_event(arg, sid, seq, json);
}

Test(events, chunks_become_deltas_then_final_in_seq_order)
{
	struct gw *gw = gw_new(&conf);
	struct seen s = { 0 };
	gw_set_listener(gw, on_event, &s);
	gw_touch_session(gw, "s-1");
	cr_assert_eq(chunk(gw, "s-1", "t-1", 1, "Hello"), 1);
	cr_assert_eq(chunk(gw, "s-1", "t-1", 2, " there"), 1);
	cr_assert_eq(chunk(gw, "s-1", "t-1", 2, " there"), 0, "a replayed chunk is dropped");
	cr_assert_eq(chunk(gw, "s-1", "t-1", 1, "Hello"), 0, "an older chunk is dropped");
	cr_assert_eq(final(gw, "s-1", "t-1"), 1);
	cr_assert_eq(chunk(gw, "s-1", "t-1", 3, " late"), 0, "a chunk after the final is dropped");
	cr_assert_eq(final(gw, "s-1", "t-1"), 0, "a replayed final is dropped");
	cr_assert_eq(s.n, 3);
	cr_assert_str_eq(s.type[0], "delta");
	cr_assert_str_eq(s.type[1], "delta");
	cr_assert_str_eq(s.type[2], "final");
	char joined[64];
	snprintf(joined, sizeof(joined), "%s%s", s.text[0], s.text[1]);
	cr_assert_str_eq(joined, "Hello there", "the deltas concatenate to the streamed answer");
	for (int i = 0; i < s.n; i++)
		cr_assert_eq(s.seq[i], (uint64_t)i + 1);
	gw_set_listener(gw, NULL, NULL);
	gw_free(gw);
}

Test(events, chunks_of_unknown_sessions_and_bad_chunks)
{
	struct gw *gw = gw_new(&conf);
	cr_assert_eq(chunk(gw, "nobody", "t-1", 1, "x"), 0, "no session here: not ours to keep");
	cr_assert_eq(chunk(gw, "bad id", "t-1", 1, "x"), -1);
	cr_assert_eq(chunk(gw, "s-1", "", 1, "x"), -1);
	gw_touch_session(gw, "s-1");
	cr_assert_eq(chunk(gw, "s-1", "t-1", 1, ""), 0, "an empty final marker adds nothing");
	gw_free(gw);
}

Test(events, final_drops_the_turns_deltas_from_the_backlog)
{
	struct gw *gw = gw_new(&conf);
	gw_touch_session(gw, "s-1");
	chunk(gw, "s-1", "t-1", 1, "a");
	chunk(gw, "s-1", "t-1", 2, "b");
	chunk(gw, "s-1", "t-2", 1, "other turn");
	final(gw, "s-1", "t-1");
	struct seen s = { 0 };
	cr_assert_eq(gw_replay(gw, "s-1", 0, collect, &s), 0);
	cr_assert_eq(s.n, 2, "the other turn's delta and the final remain");
	cr_assert_str_eq(s.type[0], "delta");
	cr_assert_eq(s.seq[0], 3);
	cr_assert_str_eq(s.type[1], "final");
	cr_assert_eq(s.seq[1], 4);
	struct seen after = { 0 };
	cr_assert_eq(gw_replay(gw, "s-1", 3, collect, &after), 0);
	cr_assert_eq(after.n, 1);
	cr_assert_eq(after.seq[0], 4);
	cr_assert_eq(gw_replay(gw, "nobody", 0, collect, &after), -1);
	gw_free(gw);
}

Test(events, listener_keeps_sessions_apart)
{
	struct gw *gw = gw_new(&conf);
	struct seen s = { 0 };
	gw_set_listener(gw, on_event, &s);
	gw_touch_session(gw, "s-a");
	gw_touch_session(gw, "s-b");
	chunk(gw, "s-a", "t-a", 1, "x");
	chunk(gw, "s-b", "t-b", 1, "y");
	final(gw, "s-b", "t-b");
	final(gw, "s-a", "t-a");
	cr_assert_eq(s.n, 4);
	cr_assert_str_eq(s.sid[0], "s-a");
	cr_assert_eq(s.seq[0], 1);
	cr_assert_str_eq(s.sid[1], "s-b");
	cr_assert_eq(s.seq[1], 1, "each session counts its own seq");
	cr_assert_str_eq(s.sid[3], "s-a");
	cr_assert_eq(s.seq[3], 2);
	gw_set_listener(gw, NULL, NULL);
	gw_free(gw);
}

Test(events, restore_rebuilds_a_session_without_duplicates)
{
	struct gw *gw = gw_new(&conf);
	const char *logged[] = {
		"{\"type\":\"delta\",\"seq\":1,\"turn_id\":\"t-1\",\"text\":\"Hel\"}",
		"{\"type\":\"final\",\"seq\":2,\"turn_id\":\"t-1\",\"text\":\"Hello\"}",
		"not json",
		"{\"type\":\"final\",\"seq\":5,\"turn_id\":\"t-2\",\"text\":\"Bye\"}",
	};
	gw_session_restore(gw, "s-1", logged, 4);
	cr_assert_eq(gw_session_alive(gw, "s-1"), 0);
	struct seen s = { 0 };
	cr_assert_eq(gw_replay(gw, "s-1", 1, collect, &s), 0);
	cr_assert_eq(s.n, 2);
	cr_assert_eq(s.seq[0], 2);
	cr_assert_eq(s.seq[1], 5);
	cr_assert_eq(final(gw, "s-1", "t-2"), 0, "a restored reply is not delivered again");
	cr_assert_eq(final(gw, "s-1", "t-3"), 1);
	struct seen n = { 0 };
	gw_replay(gw, "s-1", 5, collect, &n);
	cr_assert_eq(n.n, 1);
	cr_assert_eq(n.seq[0], 6, "new events continue after the restored seq");
	gw_free(gw);
}

Test(events, feedback_body_rules)
{
	struct gw_feedback fb;
	char err[256];
	const char *ok = "{\"session_id\":\"s-1\",\"turn_id\":\"t-1\",\"rating\":\"up\",\"comment\":\"great\"}";
	cr_assert_eq(gw_parse_feedback(ok, strlen(ok), &fb, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(fb.rating, 1);
	Chat__Feedback *m = gw_build_feedback("tenant-1", &fb, 42);
	cr_assert_str_eq(m->session_id, "s-1");
	cr_assert_str_eq(m->comment, "great");
	cr_assert_eq(m->at_us, 42);
	gw_feedback_free(m);
	gw_feedback_release(&fb);
	const char *bad[] = {
		"{\"session_id\":\"s-1\",\"turn_id\":\"t-1\",\"rating\":\"meh\"}",
		"{\"session_id\":\"s 1\",\"turn_id\":\"t-1\",\"rating\":\"up\"}",
		"{\"session_id\":\"s-1\",\"rating\":\"down\"}",
		"{\"session_id\":\"s-1\",\"turn_id\":\"t-1\",\"rating\":\"up\",\"comment\":5}",
		"{\"session_id\":",
		"[]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(gw_parse_feedback(bad[i], strlen(bad[i]), &fb, err, sizeof(err)), -1, "accepted %s", bad[i]);
		cr_assert_neq(err[0], '\0');
	}
}
