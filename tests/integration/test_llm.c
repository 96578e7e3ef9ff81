/* LLM caller against the running stack (default offline provider): a
 * question on the returns policy streams its answer as chunks on
 * chat.stream.raw.v1, and the turn on chat.drafted.v1 carries the same text
 * with a citation of a returns-policy passage retrieved for that turn. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "turn.h"
#include "util.h"

/* Append n bytes of s to the NUL-terminated text in dst (cap bytes). */
static void text_append(char *dst, size_t cap, const char *s, size_t n)
{
	size_t len = strlen(dst);
	cr_assert_lt(len + n, cap, "collected text too long");
	memcpy(dst + len, s, n);
	dst[len + n] = '\0';
}

static void ingest_demo(void)
{
	FILE *p = popen("build/bin/chatctl kb ingest deploy/demo/kb 2>&1", "r");
	cr_assert_not_null(p);
	char buf[4096];
	size_t n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = '\0';
	cr_assert_eq(pclose(p), 0, "chatctl kb ingest failed:\n%s", buf);
	char *v = it_pg_wait("SELECT count(*) FROM kb_chunks WHERE doc_id = $1 HAVING count(*) > 0",
			     "en/returns-refunds.md", 30000);
	cr_assert_not_null(v, "the returns policy was never indexed");
	free(v);
}

Test(llm, returns_question_streams_a_cited_answer, .timeout = 120)
{
	ingest_demo();
	char sid[64], err[256];
	it_open_session(sid, sizeof(sid));
	rd_kafka_t *raw = it_tail("chat.stream.raw.v1");
	rd_kafka_t *drafted = it_tail("chat.drafted.v1");

	json_t *reply = it_ask(sid, "How many days do I have to return an item?");
	json_decref(reply);

	/* The draft first: it names the turn whose chunks we then read. */
	Chat__Turn *turn = NULL;
	int64_t drafted_ts = 0;
	rd_kafka_message_t *rkm = it_poll_key(drafted, sid, 30000);
	if (rkm) {
		turn = turn_decode(rkm->payload, rkm->len, err, sizeof(err));
		drafted_ts = rd_kafka_message_timestamp(rkm, NULL);
		rd_kafka_message_destroy(rkm);
	}
	cr_assert_not_null(turn, "no draft for the session on chat.drafted.v1");
	cr_assert_not_null(turn->draft);
	cr_assert_eq(turn->draft->action, CHAT__ACTION__ACTION_ANSWER, "action %d, text: %s", turn->draft->action,
		     turn->draft->text);
	cr_assert_str_eq(turn->draft->producer, "llm-caller/offline");
	cr_assert_eq(turn->draft->n_citations, 1);
	const char *cite = turn->draft->citations[0];
	/* The returns policy or the FAQ's returns entry: either is the retailer's
	 * own word, as long as the cited passage states the period. */
	cr_assert(!strncmp(cite, "en/returns-refunds.md#", 22) || !strncmp(cite, "en/faq.md#", 10),
		  "cites %s, neither the returns policy nor the FAQ", cite);
	const Chat__Passage *cited = NULL;
	for (size_t i = 0; i < turn->n_passages; i++)
		if (!strcmp(turn->passages[i]->id, cite))
			cited = turn->passages[i];
	cr_assert_not_null(cited, "the citation %s is not among the turn's passages", cite);
	cr_assert(strstr(cited->text, "30 days"), "the cited passage %s does not state the return period", cite);
	cr_assert(strstr(turn->draft->text, "30 days"), "the answer misses the return period: %s", turn->draft->text);

	/* The chunks: in order, non-empty, ending with one final, adding up to
	 * the draft's text, and written before the draft. */
	char text[8192] = "";
	int chunks = 0, final = 0;
	int64_t last_ts = 0;
	while (!final) {
		rkm = it_poll_key(raw, sid, 30000);
		cr_assert_not_null(rkm, "stream ended after %d chunks without a final one", chunks);
		Chat__StreamChunk *c = chat__stream_chunk__unpack(NULL, rkm->len, rkm->payload);
		cr_assert_not_null(c);
		last_ts = rd_kafka_message_timestamp(rkm, NULL);
		rd_kafka_message_destroy(rkm);
		if (strcmp(c->turn_id, turn->turn_id)) {
			chat__stream_chunk__free_unpacked(c, NULL);
			continue;
		}
		cr_assert_eq(c->seq, (uint32_t)chunks, "chunk %d has seq %u", chunks, c->seq);
		final = c->final;
		cr_assert(final || c->delta[0], "an empty non-final chunk");
		text_append(text, sizeof(text), c->delta, strlen(c->delta));
		chunks++;
		chat__stream_chunk__free_unpacked(c, NULL);
	}
	/* The offline provider has its answer whole at once: it streams it as
	 * one chunk that is also the final one (real providers' token streams
	 * are covered by the provider tests and make bench-first-token). */
	cr_assert_eq(chunks, 1, "the answer came in %d chunk(s), not one final chunk with the text", chunks);
	cr_assert_str_eq(text, turn->draft->text);
	cr_assert_leq(last_ts, drafted_ts, "the final chunk was written after the draft");

	turn_free(turn);
	rd_kafka_consumer_close(raw);
	rd_kafka_destroy(raw);
	rd_kafka_consumer_close(drafted);
	rd_kafka_destroy(drafted);
}
