/* llm-caller: the accumulator and tools, the OpenAI and Bedrock stream
 * events, the offline provider, the prompt budget, the breaker, and the
 * stage with retries and the degraded mode (providers faked in-process). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "../../testutil.h"
#include "eventstream.h"
#include "services/llm-caller/llm-caller.h"
#include "services/llm-caller/sse.h"

TestSuite(llm, .fini = tu_leak_check);

static void add_passage(Chat__Turn *t, const char *id, const char *title, const char *text)
{
	tu_add_passage(t, id, title);
	free(t->passages[t->n_passages - 1]->text);
	t->passages[t->n_passages - 1]->text = xstrdup(text);
}

/* Append n bytes of s to the NUL-terminated text in dst (cap bytes). */
static void text_append(char *dst, size_t cap, const char *s, size_t n)
{
	size_t len = strlen(dst);
	cr_assert_lt(len + n, cap, "collected text too long");
	memcpy(dst + len, s, n);
	dst[len + n] = '\0';
}

/* Collected chunks. */
struct seen {
	char text[4096];
	int n;
};

static void on_chunk(void *arg, const char *s, size_t n)
{
	struct seen *sn = arg;
	text_append(sn->text, sizeof(sn->text), s, n);
	sn->n++;
}

/* ---- OpenAI stream: tool-call deltas split across chunks ---------------- */

static const char OAI_STREAM[] =
	"data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
	"\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,"
	"\"id\":\"call_abc\",\"type\":\"function\",\"function\":{\"name\":\"answer\",\"arguments\":\"\"}}]},"
	"\"finish_reason\":null}]}\n\n"
	"data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
	"\"function\":{\"arguments\":\"{\\\"citation_id\\\": \\\"p-2\"}}]},\"finish_reason\":null}]}\n\n"
	"data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
	"\"function\":{\"arguments\":\"\\\", \\\"te\"}}]},\"finish_reason\":null}]}\n\n"
	"data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
	"\"function\":{\"arguments\":\"xt\\\": \\\"Returns are free in \\\\\\\"any\\\\\\\" store\"}}]},"
	"\"finish_reason\":null}]}\n\n"
	"data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
	"\"function\":{\"arguments\":\" \\\\u00e9t\\\\u00e9.\\\"}\"}}]},\"finish_reason\":null}]}\n\n"
	"data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
	"data: {\"id\":\"chatcmpl-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":30,"
	"\"total_tokens\":150}}\n\n"
	"data: [DONE]\n\n";

struct oai_feed {
	struct llm_acc *acc;
	int done;
	char err[256];
};

static int oai_cb(void *arg, const char *event, const char *data, size_t len)
{
	struct oai_feed *f = arg;
	(void)event;
	return llm_openai_event(f->acc, data, len, &f->done, f->err);
}

static Chat__Turn *returns_turn(void)
{
	Chat__Turn *t = tu_turn("s1", "t1", "Can I return a sofa?");
	add_passage(t, "p-1", "Warranty", "Our warranty covers defects for one year.");
	add_passage(t, "p-2", "Returns", "Returns are free in any store.");
	return t;
}

Test(llm, openai_tool_call_reassembled_at_every_split)
{
	size_t len = strlen(OAI_STREAM);
	for (size_t cut = 0; cut <= len; cut += 1) {
		struct seen sn = { "", 0 };
		struct llm_acc acc;
		llm_acc_init(&acc, on_chunk, &sn);
		struct sse_parser p;
		struct oai_feed f = { &acc, 0, "" };
		char err[256];
		sse_init(&p);
		cr_assert_eq(sse_feed(&p, OAI_STREAM, cut, oai_cb, &f, err), 0, "%s", f.err);
		cr_assert_eq(sse_feed(&p, OAI_STREAM + cut, len - cut, oai_cb, &f, err), 0, "%s", f.err);
		sse_release(&p);
		cr_assert(f.done);
		cr_assert_eq(acc.ncalls, 1);
		cr_assert_str_eq(acc.calls[0].name, "answer");
		cr_assert_str_eq(acc.calls[0].id, "call_abc");
		cr_assert_str_eq(acc.calls[0].args,
				 "{\"citation_id\": \"p-2\", \"text\": \"Returns are free in \\\"any\\\" store \\u00e9t\\u00e9.\"}");
		cr_assert_str_eq(acc.stop_reason, "tool_calls");
		cr_assert_eq(acc.input_tokens, 120);
		cr_assert_eq(acc.output_tokens, 30);
		cr_assert_str_eq(sn.text, "Returns are free in \"any\" store \xc3\xa9t\xc3\xa9.",
				 "the answer's text streams out of the argument fragments");
		cr_assert_gt(sn.n, 1, "in more than one chunk");
		if (cut == len / 2) {
			Chat__Turn *t = returns_turn();
			cr_assert_eq(llm_apply_tool(&acc, t, "llm-caller/openai", err), 0, "%s", err);
			cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_ANSWER);
			cr_assert_str_eq(t->draft->citations[0], "p-2");
			turn_free(t);
		}
		llm_acc_release(&acc);
	}
}

Test(llm, answer_text_streams_from_arguments_cut_anywhere)
{
	/* Escapes, a surrogate pair and raw UTF-8, the arguments fed in pieces
	 * of every size from 1 byte: the text streamed is the text decoded,
	 * whole characters at a time, and what follows the closing quote
	 * adds nothing. */
	static const char args[] = "{\"citation_id\":\"p-2\",\"text\":\"Caf\\u00e9 \\\"ok\\\" \xe2\x82\xac"
				   "5 \\ud83d\\ude00 \\\\n end\",\"x\":\"more\"}";
	static const char want[] = "Caf\xc3\xa9 \"ok\" \xe2\x82\xac"
				   "5 \xf0\x9f\x98\x80 \\n end";
	size_t len = strlen(args);
	for (size_t step = 1; step <= len; step++) {
		struct seen sn = { "", 0 };
		struct llm_acc acc;
		llm_acc_init(&acc, on_chunk, &sn);
		cr_assert_eq(llm_acc_tool_start(&acc, 0, "call-1", "answer"), 0);
		for (size_t i = 0; i < len; i += step) {
			cr_assert_eq(llm_acc_tool_args(&acc, 0, args + i, len - i < step ? len - i : step), 0);
			cr_assert_eq(util_utf8_prefix(sn.text, strlen(sn.text)), strlen(sn.text), "no character is cut (step %zu at %zu)", step, i);
		}
		cr_assert_str_eq(sn.text, want, "step %zu", step);
		char *whole = llm_json_partial_string(acc.calls[0].args, acc.calls[0].args_len, "text");
		cr_assert_str_eq(whole, want);
		free(whole);
		llm_acc_release(&acc);
	}
}

Test(llm, openai_garbage_and_error_events)
{
	struct llm_acc acc;
	char err[256] = "";
	int done = 0;
	llm_acc_init(&acc, NULL, NULL);
	cr_assert_eq(llm_openai_event(&acc, "<html>", 6, &done, err), LLM_EPROTOCOL);
	cr_assert_eq(llm_openai_event(&acc, "{\"choices\":3}", 13, &done, err), LLM_EPROTOCOL);
	const char *e = "{\"error\":{\"message\":\"overloaded\"}}";
	cr_assert_eq(llm_openai_event(&acc, e, strlen(e), &done, err), LLM_ETRANSPORT);
	cr_assert(strstr(err, "overloaded"), "%s", err);
	/* Plain content (a model ignoring the tools) is text, not a tool call. */
	const char *c = "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi there\"}}]}";
	cr_assert_eq(llm_openai_event(&acc, c, strlen(c), &done, err), 0);
	cr_assert_str_eq(acc.text, "Hi there");
	Chat__Turn *t = returns_turn();
	cr_assert_eq(llm_apply_tool(&acc, t, "x", err), -1);
	cr_assert(strstr(err, "without a tool call"), "%s", err);
	turn_free(t);
	llm_acc_release(&acc);
}

/* ---- Bedrock ConverseStream events ------------------------------------- */

static unsigned char *frame(const char *event, const char *payload, size_t *len)
{
	const char *names[] = { ":event-type", ":content-type", ":message-type" };
	const char *vals[] = { event, "application/json", "event" };
	return es_encode(names, vals, 3, payload, strlen(payload), len);
}

struct brk_feed {
	struct llm_acc *acc;
	int done;
	char err[256];
};

static int brk_cb(void *arg, const struct es_message *m)
{
	struct brk_feed *f = arg;
	return llm_bedrock_event(f->acc, m, &f->done, f->err);
}

Test(llm, bedrock_tool_use_at_every_split)
{
	static const char *const ev[][2] = {
		{ "messageStart", "{\"role\":\"assistant\"}" },
		{ "contentBlockStart",
		  "{\"contentBlockIndex\":0,\"start\":{\"toolUse\":{\"toolUseId\":\"tooluse_1\",\"name\":\"answer\"}}}" },
		{ "contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"toolUse\":{\"input\":\"{\\\"citation_id\\\":\\\"p-2\\\",\"}}}" },
		{ "contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"toolUse\":{\"input\":\"\\\"text\\\":\\\"Returns are \"}}}" },
		{ "contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"toolUse\":{\"input\":\"free.\\\"}\"}}}" },
		{ "contentBlockStop", "{\"contentBlockIndex\":0}" },
		{ "messageStop", "{\"stopReason\":\"tool_use\"}" },
		{ "metadata", "{\"usage\":{\"inputTokens\":80,\"outputTokens\":20,\"totalTokens\":100},\"metrics\":{\"latencyMs\":300}}" },
	};
	unsigned char all[8192];
	size_t len = 0;
	for (size_t i = 0; i < ARRAY_LEN(ev); i++) {
		size_t fl;
		unsigned char *f = frame(ev[i][0], ev[i][1], &fl);
		memcpy(all + len, f, fl);
		len += fl;
		free(f);
	}
	for (size_t cut = 0; cut <= len; cut++) {
		struct seen sn = { "", 0 };
		struct llm_acc acc;
		llm_acc_init(&acc, on_chunk, &sn);
		struct es_decoder d;
		struct brk_feed f = { &acc, 0, "" };
		char err[256];
		es_decoder_init(&d);
		cr_assert_eq(es_feed(&d, all, cut, brk_cb, &f, err), 0, "%s %s", err, f.err);
		cr_assert_eq(es_feed(&d, all + cut, len - cut, brk_cb, &f, err), 0, "%s %s", err, f.err);
		es_decoder_release(&d);
		cr_assert(f.done);
		cr_assert_str_eq(acc.calls[0].name, "answer");
		cr_assert_str_eq(acc.calls[0].args, "{\"citation_id\":\"p-2\",\"text\":\"Returns are free.\"}");
		cr_assert_str_eq(sn.text, "Returns are free.");
		cr_assert_eq(acc.output_tokens, 20);
		llm_acc_release(&acc);
	}
}

Test(llm, bedrock_exception_event)
{
	const char *names[] = { ":exception-type", ":content-type", ":message-type" };
	const char *vals[] = { "throttlingException", "application/json", "exception" };
	size_t len;
	const char *body = "{\"message\":\"Too many requests\"}";
	unsigned char *f = es_encode(names, vals, 3, body, strlen(body), &len);
	struct llm_acc acc;
	llm_acc_init(&acc, NULL, NULL);
	struct es_decoder d;
	struct brk_feed bf = { &acc, 0, "" };
	char err[256];
	es_decoder_init(&d);
	cr_assert_eq(es_feed(&d, f, len, brk_cb, &bf, err), LLM_ETRANSPORT);
	cr_assert(strstr(bf.err, "throttlingException"), "%s", bf.err);
	es_decoder_release(&d);
	llm_acc_release(&acc);
	free(f);
}

/* ---- tools -------------------------------------------------------------- */

static int apply(const char *name, const char *args, Chat__Turn *t, char err[256])
{
	struct llm_acc acc;
	llm_acc_init(&acc, NULL, NULL);
	llm_acc_tool_start(&acc, 0, "c1", name);
	llm_acc_tool_args(&acc, 0, args, strlen(args));
	int rc = llm_apply_tool(&acc, t, "test", err);
	llm_acc_release(&acc);
	return rc;
}

Test(llm, the_four_tools_and_their_arguments)
{
	char err[256] = "";
	Chat__Turn *t = returns_turn();
	cr_assert_eq(apply("clarify", "{\"question\":\"Which item?\"}", t, err), 0, "%s", err);
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_CLARIFY);
	cr_assert_str_eq(t->draft->text, "Which item?");
	cr_assert_eq(apply("hand_off", "{\"reason\":\"angry\"}", t, err), 0);
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_HAND_OFF);
	cr_assert_str_eq(t->draft->reason, "angry");
	cr_assert_eq(apply("decline", "{\"reason\":\"off topic\"}", t, err), 0);
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_DECLINE);

	cr_assert_eq(apply("answer", "{\"citation_id\":\"p-9\",\"text\":\"x\"}", t, err), -1);
	cr_assert(strstr(err, "not a passage"), "%s", err);
	cr_assert_eq(apply("answer", "{\"citation_id\":\"p-1\",\"text\":\"  \"}", t, err), -1);
	cr_assert_eq(apply("answer", "{\"citation_id\":\"p-1\"", t, err), -1, "truncated JSON");
	cr_assert_eq(apply("answer", "[1,2]", t, err), -1);
	cr_assert_eq(apply("refund_now", "{\"reason\":\"x\"}", t, err), -1);
	cr_assert(strstr(err, "unknown tool"), "%s", err);
	cr_assert_eq(apply("clarify", "{\"question\":7}", t, err), -1);
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_DECLINE, "a failed apply leaves the draft alone");
	turn_free(t);

	char *o = llm_tools_openai_json(), *b = llm_tools_bedrock_json();
	json_t *jo = json_loads(o, 0, NULL), *jb = json_loads(b, 0, NULL);
	cr_assert_eq(json_array_size(jo), 4);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(json_array_get(jo, 0), "function"), "name")),
			 "answer");
	cr_assert_eq(json_array_size(json_object_get(jb, "tools")), 4);
	json_decref(jo);
	json_decref(jb);
	free(o);
	free(b);
}

Test(llm, partial_json_string)
{
	char *s = llm_json_partial_string("{\"citation_id\":\"text\",\"text\":\"ab\\n\\u4f60", 40, "text");
	cr_assert_str_eq(s, "ab\n\xe4\xbd\xa0", "a value equal to the key name is not the key");
	free(s);
	s = llm_json_partial_string("{\"text\":\"ab\\u4f", 15, "text");
	cr_assert_str_eq(s, "ab", "an incomplete escape waits");
	free(s);
	cr_assert_null(llm_json_partial_string("{\"te", 4, "text"));
	cr_assert_null(llm_json_partial_string("{\"a\":{\"text\":\"x\"}}", 18, "text"), "nested keys are not it");
}

/* ---- offline provider ---------------------------------------------------- */

static const char RETURNS[] =
	"Returns and refunds\nWe want you to love what you bring home from Halia Living. If something is not right, "
	"you can return it within **30 days** of the date it was delivered to you (or collected from a store). "
	"Halia Rewards **Platinum** members get **45 days**.\nWhat you can return\n- unused and in the condition "
	"you received it,";
static const char DELIVERY[] = "Delivery\nStandard delivery in the Klang Valley takes 2-4 working days. Bulky "
			       "furniture is delivered by Halia Fleet.";

/* Run the offline provider on t and apply its tool call to t->draft. */
static void offline_answer(Chat__Turn *t)
{
	struct llm_acc acc;
	char err[256] = "";
	llm_acc_init(&acc, NULL, NULL);
	cr_assert_eq(llm_offline_compose(t, &acc, err), 0, "%s", err);
	cr_assert_eq(llm_apply_tool(&acc, t, "x", err), 0, "%s", err);
	llm_acc_release(&acc);
}

Test(llm, offline_answers_faithfully_with_a_citation)
{
	Chat__Turn *t = tu_turn("s1", "t1", "How many days do I have to return an item?");
	add_passage(t, "delivery#0", "Delivery", DELIVERY);
	add_passage(t, "returns#0", "Returns and refunds", RETURNS);
	struct seen sn = { "", 0 };
	struct llm_acc acc;
	char err[256] = "";
	llm_acc_init(&acc, on_chunk, &sn);
	cr_assert_eq(llm_offline_compose(t, &acc, err), 0, "%s", err);
	cr_assert_eq(llm_apply_tool(&acc, t, "llm-caller/offline", err), 0, "%s", err);
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_ANSWER);
	cr_assert_str_eq(t->draft->citations[0], "returns#0");
	cr_assert(strstr(t->draft->text, "you can return it within 30 days of the date it was delivered"), "%s",
		  t->draft->text);
	cr_assert_null(strstr(t->draft->text, "**"), "Markdown marks dropped");
	cr_assert_str_eq(sn.text, t->draft->text, "the chunk is the answer");
	cr_assert_eq(sn.n, 1, "the answer exists whole at once: one chunk");
	llm_acc_release(&acc);
	turn_free(t);
}

Test(llm, offline_clarifies_when_nothing_matches)
{
	Chat__Turn *t = tu_turn("s1", "t1", "Do you sell helicopters?");
	add_passage(t, "delivery#0", "Delivery", DELIVERY);
	offline_answer(t);
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_CLARIFY);
	cr_assert_eq(t->draft->n_citations, 0);
	turn_free(t);

	t = tu_turn("s1", "t2", "Boleh pulangkan barang?");
	turn_set_str(&t->language, "ms");
	offline_answer(t);
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_CLARIFY, "no passages: never an answer");
	cr_assert(strstr(t->draft->text, "Boleh"), "in Malay: %s", t->draft->text);
	turn_free(t);
}

Test(llm, offline_reads_chinese)
{
	Chat__Turn *t = tu_turn("s1", "t1", "退货要多少天？");
	turn_set_str(&t->language, "zh");
	add_passage(t, "zh-del#0", "送货", "标准送货需要两到四个工作日。");
	add_passage(t, "zh-ret#0", "退货和退款", "您可以在收货后30天内退货。白金会员可享45天。");
	offline_answer(t);
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_ANSWER);
	cr_assert_str_eq(t->draft->citations[0], "zh-ret#0");
	cr_assert(strstr(t->draft->text, "30天内退货"), "%s", t->draft->text);
	turn_free(t);
}

/* ---- prompt ------------------------------------------------------------- */

Test(llm, prompt_trims_passages_first_then_oldest_history)
{
	struct llm_tenant ten;
	llm_tenant_default(&ten, "demo");
	Chat__Turn *t = tu_turn("s1", "t1", "question");
	char big[2001];
	memset(big, 'x', 2000);
	big[2000] = '\0';
	for (int i = 0; i < 4; i++) {
		char id[8];
		snprintf(id, sizeof(id), "p%d", i);
		add_passage(t, id, "T", big); /* ~500 tokens each */
	}
	tu_add_history(t, "customer", "old question one");
	tu_add_history(t, "assistant", "old answer one");

	struct llm_prompt p;
	llm_prompt_build(&ten, t, 100000, &p);
	cr_assert_eq(p.passages_kept, 4);
	cr_assert_eq(p.history_kept, 2);
	cr_assert_eq(p.nmsgs, 3);
	cr_assert_str_eq(p.msgs[0].role, "user");
	cr_assert_str_eq(p.msgs[1].role, "assistant");
	cr_assert_str_eq(p.msgs[2].text, "question");
	cr_assert(strstr(p.system, "[p3]"));
	llm_prompt_release(&p);

	llm_prompt_build(&ten, t, 1300, &p);
	cr_assert_eq(p.passages_kept, 2, "passages go first");
	cr_assert_eq(p.history_kept, 2, "history stays while passages can go");
	cr_assert_leq(p.tokens, 1300);
	cr_assert_null(strstr(p.system, "[p2]"), "the lowest ranked went");
	llm_prompt_release(&p);

	llm_prompt_build(&ten, t, 500, &p);
	cr_assert_eq(p.passages_kept, 1);
	cr_assert_eq(p.history_kept, 0, "then the history");
	cr_assert_leq(p.tokens, 500, "then the last passage is cut");
	cr_assert(strstr(p.system, "[p0]"));
	llm_prompt_release(&p);
	turn_free(t);
}

Test(llm, tenant_file)
{
	char dir[] = "/tmp/llm-tenant-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/acme.conf", dir);
	FILE *f = fopen(path, "w");
	fputs("# L0\nname = Acme Home\ntone = warm\nrule = Never promise delivery dates.\nrule = Say RM.\n", f);
	fclose(f);
	struct llm_tenant ten;
	char err[256] = "";
	cr_assert_eq(llm_tenant_load(dir, "acme", &ten, err), 0, "%s", err);
	cr_assert_str_eq(ten.name, "Acme Home");
	cr_assert_eq(ten.nrules, 2);
	cr_assert_eq(llm_tenant_load(dir, "other", &ten, err), 1, "missing file: defaults");
	cr_assert_eq(llm_tenant_load(dir, "../etc/x", &ten, err), -1);
	f = fopen(path, "w");
	fputs("colour = red\n", f);
	fclose(f);
	cr_assert_eq(llm_tenant_load(dir, "acme", &ten, err), -1);
	cr_assert(strstr(err, "unknown key"), "%s", err);
	unlink(path);
	rmdir(dir);

	Chat__Turn *t = tu_turn("s1", "t1", "q");
	struct llm_prompt p;
	llm_tenant_default(&ten, "acme");
	snprintf(ten.rules[0], sizeof(ten.rules[0]), "Never promise delivery dates.");
	ten.nrules = 1;
	llm_prompt_build(&ten, t, 3000, &p);
	cr_assert(strstr(p.system, "Rule: Never promise delivery dates."));
	cr_assert(strstr(p.system, "(none: do not answer from memory)"));
	llm_prompt_release(&p);
	turn_free(t);
}

/* ---- breaker ------------------------------------------------------------ */

Test(llm, breaker_opens_and_probes)
{
	struct llm_breaker b = { .threshold = 3, .cooldown_us = 1000 };
	for (int i = 0; i < 3; i++) {
		cr_assert(llm_breaker_allow(&b, 0));
		llm_breaker_result(&b, 0, 0);
	}
	cr_assert_not(llm_breaker_allow(&b, 10), "open");
	cr_assert(llm_breaker_allow(&b, 2000), "half-open: one probe");
	cr_assert_not(llm_breaker_allow(&b, 2001), "only one probe at a time");
	llm_breaker_result(&b, 0, 2002);
	cr_assert_not(llm_breaker_allow(&b, 2003), "a failed probe opens it again");
	cr_assert(llm_breaker_allow(&b, 4000));
	llm_breaker_result(&b, 1, 4001);
	cr_assert(llm_breaker_allow(&b, 4002), "a good probe closes it");
	cr_assert(llm_breaker_allow(&b, 4003));
}

/* ---- the stage, with fake providers and a list sink --------------------- */

struct sink_log {
	int n, finals, flushed_at;
	char text[4096];
	uint32_t last_seq;
	int cited;          /* chunks that carried a citation */
	int cited_at;       /* seq of the first one */
	char cite[64], input[128];
	size_t npassages;
};

static int sink_chunk(void *arg, const Chat__StreamChunk *c)
{
	struct sink_log *s = arg;
	cr_assert_eq(c->seq, (uint32_t)s->n, "seq counts up from 0");
	cr_assert_str_eq(c->session_id, "s1");
	s->n++;
	s->finals += c->final;
	if (c->citation_id && c->citation_id[0]) {
		if (!s->cited++)
			s->cited_at = (int)c->seq;
		snprintf(s->cite, sizeof(s->cite), "%s", c->citation_id);
		snprintf(s->input, sizeof(s->input), "%s", c->input_text);
		s->npassages = c->n_passage_ids;
	}
	text_append(s->text, sizeof(s->text), c->delta, strlen(c->delta));
	return 0;
}

static int sink_flush(void *arg, int timeout_ms)
{
	struct sink_log *s = arg;
	(void)timeout_ms;
	s->flushed_at = s->n;
	return 0;
}

struct fake {
	int calls, fail_first, stream_then_fail;
	const char *tool, *args;
};

static int fake_turn(void *self, const Chat__Turn *turn, const struct llm_prompt *p, struct llm_acc *acc,
		     char errstr[256])
{
	struct fake *f = self;
	(void)turn;
	cr_assert_not_null(p->system);
	f->calls++;
	if (f->stream_then_fail) {
		llm_acc_text(acc, "partial", 7);
		snprintf(errstr, 256, "connection reset");
		return LLM_ETRANSPORT;
	}
	if (f->calls <= f->fail_first) {
		snprintf(errstr, 256, "HTTP 500");
		return LLM_ETRANSPORT;
	}
	llm_acc_tool_start(acc, 0, "x", f->tool);
	llm_acc_tool_args(acc, 0, f->args, strlen(f->args));
	return 0;
}

static void fake_free(void *self)
{
	(void)self;
}

static void setup(struct llm *l, struct sink_log *s, struct fake *f, long retries, long threshold)
{
	struct llm_config c = { .provider = "offline", .retries = retries, .backoff_ms = 0,
				.breaker_threshold = threshold, .breaker_cooldown_ms = 60000, .budget_tokens = 3000,
				.tenant_dir = "/nonexistent" };
	struct llm_sink sink = { s, sink_chunk, sink_flush };
	char err[256];
	cr_assert_eq(llm_init(l, "chat.drafted.v1", &c, &sink, err), 0, "%s", err);
	if (f) {
		l->provider.name = "fake";
		l->provider.self = f;
		l->provider.turn = fake_turn;
		l->provider.free = fake_free;
		snprintf(l->producer, sizeof(l->producer), "llm-caller/fake");
	}
}

static Chat__Turn *stage_turn(void)
{
	Chat__Turn *t = tu_turn("s1", "t1", "How many days do I have to return an item?");
	add_passage(t, "returns#0", "Returns and refunds", RETURNS);
	return t;
}

Test(llm, stage_streams_then_routes_the_answer)
{
	struct llm l;
	struct sink_log s = { 0 };
	setup(&l, &s, NULL, 2, 5);
	Chat__Turn *t = stage_turn();
	struct turn_dests d = { .n = 0 };
	char err[256] = "";
	cr_assert_eq(llm_process(&l, t, &d, err, sizeof(err)), 0);
	cr_assert_eq(d.n, 1);
	cr_assert_str_eq(d.topic[0], "chat.drafted.v1");
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_ANSWER);
	cr_assert_str_eq(t->draft->producer, "llm-caller/offline");
	cr_assert_eq(s.n, 1, "the offline answer exists whole at once: one chunk, the final one");
	cr_assert_eq(s.finals, 1, "one final chunk");
	cr_assert_eq(s.flushed_at, s.n, "flushed after the last chunk, before returning the turn");
	cr_assert_str_eq(s.text, t->draft->text);
	cr_assert_eq(s.cited, 1, "one chunk carries the citation");
	cr_assert_eq(s.cited_at, 0, "the offline provider writes the citation first");
	cr_assert_str_eq(s.cite, "returns#0");
	cr_assert_str_eq(s.input, "How many days do I have to return an item?");
	cr_assert_eq(s.npassages, 1);
	llm_release(&l);
	turn_free(t);
}

Test(llm, the_citation_is_known_once_its_value_is_complete_in_any_order)
{
	struct llm_acc acc;
	llm_acc_init(&acc, NULL, NULL);
	const char *frags[] = { "{\"text\":\"Within 30 ", "days.\",\"citation_id\":\"retu", "rns#0\"}" };
	llm_acc_tool_start(&acc, 0, "x", "answer");
	for (int i = 0; i < 3; i++) {
		llm_acc_tool_args(&acc, 0, frags[i], strlen(frags[i]));
		if (i < 2)
			cr_assert_str_empty(acc.cite, "not complete after fragment %d", i);
	}
	cr_assert_str_eq(acc.cite, "returns#0");
	llm_acc_release(&acc);
}

Test(llm, stage_retries_before_any_chunk)
{
	struct llm l;
	struct sink_log s = { 0 };
	struct fake f = { .fail_first = 2, .tool = "answer", .args = "{\"citation_id\":\"returns#0\",\"text\":\"Within 30 days.\"}" };
	setup(&l, &s, &f, 2, 0);
	Chat__Turn *t = stage_turn();
	struct turn_dests d = { .n = 0 };
	char err[256] = "";
	cr_assert_eq(llm_process(&l, t, &d, err, sizeof(err)), 0);
	cr_assert_eq(f.calls, 3, "two failures, then the answer");
	cr_assert_str_eq(t->draft->text, "Within 30 days.");
	cr_assert_str_eq(t->draft->producer, "llm-caller/fake");
	cr_assert_str_eq(s.text, "Within 30 days.");
	llm_release(&l);
	turn_free(t);
}

Test(llm, stage_degrades_when_the_provider_stays_down)
{
	struct llm l;
	struct sink_log s = { 0 };
	struct fake f = { .fail_first = 100 };
	setup(&l, &s, &f, 1, 3);
	Chat__Turn *t = stage_turn();
	char err[256] = "";
	struct turn_dests d = { .n = 0 };
	cr_assert_eq(llm_process(&l, t, &d, err, sizeof(err)), 0);
	cr_assert_eq(f.calls, 2, "bounded retries");
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_ANSWER, "the passages still answer");
	cr_assert(strstr(t->draft->producer, "degraded"), "%s", t->draft->producer);
	cr_assert_str_eq(t->draft->citations[0], "returns#0");
	cr_assert_eq(d.n, 1);
	cr_assert_eq(s.n, 1, "the degraded answer is composed whole: one chunk");
	cr_assert_eq(s.finals, 1);
	cr_assert_str_eq(s.text, t->draft->text);
	cr_assert_str_eq(s.cite, "returns#0", "the held chunk still carries the citation");
	turn_free(t);

	/* Third failure opens the breaker: the next turn does not call out. */
	t = stage_turn();
	d.n = 0;
	memset(&s, 0, sizeof(s));
	cr_assert_eq(llm_process(&l, t, &d, err, sizeof(err)), 0);
	cr_assert_eq(f.calls, 3);
	t->draft->action = 0;
	turn_free(t);
	t = stage_turn();
	d.n = 0;
	memset(&s, 0, sizeof(s));
	cr_assert_eq(llm_process(&l, t, &d, err, sizeof(err)), 0);
	cr_assert_eq(f.calls, 3, "circuit open: no call");
	cr_assert(strstr(t->draft->producer, "degraded"));
	llm_release(&l);
	turn_free(t);
}

Test(llm, stage_never_retries_after_a_chunk)
{
	struct llm l;
	struct sink_log s = { 0 };
	struct fake f = { .stream_then_fail = 1 };
	setup(&l, &s, &f, 3, 0);
	Chat__Turn *t = stage_turn();
	char err[256] = "";
	struct turn_dests d = { .n = 0 };
	cr_assert_eq(llm_process(&l, t, &d, err, sizeof(err)), 0);
	cr_assert_eq(f.calls, 1);
	cr_assert_str_eq(s.text, "partial", "nothing more is streamed after a broken stream");
	cr_assert_eq(s.finals, 1);
	cr_assert(strstr(t->draft->producer, "degraded"));
	llm_release(&l);
	turn_free(t);
}

Test(llm, stage_degrades_on_an_invalid_reply)
{
	struct llm l;
	struct sink_log s = { 0 };
	struct fake f = { .tool = "answer", .args = "{\"citation_id\":\"made-up\",\"text\":\"RM 1 only!\"}" };
	setup(&l, &s, &f, 2, 0);
	Chat__Turn *t = stage_turn();
	char err[256] = "";
	struct turn_dests d = { .n = 0 };
	cr_assert_eq(llm_process(&l, t, &d, err, sizeof(err)), 0);
	cr_assert_eq(f.calls, 1, "an invalid reply is not retried");
	cr_assert_str_eq(t->draft->citations[0], "returns#0", "the offline answer replaces the invented one");
	cr_assert_null(strstr(t->draft->text, "RM 1"));
	llm_release(&l);
	turn_free(t);
}

Test(llm, unknown_provider_is_a_config_error)
{
	struct llm l;
	struct llm_config c = { .provider = "gpt-imaginary" };
	char err[256] = "";
	cr_assert_eq(llm_init(&l, "x", &c, NULL, err), -1);
	cr_assert(strstr(err, "gpt-imaginary"), "%s", err);
	c.provider = "openai";
	cr_assert_eq(llm_init(&l, "x", &c, NULL, err), -1);
	cr_assert(strstr(err, "LLM_BASE_URL"), "%s", err);
	c.provider = "bedrock";
	cr_assert_eq(llm_init(&l, "x", &c, NULL, err), -1);
}

Test(llm, offline_joins_wrapped_lines_and_answers_faq_questions_with_their_answer)
{
	Chat__Turn *t = tu_turn("s1", "t1", "Do you deliver to Sabah?");
	add_passage(t, "faq#0", "FAQ",
		    "Frequently asked questions\n**1. Can I pay by instalments?**\nYes, with Atome and Grab PayLater.\n"
		    "**2. Do you deliver sofas to Sabah?**\nNot through online checkout. Contact us for a\npartner "
		    "freight quotation.\n**3. Where are your stores?**\nIn Mid Valley and Penang.");
	offline_answer(t);
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_ANSWER);
	cr_assert_str_eq(t->draft->text, "Not through online checkout. Contact us for a partner freight quotation.");
	turn_free(t);
}

/* The ingestion writes a table as "cell | cell" lines, the header first,
 * under its section's heading. */
static const char WARRANTY[] =
	"Product warranty\n\nEvery product is checked before it leaves our warehouse. Care for your mattress "
	"as the label says to keep the warranty valid.\n\nWarranty periods\n\nProduct group | Warranty\n"
	"Sofas, armchairs | 2 years (frame and springs)\nPocket spring mattresses | 10 years\n"
	"Memory foam mattresses | 5 years\nFolding chairs | 1 year\n\nThe warranty starts on the delivery date.";
static const char FEES[] = "Delivery\n\nWe deliver everywhere. Parcel-size items are shipped by our courier "
			   "partners.\n\nDelivery fees\n\nWhere | Parcel-size items | Bulky furniture\n"
			   "Klang Valley, Penang | RM 15, free from RM 300 | RM 79\n"
			   "East Malaysia (Sabah, Sarawak) | RM 25, free from RM 500 | not available online";

static char *offline_text(const char *q, const char *passage)
{
	Chat__Turn *t = tu_turn("s1", "t1", q);
	add_passage(t, "kb#0", "Policy", passage);
	offline_answer(t);
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_ANSWER, "%s", q);
	char *text = xstrdup(t->draft->text);
	turn_free(t);
	return text;
}

Test(llm, offline_answers_a_table_row_with_its_header)
{
	char *a = offline_text("what warranty do mattresses have?", WARRANTY);
	cr_assert_str_eq(a, "Pocket spring mattresses: 10 years. Memory foam mattresses: 5 years.",
			 "the rows of the table that name the product, not the care line");
	free(a);
	a = offline_text("shipping fee to Sabah for a small parcel?", FEES);
	cr_assert_str_eq(a, "East Malaysia (Sabah, Sarawak) \xe2\x80\x94 Parcel-size items: RM 25, free from RM 500; "
			    "Bulky furniture: not available online.",
			 "a row of three columns names each value's column");
	free(a);
	/* the same table as Markdown, with its separator line and emphasis */
	a = offline_text("how long is the warranty on folding chairs?",
			 "## Warranty periods\n\n| Product group | Warranty |\n| --- | --- |\n| **Sofas** | 2 years |\n"
			 "| **Folding chairs** | 1 year |\n");
	cr_assert_str_eq(a, "Folding chairs: 1 year.");
	free(a);
	/* a header row is never an answer on its own */
	a = offline_text("product group warranty", "Warranty\n\nProduct group | Warranty\nSofas | 2 years\n\n"
						   "Every product group has a warranty, shown on its page.");
	cr_assert_str_eq(a, "Every product group has a warranty, shown on its page.");
	free(a);
}

/* The thesaurus's words help but weigh less than the customer's own:
 * Kota Kinabalu adds "Sabah East Malaysia", and the question is still
 * about assembly. */
Test(llm, offline_weighs_the_customers_words_over_the_thesauruss)
{
	Chat__Turn *t = tu_turn("s1", "t1", "do you assemble in Kota Kinabalu?");
	add_passage(t, "asm#0", "Assembly",
		    "We assemble in Klang Valley, Penang and Johor. Outside these areas we recommend a partner.");
	add_passage(t, "del#0", "Delivery",
		    "Delivery fees\n\nWhere | Parcels\nEast Malaysia (Sabah, Sarawak) | RM 25\n\n"
		    "Parcels to East Malaysia take 4 to 9 days. Bulky items to Sabah go by partner freight.");
	offline_answer(t);
	cr_assert_str_eq(t->draft->citations[0], "asm#0", "%s", t->draft->text);
	turn_free(t);
}

/* A list says what it is only with the line that leads into it: the
 * answer starts with that line, and the list is read with it (and with
 * the heading above it). */
Test(llm, offline_answers_a_list_with_its_lead_in)
{
	char *a = offline_text("can I return a gift card?",
			       "Returns\n\nYou can return most items within 30 days.\n\n"
			       "What you cannot return\n\nThese items can only be returned if they are faulty:\n\n"
			       "mattresses once the seal is opened,\nclearance items,\ngift cards and e-vouchers.");
	cr_assert_str_eq(a, "These items can only be returned if they are faulty: mattresses once the seal is opened, "
			    "clearance items, gift cards and e-vouchers.");
	free(a);
}

Test(llm, offline_answers_with_what_a_heading_introduces_not_the_heading)
{
	char *a = offline_text("what payment options do you have?",
			       "Shop policies\n\nPayment options\n\nWe accept cards, FPX and e-wallets.\n\nReturns\n\n"
			       "Return any item within 30 days.");
	cr_assert_str_eq(a, "We accept cards, FPX and e-wallets.");
	free(a);
}

Test(llm, offline_reads_a_han_row_by_its_words_not_a_shared_character)
{
	Chat__Turn *t = tu_turn("s1", "t1", "送货到沙巴要多少钱");
	turn_set_str(&t->language, "zh");
	add_passage(t, "zh-del#0", "送货",
		    "运费\n\n地区 | 小件 | 大件\n东马（沙巴、砂拉越） | RM 25 | 不提供\n");
	add_passage(t, "zh-del#1", "送货", "送货时间\n\n地区 | 小件 | 大件\n巴生谷 | 1–3 个工作日 | 4–7 个工作日\n");
	offline_answer(t);
	cr_assert_str_eq(t->draft->citations[0], "zh-del#0", "%s", t->draft->text);
	cr_assert(strstr(t->draft->text, "RM 25"), "%s", t->draft->text);
	turn_free(t);
}

Test(llm, offline_answers_how_long_with_a_duration_not_a_fee)
{
	Chat__Turn *t = tu_turn("s1", "t1", "berapa lama barang sampai ke Johor");
	turn_set_str(&t->language, "ms");
	add_passage(t, "ms-del#0", "Penghantaran",
		    "Caj\n\nKawasan | Caj\nJohor | RM 15\n\nTempoh\n\nKawasan | Tempoh\nJohor | 2–5 hari bekerja\n");
	offline_answer(t);
	cr_assert_str_eq(t->draft->text, "Johor: 2–5 hari bekerja.", "the duration, not the fee");
	turn_free(t);
}

Test(llm, offline_answers_from_passages_in_the_customers_language)
{
	Chat__Turn *t = tu_turn("s1", "t1", "Berapa hari untuk pemulangan barang? return 30");
	turn_set_str(&t->language, "ms");
	add_passage(t, "en/returns#0", "Returns", "You can return an item within 30 days of delivery for a return.");
	add_passage(t, "ms/returns#0", "Pemulangan",
		    "Anda boleh memulangkan barangan dalam tempoh 30 hari dari tarikh penghantaran untuk pemulangan.");
	offline_answer(t);
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_ANSWER);
	cr_assert_str_eq(t->draft->citations[0], "ms/returns#0", "the Malay passage, though the English one ranks first");
	turn_free(t);
}
