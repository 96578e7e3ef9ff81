/* llm-caller providers over real HTTP on loopback: a libmicrohttpd server
 * (port 0) speaks the OpenAI SSE and Bedrock event-stream wire formats,
 * misbehaves on demand (garbage, a hang, HTTP 500, a corrupt CRC) and
 * checks the SigV4 signature of what it receives. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "../../testutil.h"
#include "eventstream.h"
#include "services/llm-caller/llm-caller.h"
#include "sigv4.h"

enum mode { OAI_OK, OAI_GARBAGE, OAI_HANG, OAI_500_TWICE, OAI_LLAMA_CPP_PY, BRK_OK, BRK_BAD_CRC };

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

struct server {
	struct MHD_Daemon *d;
	int port;
	enum mode mode;
	int requests;
	int sig_checked, sig_ok;
	char auth_seen[256];
	json_t *last_body;
	char *resp;        /* bytes to stream */
	size_t resp_len;
	volatile int stop;
};

struct conn {
	char *body;
	size_t len;
};

struct reader {
	struct server *s;
	size_t off;
	int hang_ticks;
};

/* A few bytes per call: the client sees the stream in many small pieces. */
static ssize_t read_some(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct reader *r = cls;
	(void)pos;
	if (r->s->mode == OAI_HANG) {
		if (r->s->stop || ++r->hang_ticks > 200)
			return MHD_CONTENT_READER_END_OF_STREAM;
		usleep(20000);
		return 0;
	}
	if (r->off >= r->s->resp_len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	size_t n = r->s->resp_len - r->off;
	if (n > 7)
		n = 7;
	if (n > max)
		n = max;
	memcpy(buf, r->s->resp + r->off, n);
	r->off += n;
	return (ssize_t)n;
}

static void reader_free(void *cls)
{
	free(cls);
}

static void check_sigv4(struct server *s, struct MHD_Connection *c, const char *url, const char *body, size_t len)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	const char *date = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Amz-Date");
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	const char *tok = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Amz-Security-Token");
	s->sig_checked = 1;
	if (!auth || !date || !host)
		return;
	snprintf(s->auth_seen, sizeof(s->auth_seen), "%s", auth);
	/* url is the path as it came on the wire (no unescaping): the server
	 * encodes it once more, as AWS does for the canonical URI. */
	struct sigv4_request r = { .region = "us-east-1", .service = "bedrock", .method = "POST", .host = host,
				   .path = url, .body = body, .body_len = len, .amz_date = date,
				   .session_token = tok, .path_is_wire = 1 };
	struct sigv4_creds creds = { "AKIDEXAMPLE", SECRET, NULL };
	char want[1024], err[256];
	if (sigv4_authorization(&creds, &r, want, sizeof(want), err) == 0 && !strcmp(want, auth))
		s->sig_ok = 1;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_size, void **state)
{
	struct server *s = cls;
	(void)version;
	struct conn *cn = *state;
	if (!cn) {
		*state = xcalloc(1, sizeof(struct conn));
		return MHD_YES;
	}
	if (*upload_size) {
		cn->body = xrealloc(cn->body, cn->len + *upload_size + 1);
		memcpy(cn->body + cn->len, upload, *upload_size);
		cn->len += *upload_size;
		cn->body[cn->len] = '\0';
		*upload_size = 0;
		return MHD_YES;
	}
	s->requests++;
	if (strcmp(method, "POST"))
		return MHD_NO;
	json_decref(s->last_body);
	s->last_body = json_loadb(cn->body ? cn->body : "", cn->len, 0, NULL);
	const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (a && s->mode < BRK_OK)
		snprintf(s->auth_seen, sizeof(s->auth_seen), "%s", a);
	struct MHD_Response *resp;
	unsigned status = 200;
	if (s->mode == OAI_GARBAGE) {
		static const char g[] = "<html><body>Welcome to nginx!</body></html>\n\n";
		resp = MHD_create_response_from_buffer(strlen(g), (void *)g, MHD_RESPMEM_PERSISTENT);
	} else if (s->mode == OAI_500_TWICE && s->requests <= 2) {
		static const char e[] = "{\"error\":{\"message\":\"upstream overloaded\"}}";
		resp = MHD_create_response_from_buffer(strlen(e), (void *)e, MHD_RESPMEM_PERSISTENT);
		status = 500;
	} else {
		if (s->mode >= BRK_OK) {
			check_sigv4(s, c, url, cn->body ? cn->body : "", cn->len);
			if (!s->sig_ok) {
				static const char e[] = "{\"message\":\"The request signature we calculated does not match\"}";
				resp = MHD_create_response_from_buffer(strlen(e), (void *)e, MHD_RESPMEM_PERSISTENT);
				MHD_queue_response(c, 403, resp);
				MHD_destroy_response(resp);
				return MHD_YES;
			}
		}
		struct reader *r = xcalloc(1, sizeof(*r));
		r->s = s;
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64, read_some, r, reader_free);
		MHD_add_response_header(resp, "Content-Type",
					s->mode >= BRK_OK ? "application/vnd.amazon.eventstream" : "text/event-stream");
	}
	MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return MHD_YES;
}

static void completed(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct conn *cn = *state;
	if (cn) {
		free(cn->body);
		free(cn);
	}
	*state = NULL;
}

/* No unescaping: the handler sees the path exactly as sent. */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

static const char OAI_REPLY[] =
	"data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,"
	"\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"answer\",\"arguments\":\"\"}}]}}]}\n\n"
	"data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
	"{\"arguments\":\"{\\\"citation_id\\\":\\\"returns#0\\\",\\\"text\\\":\\\"You can return it \"}}]}}]}\n\n"
	"data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
	"{\"arguments\":\"within 30 days.\\\"}\"}}]}}]}\n\n"
	"data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
	"data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":9}}\n\n"
	"data: [DONE]\n\n";

static void bedrock_reply(struct server *s, int corrupt)
{
	static const char *const ev[][2] = {
		{ "messageStart", "{\"role\":\"assistant\"}" },
		{ "contentBlockStart", "{\"contentBlockIndex\":0,\"start\":{\"toolUse\":{\"toolUseId\":\"t1\",\"name\":\"answer\"}}}" },
		{ "contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"toolUse\":{\"input\":\"{\\\"citation_id\\\":\\\"returns#0\\\",\\\"text\\\":\\\"Within \"}}}" },
		{ "contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"toolUse\":{\"input\":\"30 days.\\\"}\"}}}" },
		{ "contentBlockStop", "{\"contentBlockIndex\":0}" },
		{ "messageStop", "{\"stopReason\":\"tool_use\"}" },
	};
	const char *names[] = { ":event-type", ":content-type", ":message-type" };
	s->resp = NULL;
	s->resp_len = 0;
	for (size_t i = 0; i < ARRAY_LEN(ev); i++) {
		const char *vals[] = { ev[i][0], "application/json", "event" };
		size_t fl;
		unsigned char *f = es_encode(names, vals, 3, ev[i][1], strlen(ev[i][1]), &fl);
		if (corrupt && i == 2)
			f[fl - 1] ^= 0xff;
		s->resp = xrealloc(s->resp, s->resp_len + fl);
		memcpy(s->resp + s->resp_len, f, fl);
		s->resp_len += fl;
		free(f);
	}
}

/* A file beside this source (tests run from the repository root). */
static char *fixture(const char *name, size_t *len)
{
	char path[512];
	const char *slash = strrchr(__FILE__, '/');
	snprintf(path, sizeof(path), "%.*s/%s", slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".", name);
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	char *b = NULL;
	size_t n = 0, cap = 0, got;
	do {
		if (n + 4096 > cap)
			b = xrealloc(b, cap = cap ? cap * 2 : 65536);
		got = fread(b + n, 1, 4096, f);
		n += got;
	} while (got > 0);
	fclose(f);
	*len = n;
	return b;
}

static void server_start(struct server *s, enum mode m)
{
	memset(s, 0, sizeof(*s));
	s->mode = m;
	if (m == BRK_OK || m == BRK_BAD_CRC) {
		bedrock_reply(s, m == BRK_BAD_CRC);
	} else {
		s->resp = m == OAI_LLAMA_CPP_PY ? fixture("llama-cpp-python-answer.sse", &s->resp_len) : xstrdup(OAI_REPLY);
		if (m != OAI_LLAMA_CPP_PY)
			s->resp_len = strlen(OAI_REPLY);
	}
	s->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
				handle, s, MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_UNESCAPE_CALLBACK,
				keep_escaped, s, MHD_OPTION_SOCK_ADDR, NULL, MHD_OPTION_END);
	cr_assert_not_null(s->d, "test server did not start");
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info->port;
	cr_assert_gt(s->port, 0);
}

static void server_stop(struct server *s)
{
	s->stop = 1;
	MHD_stop_daemon(s->d);
	json_decref(s->last_body);
	free(s->resp);
}

/* Append n bytes of s to the NUL-terminated text in dst (cap bytes). */
static void text_append(char *dst, size_t cap, const char *s, size_t n)
{
	size_t len = strlen(dst);
	cr_assert_lt(len + n, cap, "collected text too long");
	memcpy(dst + len, s, n);
	dst[len + n] = '\0';
}

struct sink_log {
	int n, finals;
	char text[2048];
};

static int sink_chunk(void *arg, const Chat__StreamChunk *c)
{
	struct sink_log *l = arg;
	l->n++;
	l->finals += c->final;
	text_append(l->text, sizeof(l->text), c->delta, strlen(c->delta));
	return 0;
}

static int sink_flush(void *arg, int ms)
{
	(void)arg;
	(void)ms;
	return 0;
}

static const char RETURNS[] = "Returns\nYou can return an item within 30 days of delivery. Platinum members get 45 days.";

static Chat__Turn *ask(void)
{
	Chat__Turn *t = tu_turn("s1", "t1", "How long do I have to return something?");
	tu_add_passage(t, "returns#0", "Returns");
	free(t->passages[0]->text);
	t->passages[0]->text = xstrdup(RETURNS);
	return t;
}

static const char *tool_choice; /* LLM_TOOL_CHOICE of the next run (NULL: the default) */

static void run(struct server *s, const char *provider, const char *secret, struct sink_log *log, Chat__Turn *t)
{
	char url[128];
	if (!strcmp(provider, "openai"))
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1", s->port);
	else
		snprintf(url, sizeof(url), "http://127.0.0.1:%d", s->port);
	struct llm_config c = {
		.provider = provider, .base_url = url, .model = !strcmp(provider, "openai") ? "smol" :
				"anthropic.claude-3-haiku-20240307-v1:0",
		.api_key = "sk-test", .region = "us-east-1", .access_key = "AKIDEXAMPLE", .secret_key = secret,
		.session_token = "", .connect_timeout_ms = 2000, .first_token_timeout_ms = 400,
		.total_timeout_ms = 20000, .retries = 2, .backoff_ms = 1, .breaker_threshold = 0,
		.breaker_cooldown_ms = 1000, .budget_tokens = 3000, .max_tokens = 256, .tenant_dir = "/nonexistent",
		.tool_choice = tool_choice,
	};
	struct llm l;
	struct llm_sink sink = { log, sink_chunk, sink_flush };
	char err[256] = "";
	cr_assert_eq(llm_init(&l, "chat.drafted.v1", &c, &sink, err), 0, "%s", err);
	struct turn_dests d = { .n = 0 };
	cr_assert_eq(llm_process(&l, t, &d, err, sizeof(err)), 0);
	cr_assert_eq(d.n, 1, "the turn always goes on");
	cr_assert_eq(log->finals, 1);
	llm_release(&l);
}

static void init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void fini(void)
{
	curl_global_cleanup();
	tu_leak_check();
}

TestSuite(providers, .init = init, .fini = fini);

/* The schema of one of answer's arguments in a request body. */
static json_t *answer_params(json_t *body, const char *arg)
{
	size_t i;
	json_t *tool;
	json_array_foreach(json_object_get(body, "tools"), i, tool)
	{
		json_t *fn = json_object_get(tool, "function");
		if (!strcmp(json_string_value(json_object_get(fn, "name")), "answer"))
			return json_object_get(json_object_get(json_object_get(fn, "parameters"), "properties"), arg);
	}
	return NULL;
}

Test(providers, openai_streams_a_cited_answer)
{
	struct server s;
	server_start(&s, OAI_OK);
	struct sink_log log = { 0 };
	Chat__Turn *t = ask();
	run(&s, "openai", SECRET, &log, t);
	cr_assert_eq(s.requests, 1);
	cr_assert_str_eq(t->draft->producer, "llm-caller/openai");
	cr_assert_str_eq(t->draft->text, "You can return it within 30 days.");
	cr_assert_str_eq(t->draft->citations[0], "returns#0");
	cr_assert_str_eq(log.text, t->draft->text, "streamed text equals the final text");
	cr_assert_gt(log.n, 2);
	cr_assert_str_eq(s.auth_seen, "Authorization: Bearer sk-test" + 15);
	cr_assert(json_is_true(json_object_get(s.last_body, "stream")));
	cr_assert_eq(json_array_size(json_object_get(s.last_body, "tools")), 4);
	cr_assert_str_eq(json_string_value(json_object_get(s.last_body, "tool_choice")), "required");
	json_t *enm = json_object_get(answer_params(s.last_body, "citation_id"), "enum");
	cr_assert_eq(json_array_size(enm), 1, "answer may cite only the turn's passages");
	cr_assert_str_eq(json_string_value(json_array_get(enm, 0)), "returns#0");
	json_t *sys = json_array_get(json_object_get(s.last_body, "messages"), 0);
	cr_assert(strstr(json_string_value(json_object_get(sys, "content")), "[returns#0]"), "passages in the prompt");
	turn_free(t);
	server_stop(&s);
}

Test(providers, openai_garbage_degrades)
{
	struct server s;
	server_start(&s, OAI_GARBAGE);
	struct sink_log log = { 0 };
	Chat__Turn *t = ask();
	run(&s, "openai", SECRET, &log, t);
	cr_assert_eq(s.requests, 3, "retried (nothing was streamed), then degraded");
	cr_assert(strstr(t->draft->producer, "degraded"), "%s", t->draft->producer);
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_ANSWER);
	cr_assert(strstr(t->draft->text, "within 30 days"), "%s", t->draft->text);
	turn_free(t);
	server_stop(&s);
}

Test(providers, openai_hang_times_out_and_degrades)
{
	struct server s;
	server_start(&s, OAI_HANG);
	struct sink_log log = { 0 };
	Chat__Turn *t = ask();
	run(&s, "openai", SECRET, &log, t);
	cr_assert_eq(s.requests, 3);
	cr_assert(strstr(t->draft->producer, "degraded"), "%s", t->draft->producer);
	turn_free(t);
	server_stop(&s);
}

Test(providers, openai_500_is_retried)
{
	struct server s;
	server_start(&s, OAI_500_TWICE);
	struct sink_log log = { 0 };
	Chat__Turn *t = ask();
	run(&s, "openai", SECRET, &log, t);
	cr_assert_eq(s.requests, 3);
	cr_assert_str_eq(t->draft->producer, "llm-caller/openai", "the third try answered");
	cr_assert_str_eq(t->draft->text, "You can return it within 30 days.");
	turn_free(t);
	server_stop(&s);
}

Test(providers, bedrock_signed_and_decoded)
{
	struct server s;
	server_start(&s, BRK_OK);
	struct sink_log log = { 0 };
	Chat__Turn *t = ask();
	run(&s, "bedrock", SECRET, &log, t);
	cr_assert(s.sig_checked);
	cr_assert(s.sig_ok, "the server's SigV4 check failed: %s", s.auth_seen);
	cr_assert(strstr(s.auth_seen, "/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, "), "%s",
		  s.auth_seen);
	cr_assert_str_eq(t->draft->producer, "llm-caller/bedrock");
	cr_assert_str_eq(t->draft->text, "Within 30 days.");
	cr_assert_str_eq(log.text, "Within 30 days.");
	cr_assert_eq(json_array_size(json_object_get(json_object_get(s.last_body, "toolConfig"), "tools")), 4);
	turn_free(t);
	server_stop(&s);
}

Test(providers, bedrock_wrong_key_is_rejected_once)
{
	struct server s;
	server_start(&s, BRK_OK);
	struct sink_log log = { 0 };
	Chat__Turn *t = ask();
	run(&s, "bedrock", "not-the-secret", &log, t);
	cr_assert_eq(s.requests, 1, "a 403 is not retried");
	cr_assert_not(s.sig_ok);
	cr_assert(strstr(t->draft->producer, "degraded"));
	turn_free(t);
	server_stop(&s);
}

Test(providers, bedrock_corrupt_crc_degrades)
{
	struct server s;
	server_start(&s, BRK_BAD_CRC);
	struct sink_log log = { 0 };
	Chat__Turn *t = ask();
	run(&s, "bedrock", SECRET, &log, t);
	cr_assert(strstr(t->draft->producer, "degraded"), "%s", t->draft->producer);
	cr_assert_str_eq(t->draft->citations[0], "returns#0");
	turn_free(t);
	server_stop(&s);
}

/* LLM_TOOL_CHOICE=answer: a server without tool_choice "required"
 * (llama-cpp-python's server) is asked for the answer tool by name. */
Test(providers, openai_named_tool_choice)
{
	struct server s;
	server_start(&s, OAI_OK);
	struct sink_log log = { 0 };
	Chat__Turn *t = ask();
	tool_choice = "answer";
	run(&s, "openai", SECRET, &log, t);
	tool_choice = NULL;
	json_t *tc = json_object_get(s.last_body, "tool_choice");
	cr_assert(json_is_object(tc), "a named tool_choice is an object");
	cr_assert_str_eq(json_string_value(json_object_get(tc, "type")), "function");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(tc, "function"), "name")), "answer");
	cr_assert_str_eq(t->draft->producer, "llm-caller/openai");
	turn_free(t);
	server_stop(&s);
}

Test(providers, openai_unknown_tool_choice_is_refused)
{
	struct llm_config c = { .provider = "openai", .base_url = "http://127.0.0.1:9/v1", .model = "m",
				.tool_choice = "any" };
	struct llm l;
	char err[256] = "";
	cr_assert_eq(llm_init(&l, "chat.drafted.v1", &c, NULL, err), -1);
	cr_assert(strstr(err, "LLM_TOOL_CHOICE"), "%s", err);
}

/* No passages: the tools go out as they are (an empty enum would allow nothing). */
Test(providers, openai_turn_tools_without_passages)
{
	json_t *tools = json_pack("[{s:s, s:{s:s, s:{s:s, s:{s:{s:s}}}}}]", "type", "function", "function", "name",
				  "answer", "parameters", "type", "object", "properties", "citation_id", "type", "string");
	Chat__Turn *t = tu_turn("s1", "t1", "hello");
	json_t *got = llm_openai_turn_tools(tools, t);
	cr_assert(json_equal(got, tools));
	json_decref(got);
	tu_add_passage(t, "a#0", "A");
	tu_add_passage(t, "b#3", "B");
	got = llm_openai_turn_tools(tools, t);
	json_t *want = json_pack("[s, s]", "a#0", "b#3");
	json_t *body_got = json_pack("{s:o}", "tools", got), *body_orig = json_pack("{s:o}", "tools", tools);
	cr_assert(json_equal(json_object_get(answer_params(body_got, "citation_id"), "enum"), want));
	cr_assert_null(json_object_get(answer_params(body_orig, "citation_id"), "enum"),
		       "the provider's own tools are not changed");
	json_decref(want);
	json_decref(body_got);
	json_decref(body_orig);
	turn_free(t);
}

/* The bytes llama-cpp-python 0.3.36's server (chatml-function-calling, named
 * tool_choice, SmolLM2-135M) streamed in make test-llm-real: ": ping"
 * comments while the prompt is read, a role-only chunk with "tool_calls":
 * null, every argument chunk repeating the call's id and name beside a
 * legacy "function_call", a last chunk with finish_reason "tool_calls" and
 * null fields, no usage chunk, "[DONE]". */
Test(providers, openai_llama_cpp_python_stream)
{
	struct server s;
	server_start(&s, OAI_LLAMA_CPP_PY);
	struct sink_log log = { 0 };
	Chat__Turn *t = tu_turn("s1", "t1", "How many days do I have to return an item?");
	tu_add_passage(t, "en/returns-refunds.md#0", "Returns and refunds");
	tu_add_passage(t, "en/returns-refunds.md#1", "Returns and refunds");
	tool_choice = "answer";
	run(&s, "openai", SECRET, &log, t);
	tool_choice = NULL;
	cr_assert_eq(s.requests, 1);
	cr_assert_str_eq(t->draft->producer, "llm-caller/openai");
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_ANSWER);
	cr_assert_str_eq(t->draft->citations[0], "en/returns-refunds.md#1");
	cr_assert_str_eq(t->draft->text, "You can return an item in 3 days, if you have any remaining items left (25% of "
					 "the original quantity) after 4:00pm on December 31st.");
	cr_assert_str_eq(log.text, t->draft->text, "streamed text equals the final text");
	turn_free(t);
	server_stop(&s);
}
