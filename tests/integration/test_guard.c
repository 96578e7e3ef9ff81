/* The guardrail end to end: live stock and price from POS/ERP events, an
 * ungrounded answer handed off before any of its text is shown, and an
 * NRIC typed by the customer kept out of replies, transcripts and logs. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "kstage.h"
#include "proto/chat.pb-c.h"
#include "turn.h"
#include "util.h"

static const char *reply_text(const json_t *ev)
{
	const char *text = json_string_value(json_object_get(ev, "text"));
	cr_assert_not_null(text, "the reply has no text");
	return text;
}

/* Produce one message and wait for its delivery. */
static void produce(const char *topic, const char *key, const void *buf, size_t len)
{
	char errstr[512];
	rd_kafka_conf_t *conf = kstage_base_conf(it_brokers(), errstr, sizeof(errstr));
	cr_assert_not_null(conf, "%s", errstr);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	cr_assert_not_null(rk, "%s", errstr);
	rd_kafka_resp_err_t err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)),
						    RD_KAFKA_V_VALUE((void *)buf, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
						    RD_KAFKA_V_END);
	cr_assert_eq(err, RD_KAFKA_RESP_ERR_NO_ERROR, "produce to %s: %s", topic, rd_kafka_err2str(err));
	cr_assert_eq(rd_kafka_flush(rk, 15000), RD_KAFKA_RESP_ERR_NO_ERROR, "no delivery to %s", topic);
	rd_kafka_destroy(rk);
}

/* Write one raw stream chunk of (sid, turn_id) for the guardrail, as the
 * llm-caller does; chunk's ids and tenant are filled here. */
static void produce_chunk(Chat__StreamChunk *c, const char *sid, const char *turn_id)
{
	c->tenant_id = (char *)"demo";
	c->session_id = (char *)sid;
	c->turn_id = (char *)turn_id;
	size_t len = chat__stream_chunk__get_packed_size(c);
	void *buf = xmalloc(len);
	chat__stream_chunk__pack(c, buf);
	produce("chat.stream.raw.v1", sid, buf, len);
	free(buf);
}

static void publish_stock(const char *sku, const char *store, int qty)
{
	char id[37];
	util_uuid(id);
	Chat__InventoryEvent ev = CHAT__INVENTORY_EVENT__INIT;
	ev.tenant_id = (char *)"demo";
	ev.sku = (char *)sku;
	ev.store_id = (char *)store;
	ev.quantity = qty;
	ev.event_time_us = util_now_us();
	ev.source = (char *)"it-pos";
	ev.event_id = id;
	size_t len = chat__inventory_event__get_packed_size(&ev);
	void *buf = xmalloc(len);
	chat__inventory_event__pack(&ev, buf);
	produce("pos.inventory.v1", sku, buf, len);
	free(buf);
}

static void publish_price(const char *sku, long long sen)
{
	char id[37];
	util_uuid(id);
	Chat__PriceEvent ev = CHAT__PRICE_EVENT__INIT;
	ev.tenant_id = (char *)"demo";
	ev.sku = (char *)sku;
	ev.price_sen = sen;
	ev.currency = (char *)"MYR";
	ev.event_time_us = util_now_us();
	ev.source = (char *)"it-erp";
	ev.event_id = id;
	size_t len = chat__price_event__get_packed_size(&ev);
	void *buf = xmalloc(len);
	chat__price_event__pack(&ev, buf);
	produce("erp.prices.v1", sku, buf, len);
	free(buf);
}

/* Wait (generously) until the database holds the event, then one second
 * more: the question is asked at least a second after the event. */
static void wait_applied(const char *sql, const char *param)
{
	char *v = it_pg_wait(sql, param, 30000);
	cr_assert_not_null(v, "the event was not applied: %s [%s]", sql, param);
	free(v);
	util_sleep_ms(1000, NULL);
}

static void format_rm(long long sen, char *out, size_t len)
{
	char digits[32], grouped[48];
	snprintf(digits, sizeof(digits), "%lld", sen / 100);
	size_t n = strlen(digits), j = 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			grouped[j++] = ',';
		grouped[j++] = digits[i];
	}
	grouped[j] = '\0';
	snprintf(out, len, "RM %s.%02lld", grouped, sen % 100);
}

Test(guard, stock_question_reflects_a_pos_event_published_a_second_earlier, .timeout = 120)
{
	static const int qtys[] = { 2, 1 };
	for (int i = 0; i < 2; i++) {
		publish_stock("HL-BED-0003", "KL-MVM", qtys[i]);
		char sql[160];
		snprintf(sql, sizeof(sql),
			 "SELECT 1 FROM inventory WHERE tenant_id = 'demo' AND store_id = 'KL-MVM' AND sku = $1 AND qty = %d",
			 qtys[i]);
		wait_applied(sql, "HL-BED-0003");
		char sid[64], want[32];
		it_open_session(sid, sizeof(sid));
		json_t *ev = it_ask(sid, "Is HL-BED-0003 in stock at Mid Valley?");
		const char *text = reply_text(ev);
		snprintf(want, sizeof(want), "only %d left", qtys[i]);
		cr_assert(strstr(text, want), "stock %d from the POS event missing: %s", qtys[i], text);
		json_decref(ev);
	}
	publish_stock("HL-BED-0003", "KL-MVM", 12); /* back to plenty */
}

Test(guard, price_question_reflects_a_price_event, .timeout = 120)
{
	char *old = it_pg_wait("SELECT price_sen::text FROM prices WHERE tenant_id = 'demo' AND sku = $1", "HL-SOFA-0019",
			       5000);
	cr_assert_not_null(old, "demo data missing: no price for HL-SOFA-0019");
	long long before = strtoll(old, NULL, 10);
	long long now = before + 100 * (1 + (util_now_us() / 1000) % 97); /* a price it never had in the seed */
	publish_price("HL-SOFA-0019", now);
	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT 1 FROM prices WHERE tenant_id = 'demo' AND sku = $1 AND price_sen = %lld", now);
	wait_applied(sql, "HL-SOFA-0019");
	char sid[64], rm[64];
	it_open_session(sid, sizeof(sid));
	json_t *ev = it_ask(sid, "How much is HL-SOFA-0019 and is it in stock at Mid Valley?");
	const char *text = reply_text(ev);
	format_rm(now, rm, sizeof(rm));
	cr_assert(strstr(text, rm), "new price %s missing: %s", rm, text);
	json_t *cards = json_object_get(ev, "cards");
	cr_assert(json_array_size(cards) >= 1, "no product card");
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(cards, 0), "price_sen")), now);
	json_decref(ev);
	publish_price("HL-SOFA-0019", before);
	free(old);
}

/* The event for turn_id in the session's replies after seq, waiting up to
 * timeout_ms; NULL when none came. */
static json_t *event_for(const char *sid, const char *turn_id, uint64_t after, int timeout_ms)
{
	struct cc_http h;
	char errstr[256];
	cr_assert_eq(cc_http_init(&h, it_gateway_url()), 0);
	json_t *found = NULL;
	int64_t deadline = util_mono_us() + (int64_t)timeout_ms * 1000;
	while (!found && util_mono_us() < deadline) {
		long status = 0;
		json_t *resp = NULL;
		cr_assert_eq(cc_get_events(&h, sid, after, 2000, &status, &resp, errstr, sizeof(errstr)), 0, "%s", errstr);
		cr_assert_eq(status, 200);
		json_t *evs = json_object_get(resp, "events");
		for (size_t i = 0; i < json_array_size(evs) && !found; i++) {
			json_t *e = json_array_get(evs, i);
			const char *t = json_string_value(json_object_get(e, "turn_id"));
			if (t && !strcmp(t, turn_id))
				found = json_incref(e);
		}
		json_t *next = json_object_get(resp, "next");
		if (json_is_integer(next))
			after = (uint64_t)json_integer_value(next);
		json_decref(resp);
	}
	cc_http_release(&h);
	return found;
}

Test(guard, ungrounded_citation_is_handed_off_before_any_text_is_shown, .timeout = 120)
{
	char sid[64], turn_id[37];
	it_open_session(sid, sizeof(sid));
	util_uuid(turn_id);
	json_t *hello = it_ask(sid, "hello");
	uint64_t after = (uint64_t)json_integer_value(json_object_get(hello, "seq"));
	json_decref(hello);

	rd_kafka_t *tail = it_tail("chat.stream.v1");
	static const char secret[] = "Zebra-striped sofas are free this week";
	/* the streamed answer first, as a provider streams it ... */
	static const char *const deltas[] = { "Zebra-striped sofas ", "are free this week", "" };
	for (uint32_t i = 0; i < 3; i++) {
		Chat__StreamChunk c = CHAT__STREAM_CHUNK__INIT;
		c.seq = i + 1;
		c.delta = (char *)deltas[i];
		c.final = i == 2;
		produce_chunk(&c, sid, turn_id);
	}
	/* ... then its draft, citing a passage that was not retrieved */
	Chat__Turn *turn = turn_new();
	turn_set_str(&turn->tenant_id, "demo");
	turn_set_str(&turn->session_id, sid);
	turn_set_str(&turn->turn_id, turn_id);
	turn_set_str(&turn->text, "Are zebra-striped sofas free?");
	turn_set_str(&turn->language, "en");
	turn->channel = CHAT__CHANNEL__CHANNEL_WEB;
	turn->received_at_us = util_now_us();
	turn->route = CHAT__ROUTE__ROUTE_RAG;
	turn->passages = xcalloc(1, sizeof(*turn->passages));
	turn->passages[0] = xmalloc(sizeof(Chat__Passage));
	chat__passage__init(turn->passages[0]);
	turn_set_str(&turn->passages[0]->id, "kb:returns.md#0");
	turn_set_str(&turn->passages[0]->title, "Returns");
	turn->n_passages = 1;
	Chat__Draft *d = turn_draft(turn);
	d->action = CHAT__ACTION__ACTION_ANSWER;
	turn_set_str(&d->text, secret);
	turn_set_str(&d->producer, "llm-caller/it");
	d->citations = xcalloc(1, sizeof(*d->citations));
	d->citations[0] = xstrdup("kb:promotions.md#9");
	d->n_citations = 1;
	size_t len;
	void *buf = turn_encode(turn, &len);
	produce("chat.drafted.v1", sid, buf, len);
	free(buf);
	turn_free(turn);

	json_t *ev = event_for(sid, turn_id, after, 30000);
	cr_assert_not_null(ev, "no reply for the ungrounded turn");
	cr_assert_str_eq(json_string_value(json_object_get(ev, "action")), "hand_off");
	cr_assert(!strstr(reply_text(ev), "Zebra"), "the unsupported answer reached the customer: %s", reply_text(ev));
	json_decref(ev);

	/* the stream the customer would see: ends, and shows none of it */
	int final = 0;
	while (!final) {
		rd_kafka_message_t *rkm = it_poll_key(tail, sid, 30000);
		cr_assert_not_null(rkm, "the cut stream never ended");
		Chat__StreamChunk *c = chat__stream_chunk__unpack(NULL, rkm->len, rkm->payload);
		cr_assert_not_null(c);
		if (!strcmp(c->turn_id, turn_id)) {
			cr_assert_str_eq(c->delta, "", "streamed text of an ungrounded answer: \"%s\"", c->delta);
			final = c->final;
		}
		chat__stream_chunk__free_unpacked(c, NULL);
		rd_kafka_message_destroy(rkm);
	}
	rd_kafka_consumer_close(tail);
	rd_kafka_destroy(tail);
}

/* A cited stream is released word by word before its draft exists: the
 * first chunk names the citation, the turn's passages and the customer's
 * message, and the guardrail checks those at once. */
Test(guard, a_cited_answer_streams_before_its_draft_is_written, .timeout = 120)
{
	char sid[64], turn_id[37];
	it_open_session(sid, sizeof(sid));
	util_uuid(turn_id);
	rd_kafka_t *tail = it_tail("chat.stream.v1");
	static char *ids[] = { (char *)"kb:returns.md#0", (char *)"kb:faq.md#3" };
	static const char *const deltas[] = { "Unused items can ", "come back within thirty days", " of delivery." };
	for (uint32_t i = 0; i < 2; i++) {
		Chat__StreamChunk c = CHAT__STREAM_CHUNK__INIT;
		c.seq = i;
		c.delta = (char *)deltas[i];
		if (i == 0) {
			c.citation_id = ids[0];
			c.passage_ids = ids;
			c.n_passage_ids = 2;
			c.input_text = (char *)"can I send back a lamp?";
		}
		produce_chunk(&c, sid, turn_id);
	}
	/* no draft yet, no final chunk: the words come anyway */
	char seen[256] = "";
	while (!strstr(seen, "thirty")) {
		rd_kafka_message_t *rkm = it_poll_key(tail, sid, 30000);
		cr_assert_not_null(rkm, "nothing streamed before the draft; seen so far: \"%s\"", seen);
		Chat__StreamChunk *c = chat__stream_chunk__unpack(NULL, rkm->len, rkm->payload);
		cr_assert_not_null(c);
		if (!strcmp(c->turn_id, turn_id)) {
			cr_assert_eq(c->final, 0);
			cr_assert_eq(c->n_passage_ids, 0, "the check's inputs stay in the guardrail");
			strncat(seen, c->delta, sizeof(seen) - strlen(seen) - 1);
		}
		chat__stream_chunk__free_unpacked(c, NULL);
		rd_kafka_message_destroy(rkm);
	}
	cr_assert(!strncmp(seen, "Unused items can come back within thirty", 40), "streamed \"%s\"", seen);
	rd_kafka_consumer_close(tail);
	rd_kafka_destroy(tail);
}

/* 1 when the file at path contains needle. */
static int file_has(const char *path, const char *needle)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	size_t n = strlen(needle), cap = 1 << 16;
	char *buf = xmalloc(cap + n);
	size_t keep = 0, got;
	int hit = 0;
	while (!hit && (got = fread(buf + keep, 1, cap, f)) > 0) {
		size_t have = keep + got;
		hit = memmem(buf, have, needle, n) != NULL;
		keep = have < n ? have : n - 1;
		memmove(buf, buf + have - keep, keep);
	}
	free(buf);
	fclose(f);
	return hit;
}

Test(guard, nric_typed_by_the_customer_never_appears_in_a_reply_transcript_or_log, .timeout = 120)
{
	/* a valid NRIC (date and place code), unique to this run */
	char dashed[16], plain[16];
	unsigned tail4 = (unsigned)(util_now_us() % 10000);
	snprintf(dashed, sizeof(dashed), "880214-10-%04u", tail4);
	snprintf(plain, sizeof(plain), "88021410%04u", tail4);
	char sid[64], msg[160];
	it_open_session(sid, sizeof(sid));
	snprintf(msg, sizeof(msg), "Hi, my IC is %s. Can I return a sofa I bought two weeks ago?", dashed);
	json_t *ev = it_ask(sid, msg);
	const char *text = reply_text(ev);
	cr_assert(!strstr(text, dashed) && !strstr(text, plain), "NRIC in the reply: %s", text);
	char *dumped = json_dumps(ev, 0);
	cr_assert(!strstr(dumped, dashed) && !strstr(dumped, "14-10-") && !strstr(dumped, plain), "NRIC in the event");
	free(dumped);
	json_decref(ev);

	/* both sides of the exchange are in the transcript, neither with it */
	char *n = it_pg_wait("SELECT count(*)::text FROM transcripts WHERE session_id = $1 HAVING count(*) >= 2", sid,
			     30000);
	cr_assert_not_null(n, "the exchange was not written to the transcript");
	free(n);
	char *leak = it_pg_wait("SELECT text FROM transcripts WHERE session_id = $1 AND strpos(text, '880214') > 0", sid,
				500);
	cr_assert_null(leak, "NRIC in the transcript: %s", leak ? leak : "");
	char *kept = it_pg_wait("SELECT text FROM transcripts WHERE session_id = $1 AND role = 'customer' AND "
				"strpos(text, '[NRIC]') > 0",
				sid, 500);
	cr_assert_not_null(kept, "the customer's message is stored without its placeholder");
	free(kept);

	/* and in no log of the stack */
	const char *run = getenv("RUN_DIR");
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/logs", run && *run ? run : ".run");
	DIR *dp = opendir(dir);
	cr_assert_not_null(dp, "no log directory %s", dir);
	int files = 0;
	struct dirent *de;
	while ((de = readdir(dp))) {
		if (de->d_name[0] == '.')
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		files++;
		cr_assert(!file_has(path, dashed) && !file_has(path, plain), "NRIC in the log %s", path);
	}
	closedir(dp);
	cr_assert(files > 0, "no log files in %s", dir);
}

/* The questions customers ask most are not attacks, however they are
 * worded: "your", "policy", "now" and "company" are not what the injection
 * check looks for. */
Test(guard, everyday_policy_questions_are_answered_not_declined, .timeout = 120)
{
	static const char *const qs[] = { "What's your return policy?", "what is your return policy",
					  "What is your exchange policy?", "Apakah polisi pemulangan anda?",
					  "buy now pay later options", "which courier company is delivering my parcel" };
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		char sid[64];
		it_open_session(sid, sizeof(sid));
		json_t *ev = it_ask(sid, qs[i]);
		cr_assert_not_null(ev, "no reply to \"%s\"", qs[i]);
		const char *action = json_string_value(json_object_get(ev, "action"));
		cr_assert(action && strcmp(action, "decline"), "\"%s\" was declined", qs[i]);
		json_decref(ev);
	}
}
