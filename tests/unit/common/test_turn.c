/* turn: the Turn envelope helpers and the turn_fn -> kstage adapter. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../testutil.h"
#include "turn.h"

TestSuite(turn, .fini = tu_leak_check);

Test(turn, encode_decode_round_trip)
{
	Chat__Turn *t = tu_turn("sess-1", "turn-1", "where is my order?");
	t->reply_partition = 5;
	t->channel = CHAT__CHANNEL__CHANNEL_WEB;
	turn_set_str(&t->intent, "order_status");
	tu_add_history(t, "customer", "hi");
	tu_add_passage(t, "p1", "Returns");
	Chat__Draft *d = turn_draft(t);
	turn_set_str(&d->text, "Here you go");
	tu_add_citation(d, "p1");
	turn_stamp(t, "a");

	size_t len;
	void *buf = turn_encode(t, &len);
	cr_assert_gt(len, 0);
	char err[256] = "";
	Chat__Turn *u = turn_decode(buf, len, err, sizeof(err));
	cr_assert_not_null(u, "%s", err);
	cr_assert_str_eq(u->session_id, "sess-1");
	cr_assert_str_eq(u->turn_id, "turn-1");
	cr_assert_str_eq(u->tenant_id, "tenant-1");
	cr_assert_str_eq(u->text, "where is my order?");
	cr_assert_str_eq(u->intent, "order_status");
	cr_assert_eq(u->reply_partition, 5);
	cr_assert_eq(u->channel, CHAT__CHANNEL__CHANNEL_WEB);
	cr_assert_eq(u->n_history, 1);
	cr_assert_str_eq(u->history[0]->text, "hi");
	cr_assert_eq(u->n_passages, 1);
	cr_assert_str_eq(u->passages[0]->title, "Returns");
	cr_assert_not_null(u->draft);
	cr_assert_str_eq(u->draft->text, "Here you go");
	cr_assert_eq(u->draft->n_citations, 1);
	cr_assert_str_eq(u->draft->citations[0], "p1");
	cr_assert_eq(u->n_stage_times, 1);
	cr_assert_str_eq(u->stage_times[0]->stage, "a");
	cr_assert_eq(u->stage_times[0]->at_us, t->stage_times[0]->at_us);
	free(buf);
	turn_free(u);
	turn_free(t);
}

static void assert_rejected(const Chat__Turn *t, const char *what, const char *errpart)
{
	size_t len;
	void *buf = turn_encode(t, &len);
	char err[256] = "";
	Chat__Turn *u = turn_decode(buf, len, err, sizeof(err));
	cr_assert_null(u, "%s must be rejected", what);
	cr_assert(strstr(err, errpart) != NULL, "%s: errstr \"%s\" lacks \"%s\"", what, err, errpart);
	free(buf);
}

Test(turn, decode_rejects_garbage)
{
	char err[256] = "";
	cr_assert_null(turn_decode(TU_GARBAGE, sizeof(TU_GARBAGE), err, sizeof(err)));
	cr_assert(strstr(err, "cannot decode") != NULL, "%s", err);
	err[0] = '\0';
	cr_assert_null(turn_decode("", 0, err, sizeof(err)), "empty bytes: no ids");
	cr_assert_neq(err[0], '\0');
}

Test(turn, decode_rejects_bad_ids)
{
	Chat__Turn *t = tu_turn("sess-1", "", "hi");
	assert_rejected(t, "a Turn without turn_id", "turn_id");
	turn_set_str(&t->turn_id, "turn-1");
	turn_set_str(&t->session_id, "sess 1");
	assert_rejected(t, "a session_id with a space", "session_id");
	turn_set_str(&t->session_id, "");
	assert_rejected(t, "an empty session_id", "session_id");
	turn_set_str(&t->session_id, "s");
	turn_set_str(&t->turn_id, "../etc/passwd");
	assert_rejected(t, "a turn_id with slashes", "turn_id");
	char long_id[66];
	memset(long_id, 'a', 65);
	long_id[65] = '\0';
	turn_set_str(&t->turn_id, long_id);
	assert_rejected(t, "a 65-character turn_id", "turn_id");
	turn_free(t);
}

Test(turn, decode_text_limit)
{
	char *text = xmalloc(TURN_MAX_TEXT + 2);
	memset(text, 'a', TURN_MAX_TEXT + 1);
	text[TURN_MAX_TEXT + 1] = '\0';
	Chat__Turn *t = tu_turn("s", "t", text);
	assert_rejected(t, "text over TURN_MAX_TEXT", "8192");

	text[TURN_MAX_TEXT] = '\0';
	turn_set_str(&t->text, text);
	size_t len;
	void *buf = turn_encode(t, &len);
	char err[256] = "";
	Chat__Turn *u = turn_decode(buf, len, err, sizeof(err));
	cr_assert_not_null(u, "exactly TURN_MAX_TEXT bytes is accepted: %s", err);
	turn_free(u);
	free(buf);
	free(text);
	turn_free(t);
}

Test(turn, set_str_replaces)
{
	Chat__Turn *t = turn_new();
	cr_assert_str_eq(t->intent, "", "fresh turn has empty strings");
	turn_set_str(&t->intent, "greeting");
	cr_assert_str_eq(t->intent, "greeting");
	turn_set_str(&t->intent, "human_agent"); /* frees "greeting" (LSan checks) */
	cr_assert_str_eq(t->intent, "human_agent");
	turn_set_str(&t->intent, NULL);
	cr_assert_str_eq(t->intent, "", "NULL sets empty");
	char src[] = "copied";
	turn_set_str(&t->language, src);
	src[0] = 'X';
	cr_assert_str_eq(t->language, "copied", "the value is copied");
	turn_free(t);
}

Test(turn, stamp_appends_in_order)
{
	Chat__Turn *t = turn_new();
	int64_t before = util_now_us();
	turn_stamp(t, "gateway");
	turn_stamp(t, "intent-classifier");
	turn_stamp(t, "orchestrator");
	cr_assert_eq(t->n_stage_times, 3);
	cr_assert_str_eq(t->stage_times[0]->stage, "gateway");
	cr_assert_str_eq(t->stage_times[1]->stage, "intent-classifier");
	cr_assert_str_eq(t->stage_times[2]->stage, "orchestrator");
	cr_assert_geq(t->stage_times[0]->at_us, before);
	cr_assert_leq(t->stage_times[0]->at_us, t->stage_times[1]->at_us);
	cr_assert_leq(t->stage_times[1]->at_us, t->stage_times[2]->at_us);
	cr_assert_leq(t->stage_times[2]->at_us, util_now_us());
	turn_free(t);
}

Test(turn, draft_created_once)
{
	Chat__Turn *t = turn_new();
	cr_assert_null(t->draft);
	Chat__Draft *d = turn_draft(t);
	cr_assert_not_null(d);
	cr_assert_eq(turn_draft(t), d);
	cr_assert_str_eq(d->text, "");
	turn_free(t);
}

Test(turn, route_caps_at_max_dests)
{
	struct turn_dests d = { .n = 0 };
	for (int i = 0; i < TURN_MAX_DESTS + 2; i++)
		turn_route(&d, "t", i);
	cr_assert_eq(d.n, TURN_MAX_DESTS);
	cr_assert_eq(d.partition[TURN_MAX_DESTS - 1], TURN_MAX_DESTS - 1);
}

/* A fake stage: tags the turn and routes to ndest destinations. */
struct fake_stage {
	int calls;
	int ndest;
	int rc;
};

static int fake_fn(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen)
{
	struct fake_stage *f = ctx;
	f->calls++;
	if (f->rc) {
		snprintf(errstr, errlen, "fake failure");
		return f->rc;
	}
	turn_set_str(&turn->intent, "faked");
	static const char *const topics[] = { "dest.a", "dest.b", "dest.c" };
	for (int i = 0; i < f->ndest; i++)
		turn_route(d, topics[i], i == 1 ? 7 : RD_KAFKA_PARTITION_UA);
	return 0;
}

Test(turn, stage_handle_stamps_and_emits_per_destination)
{
	struct fake_stage f = { 0, 2, 0 };
	struct turn_stage ts = { "fake-stage", fake_fn, &f };
	Chat__Turn *t = tu_turn("sess-42", "turn-9", "hello");
	turn_stamp(t, "gateway");
	void *buf;
	struct kstage_msg m = tu_turn_msg("in.v1", t, &buf);
	struct kstage_emit em = { .n = 0 };
	char err[256] = "";
	cr_assert_eq(turn_stage_handle(&ts, &m, &em, err, sizeof(err)), KSTAGE_OK, "%s", err);
	cr_assert_eq(f.calls, 1);
	cr_assert_eq(em.n, 2, "one output per destination");
	cr_assert_str_eq(em.outs[0].topic, "dest.a");
	cr_assert_eq(em.outs[0].partition, RD_KAFKA_PARTITION_UA);
	cr_assert_str_eq(em.outs[1].topic, "dest.b");
	cr_assert_eq(em.outs[1].partition, 7);
	for (int i = 0; i < em.n; i++) {
		cr_assert_eq(em.outs[i].key_len, strlen("sess-42"));
		cr_assert(memcmp(em.outs[i].key, "sess-42", em.outs[i].key_len) == 0, "keyed by session_id");
		Chat__Turn *o = tu_out_turn(&em, i);
		cr_assert_str_eq(o->intent, "faked", "the stage's changes are emitted");
		cr_assert_eq(o->n_stage_times, 2);
		cr_assert_str_eq(o->stage_times[0]->stage, "gateway");
		cr_assert_str_eq(o->stage_times[1]->stage, "fake-stage", "stamped with the stage name");
		turn_free(o);
	}
	kstage_emit_reset(&em);
	free(buf);
	turn_free(t);
}

Test(turn, stage_handle_poisons_garbage)
{
	struct fake_stage f = { 0, 1, 0 };
	struct turn_stage ts = { "fake-stage", fake_fn, &f };
	struct kstage_msg m = tu_msg("in.v1", TU_GARBAGE, sizeof(TU_GARBAGE));
	struct kstage_emit em = { .n = 0 };
	char err[256] = "";
	cr_assert_eq(turn_stage_handle(&ts, &m, &em, err, sizeof(err)), KSTAGE_EPOISON);
	cr_assert_eq(em.n, 0, "nothing emitted");
	cr_assert_eq(f.calls, 0, "the stage is not called");
	cr_assert_neq(err[0], '\0');
}

Test(turn, stage_handle_passes_failure_through)
{
	struct fake_stage f = { 0, 1, KSTAGE_ERETRY };
	struct turn_stage ts = { "fake-stage", fake_fn, &f };
	Chat__Turn *t = tu_turn("s", "t", "x");
	void *buf;
	struct kstage_msg m = tu_turn_msg("in.v1", t, &buf);
	struct kstage_emit em = { .n = 0 };
	char err[256] = "";
	cr_assert_eq(turn_stage_handle(&ts, &m, &em, err, sizeof(err)), KSTAGE_ERETRY);
	cr_assert_eq(em.n, 0);
	cr_assert_str_eq(err, "fake failure");
	free(buf);
	turn_free(t);
}

Test(turn, stage_handle_no_destination_emits_nothing)
{
	struct fake_stage f = { 0, 0, 0 };
	struct turn_stage ts = { "fake-stage", fake_fn, &f };
	Chat__Turn *t = tu_turn("s", "t", "x");
	void *buf;
	struct kstage_msg m = tu_turn_msg("in.v1", t, &buf);
	struct kstage_emit em = { .n = 0 };
	char err[256] = "";
	cr_assert_eq(turn_stage_handle(&ts, &m, &em, err, sizeof(err)), KSTAGE_OK);
	cr_assert_eq(em.n, 0);
	free(buf);
	turn_free(t);
}

/* Found by the turn fuzz target: a non-minimal tag for field 0 unpacks as an
 * unknown field, and its re-encoding would not decode at the next stage. */
Test(turn, decode_rejects_field_zero)
{
	Chat__Turn *t = tu_turn("sess-1", "turn-1", "hi");
	size_t n = 0;
	uint8_t *ok = turn_encode(t, &n);
	uint8_t *buf = malloc(n + 3);
	memcpy(buf, ok, n);
	buf[n] = 0x82; /* tag varint 2, non-minimal: field 0, length-delimited */
	buf[n + 1] = 0x00;
	buf[n + 2] = 0x00; /* length 0 */
	char err[256] = "";
	cr_assert_null(turn_decode(buf, n + 3, err, sizeof(err)));
	cr_assert(strstr(err, "field numbered 0") != NULL, "%s", err);
	Chat__Turn *back = turn_decode(ok, n, err, sizeof(err));
	cr_assert_not_null(back, "the same Turn without it decodes: %s", err);
	turn_free(back);
	free(buf);
	free(ok);
	turn_free(t);
}
