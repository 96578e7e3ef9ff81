/* guardrail: citations must name retrieved passages; personal data is
 * redacted from drafts and from streams; stream chunks pass. */
#include <criterion/criterion.h>

#include "services/guardrail/redact.h"
#include <string.h>

#include "../../testutil.h"
#include "services/guardrail/guardrail.h"

static struct guard g;

static void setup(void)
{
	guard_init(&g, "chat.checked.v1", "chat.stream.v1", 4, 300);
}

static void teardown(void)
{
	guard_release(&g);
	tu_leak_check();
}

TestSuite(guard, .init = setup, .fini = teardown);

static Chat__Turn *drafted(const char *cite)
{
	Chat__Turn *t = tu_turn("s1", "t1", "what is the return policy?");
	tu_add_passage(t, "kb:returns#1", "Returns");
	tu_add_passage(t, "kb:returns#2", "Refunds");
	Chat__Draft *d = turn_draft(t);
	d->action = CHAT__ACTION__ACTION_ANSWER;
	turn_set_str(&d->text, "You can return items within 30 days.");
	if (cite)
		tu_add_citation(d, cite);
	return t;
}

static int check(Chat__Turn *t, struct turn_dests *d, char *err, size_t errlen)
{
	d->n = 0;
	return guard_process(&g, t, d, err, errlen);
}

Test(guard, grounded_citation_passes_unchanged)
{
	Chat__Turn *t = drafted("kb:returns#2");
	struct turn_dests d;
	char err[128] = "";
	cr_assert_eq(check(t, &d, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_ANSWER);
	cr_assert_str_eq(t->draft->text, "You can return items within 30 days.");
	cr_assert_not_null(t->verdict, "a verdict is always filled");
	cr_assert_eq(t->verdict->n_flags, 0);
	cr_assert_eq(t->verdict->downgraded, 0);
	cr_assert_eq(d.n, 1);
	cr_assert_str_eq(d.topic[0], "chat.checked.v1");
	turn_free(t);
}

Test(guard, no_citation_passes)
{
	Chat__Turn *t = drafted(NULL);
	struct turn_dests d;
	char err[128] = "";
	cr_assert_eq(check(t, &d, err, sizeof(err)), 0);
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_ANSWER);
	cr_assert_eq(t->verdict->n_flags, 0);
	turn_free(t);
}

Test(guard, ungrounded_citation_becomes_hand_off)
{
	Chat__Turn *t = drafted("kb:returns#1");
	tu_add_citation(t->draft, "kb:made-up#9");
	struct turn_dests d;
	char err[128] = "";
	cr_assert_eq(check(t, &d, err, sizeof(err)), 0);
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_HAND_OFF);
	cr_assert_str_neq(t->draft->text, "You can return items within 30 days.", "the unsupported answer is replaced");
	cr_assert_neq(t->draft->reason[0], '\0');
	cr_assert_eq(t->verdict->n_flags, 1, "flagged once however many bad citations");
	cr_assert_str_eq(t->verdict->flags[0], "ungrounded_citation");
	cr_assert_eq(t->verdict->downgraded, 1);
	cr_assert_eq(d.n, 1);
	cr_assert_str_eq(d.topic[0], "chat.checked.v1");
	turn_free(t);
}

Test(guard, citation_without_any_passage)
{
	Chat__Turn *t = tu_turn("s1", "t1", "x");
	Chat__Draft *dr = turn_draft(t);
	dr->action = CHAT__ACTION__ACTION_ANSWER;
	tu_add_citation(dr, "p1");
	struct turn_dests d;
	char err[128] = "";
	cr_assert_eq(check(t, &d, err, sizeof(err)), 0);
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_HAND_OFF);
	cr_assert_eq(t->verdict->downgraded, 1);
	turn_free(t);
}

Test(guard, no_draft_is_poison)
{
	Chat__Turn *t = tu_turn("s1", "t1", "x");
	struct turn_dests d;
	char err[128] = "";
	cr_assert_eq(check(t, &d, err, sizeof(err)), KSTAGE_EPOISON);
	cr_assert_eq(d.n, 0);
	cr_assert_neq(err[0], '\0');
	turn_free(t);
}

static void *pack_chunk(const Chat__StreamChunk *c, size_t *len)
{
	*len = chat__stream_chunk__get_packed_size(c);
	void *buf = xmalloc(*len);
	chat__stream_chunk__pack(c, buf);
	return buf;
}


/* Run a passing LLM draft of turn tid through the drafted handler, so its
 * stream is released; returns how many outputs it produced. */
static int verdict(const char *tid, const char *cite, struct kstage_emit *em)
{
	Chat__Turn *t = tu_turn("sess-1", tid, "what is the return policy?");
	t->reply_partition = 2;
	tu_add_passage(t, "kb:returns#1", "Returns");
	Chat__Draft *d = turn_draft(t);
	d->action = CHAT__ACTION__ACTION_ANSWER;
	turn_set_str(&d->text, "You can return items within 30 days.");
	turn_set_str(&d->producer, "llm-caller/offline");
	tu_add_citation(d, cite);
	void *buf;
	struct kstage_msg m = tu_turn_msg("chat.drafted.v1", t, &buf);
	char err[128] = "";
	cr_assert_eq(guard_drafted(&g, &m, em, err, sizeof(err)), KSTAGE_OK, "%s", err);
	free(buf);
	turn_free(t);
	return em->n;
}

static void release(const char *tid)
{
	struct kstage_emit em = { .n = 0 };
	cr_assert_eq(verdict(tid, "kb:returns#1", &em), 1, "only the checked turn: no chunk arrived yet");
	kstage_emit_reset(&em);
}

Test(guard, stream_forwards_chunk_to_reply_partition)
{
	release("turn-5");
	Chat__StreamChunk c = CHAT__STREAM_CHUNK__INIT;
	c.session_id = (char *)"sess-5";
	c.turn_id = (char *)"turn-5";
	c.seq = 3;
	c.delta = (char *)"partial ";
	c.reply_partition = 7;
	c.final = 1;
	size_t len;
	void *buf = pack_chunk(&c, &len);
	struct kstage_msg m = tu_msg("chat.stream.raw.v1", buf, len);
	struct kstage_emit em = { .n = 0 };
	char err[128] = "";
	cr_assert_eq(guard_stream(&g, &m, &em, err, sizeof(err)), KSTAGE_OK, "%s", err);
	cr_assert_eq(em.n, 1);
	cr_assert_str_eq(em.outs[0].topic, "chat.stream.v1");
	cr_assert_eq(em.outs[0].partition, 7);
	cr_assert_eq(em.outs[0].key_len, 6);
	cr_assert(memcmp(em.outs[0].key, "sess-5", 6) == 0);
	Chat__StreamChunk *o = chat__stream_chunk__unpack(NULL, em.outs[0].len, em.outs[0].value);
	cr_assert_not_null(o);
	cr_assert_str_eq(o->turn_id, "turn-5");
	cr_assert_eq(o->seq, 3);
	cr_assert_str_eq(o->delta, "partial ");
	chat__stream_chunk__free_unpacked(o, NULL);
	kstage_emit_reset(&em);
	free(buf);
}

Test(guard, stream_rejects_garbage_and_bad_ids)
{
	struct kstage_emit em = { .n = 0 };
	char err[128] = "";
	struct kstage_msg m = tu_msg("chat.stream.raw.v1", TU_GARBAGE, sizeof(TU_GARBAGE));
	cr_assert_eq(guard_stream(&g, &m, &em, err, sizeof(err)), KSTAGE_EPOISON);
	cr_assert_eq(em.n, 0);

	Chat__StreamChunk c = CHAT__STREAM_CHUNK__INIT;
	c.session_id = (char *)"bad session";
	c.turn_id = (char *)"t";
	size_t len;
	void *buf = pack_chunk(&c, &len);
	m = tu_msg("chat.stream.raw.v1", buf, len);
	cr_assert_eq(guard_stream(&g, &m, &em, err, sizeof(err)), KSTAGE_EPOISON, "invalid session_id");
	cr_assert_eq(em.n, 0);
	free(buf);

	c.session_id = (char *)"s";
	c.turn_id = (char *)"";
	buf = pack_chunk(&c, &len);
	m = tu_msg("chat.stream.raw.v1", buf, len);
	cr_assert_eq(guard_stream(&g, &m, &em, err, sizeof(err)), KSTAGE_EPOISON, "missing turn_id");
	cr_assert_eq(em.n, 0);
	free(buf);
}

Test(guard, draft_pii_is_redacted_and_kinds_recorded)
{
	Chat__Turn *t = drafted(NULL);
	turn_set_str(&t->draft->text, "Call 012-345 6789 or mail ali@example.com; IC 900101-14-5678, order 900101145678.");
	struct turn_dests d;
	char err[128] = "";
	cr_assert_eq(check(t, &d, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(t->draft->text, "Call [PHONE] or mail [EMAIL]; IC [NRIC], order 900101145678.");
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_ANSWER);
	cr_assert_eq(t->verdict->n_redactions, 3);
	cr_assert_str_eq(t->verdict->redactions[0], "nric");
	cr_assert_str_eq(t->verdict->redactions[1], "phone");
	cr_assert_str_eq(t->verdict->redactions[2], "email");
	cr_assert_eq(t->verdict->n_flags, 1);
	cr_assert_str_eq(t->verdict->flags[0], "pii_redacted");
	cr_assert_eq(t->verdict->downgraded, 0);
	cr_assert_eq(d.n, 1);
	turn_free(t);
}

Test(guard, clean_draft_has_no_redactions)
{
	Chat__Turn *t = drafted(NULL);
	turn_set_str(&t->draft->text, "Order 900101145678 costs RM 1,299.00 and ships on 12/03/2024.");
	struct turn_dests d;
	char err[128] = "";
	cr_assert_eq(check(t, &d, err, sizeof(err)), 0);
	cr_assert_str_eq(t->draft->text, "Order 900101145678 costs RM 1,299.00 and ships on 12/03/2024.");
	cr_assert_eq(t->verdict->n_redactions, 0);
	cr_assert_eq(t->verdict->n_flags, 0);
	turn_free(t);
}

/* Feed one chunk of turn tid and return the delta it produced (heap). */
static char *feed(const char *tid, uint32_t seq, const char *delta, int final)
{
	Chat__StreamChunk c = CHAT__STREAM_CHUNK__INIT;
	c.session_id = (char *)"sess-1";
	c.turn_id = (char *)tid;
	c.seq = seq;
	c.delta = (char *)delta;
	c.final = final;
	c.reply_partition = 2;
	size_t len;
	void *buf = pack_chunk(&c, &len);
	struct kstage_msg m = tu_msg("chat.stream.raw.v1", buf, len);
	struct kstage_emit em = { .n = 0 };
	char err[128] = "";
	cr_assert_eq(guard_stream(&g, &m, &em, err, sizeof(err)), KSTAGE_OK, "%s", err);
	cr_assert_eq(em.n, 1, "one chunk out per chunk in");
	Chat__StreamChunk *o = chat__stream_chunk__unpack(NULL, em.outs[0].len, em.outs[0].value);
	cr_assert_not_null(o);
	cr_assert_str_eq(o->turn_id, tid);
	cr_assert_eq(o->seq, seq);
	cr_assert_eq(o->final, final);
	cr_assert_eq(em.outs[0].partition, 2);
	char *out = xstrdup(o->delta);
	chat__stream_chunk__free_unpacked(o, NULL);
	kstage_emit_reset(&em);
	free(buf);
	return out;
}

Test(guard, stream_redacts_across_chunks_of_a_turn)
{
	release("turn-a");
	release("turn-b");
	char *a = feed("turn-a", 1, "Your IC 900101-14", 0);
	char *b = feed("turn-b", 1, "Hello ", 0); /* another turn in between */
	char *c = feed("turn-a", 2, "-5678 and phone 012-3", 0);
	char *d = feed("turn-a", 3, "45 6789 noted.", 1);
	cr_assert_eq(guard_streams_open(&g), 1, "turn-a finished, turn-b still open");
	char *all = xasprintf("%s%s%s", a, c, d);
	cr_assert_str_eq(all, "Your IC [NRIC] and phone [PHONE] noted.");
	cr_assert_str_eq(a, "Your IC ", "nothing of the number leaves early");
	cr_assert_str_eq(b, "Hello ");
	char *e = feed("turn-b", 2, "a@b.co", 1);
	cr_assert_str_eq(e, "[EMAIL]");
	cr_assert_eq(guard_streams_open(&g), 0);
	free(a);
	free(b);
	free(c);
	free(d);
	free(e);
	free(all);
}

Test(guard, stream_state_is_bounded)
{
	/* capacity 4 (setup): a fifth open turn pushes out the least recent,
	 * whose held text is flushed (redacted) rather than lost */
	char tid[16];
	for (int i = 0; i < 4; i++) {
		snprintf(tid, sizeof(tid), "t%d", i);
		release(tid);
		char *o = feed(tid, 1, "call 012-345 6789", 0);
		cr_assert_str_eq(o, "call ");
		free(o);
	}
	cr_assert_eq(guard_streams_open(&g), 4);
	Chat__StreamChunk c = CHAT__STREAM_CHUNK__INIT;
	c.session_id = (char *)"sess-1";
	c.turn_id = (char *)"t4";
	c.delta = (char *)"hi";
	size_t len;
	void *buf = pack_chunk(&c, &len);
	struct kstage_msg m = tu_msg("chat.stream.raw.v1", buf, len);
	struct kstage_emit em = { .n = 0 };
	char err[128] = "";
	cr_assert_eq(guard_stream(&g, &m, &em, err, sizeof(err)), KSTAGE_OK, "%s", err);
	cr_assert_eq(guard_streams_open(&g), 4);
	cr_assert_eq(em.n, 1, "the evicted turn's rest; this chunk is held until its verdict");
	Chat__StreamChunk *o = chat__stream_chunk__unpack(NULL, em.outs[0].len, em.outs[0].value);
	cr_assert_str_eq(o->turn_id, "t0");
	cr_assert_str_eq(o->delta, "[PHONE]");
	chat__stream_chunk__free_unpacked(o, NULL);
	kstage_emit_reset(&em);
	free(buf);
}

/* The stores' published phone numbers in a tool answer reach the customer;
 * the same number in LLM-written text, and any other kind anywhere, does not. */
Test(guardrail, tool_answers_keep_store_phones_but_nothing_else_slips)
{
	Chat__Draft tool = CHAT__DRAFT__INIT, llm = CHAT__DRAFT__INIT;
	tool.producer = (char *)"orchestrator/tool";
	llm.producer = (char *)"llm-caller/offline";
	cr_assert_eq(guard_redact_mask(&tool) & REDACT_MASK(REDACT_PHONE), 0u);
	cr_assert_neq(guard_redact_mask(&tool) & REDACT_MASK(REDACT_NRIC), 0u);
	cr_assert_neq(guard_redact_mask(&tool) & REDACT_MASK(REDACT_EMAIL), 0u);
	cr_assert_eq(guard_redact_mask(&llm), (unsigned)REDACT_ALL);
	char *kept = redact_text("Call Mid Valley on 03-2282 1234.", guard_redact_mask(&tool), NULL);
	cr_assert_str_eq(kept, "Call Mid Valley on 03-2282 1234.");
	char *gone = redact_text("Call Mid Valley on 03-2282 1234.", guard_redact_mask(&llm), NULL);
	cr_assert_str_eq(gone, "Call Mid Valley on [PHONE].");
	free(kept);
	free(gone);
}
