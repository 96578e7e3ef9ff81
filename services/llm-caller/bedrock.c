/* bedrock: Amazon Bedrock ConverseStream (POST /model/{modelId}/converse-stream),
 * signed with SigV4, the reply decoded from application/vnd.amazon.eventstream
 * frames (both CRCs checked): contentBlockStart/Delta carry text and toolUse
 * input fragments, messageStop the stop reason, metadata the usage. */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eventstream.h"
#include "http.h"
#include "llm-caller.h"
#include "sigv4.h"
#include "util.h"

struct brk {
	char *endpoint; /* scheme://host[:port] */
	char *host;     /* host[:port] as sent */
	char *model;
	char *path;     /* raw path, model id unencoded */
	char *url;
	json_t *tool_config;
	struct llm_config cfg;
};

int llm_bedrock_event(struct llm_acc *acc, const struct es_message *m, int *done, char errstr[256])
{
	size_t tl = 0, el = 0;
	const char *mt = es_header_str(m, ":message-type", &tl);
	const char *et = es_header_str(m, ":event-type", &el);
	if (mt && tl == 9 && !memcmp(mt, "exception", 9)) {
		const char *x = es_header_str(m, ":exception-type", &el);
		snprintf(errstr, 256, "bedrock: %.*s: %.*s", x ? (int)el : 9, x ? x : "exception",
			 (int)(m->payload_len < 160 ? m->payload_len : 160), (const char *)m->payload);
		return LLM_ETRANSPORT;
	}
	if (mt && tl == 5 && !memcmp(mt, "error", 5)) {
		const char *x = es_header_str(m, ":error-message", &el);
		snprintf(errstr, 256, "bedrock: error: %.*s", x ? (int)el : 0, x ? x : "");
		return LLM_ETRANSPORT;
	}
	if (!et) {
		snprintf(errstr, 256, "bedrock: event without :event-type");
		return LLM_EPROTOCOL;
	}
	json_error_t jerr;
	json_t *j = json_loadb((const char *)m->payload, m->payload_len, 0, &jerr);
	int rc = LLM_EPROTOCOL;
	if (!json_is_object(j)) {
		snprintf(errstr, 256, "bedrock: %.*s payload is not a JSON object", (int)el, et);
		goto out;
	}
	int idx = (int)json_integer_value(json_object_get(j, "contentBlockIndex"));
#define IS(name) (el == strlen(name) && !memcmp(et, name, el))
	if (IS("contentBlockStart")) {
		json_t *tu = json_object_get(json_object_get(j, "start"), "toolUse");
		if (tu && llm_acc_tool_start(acc, idx, json_string_value(json_object_get(tu, "toolUseId")),
					     json_string_value(json_object_get(tu, "name"))) < 0) {
			snprintf(errstr, 256, "bedrock: more than %d tool calls", LLM_MAX_CALLS);
			goto out;
		}
	} else if (IS("contentBlockDelta")) {
		json_t *delta = json_object_get(j, "delta");
		const char *text = json_string_value(json_object_get(delta, "text"));
		const char *input = json_string_value(json_object_get(json_object_get(delta, "toolUse"), "input"));
		if (text && llm_acc_text(acc, text, strlen(text)) < 0) {
			snprintf(errstr, 256, "bedrock: reply text too long");
			goto out;
		}
		if (input && llm_acc_tool_args(acc, idx, input, strlen(input)) < 0) {
			snprintf(errstr, 256, "bedrock: tool input too long");
			goto out;
		}
	} else if (IS("messageStop")) {
		const char *sr = json_string_value(json_object_get(j, "stopReason"));
		util_strlcpy(acc->stop_reason, sr ? sr : "end_turn", sizeof(acc->stop_reason));
		*done = 1;
	} else if (IS("metadata")) {
		json_t *u = json_object_get(j, "usage");
		acc->input_tokens = json_integer_value(json_object_get(u, "inputTokens"));
		acc->output_tokens = json_integer_value(json_object_get(u, "outputTokens"));
	}
	/* messageStart, contentBlockStop and unknown events carry nothing we need. */
#undef IS
	rc = 0;
out:
	json_decref(j);
	return rc;
}

struct brk_run {
	struct es_decoder es;
	struct llm_acc *acc;
	int done;
	char err[256];
};

static int on_message(void *arg, const struct es_message *m)
{
	struct brk_run *r = arg;
	return llm_bedrock_event(r->acc, m, &r->done, r->err);
}

static int on_body(void *arg, const char *buf, size_t len, char errstr[256])
{
	struct brk_run *r = arg;
	char err[256] = "";
	r->err[0] = '\0';
	int rc = es_feed(&r->es, buf, len, on_message, r, err);
	if (rc == -1 && err[0]) { /* the decoder's own error (on_message's come with r->err) */
		snprintf(errstr, 256, "bedrock: %s", err);
		return LLM_EPROTOCOL;
	}
	if (rc)
		snprintf(errstr, 256, "%s", r->err);
	return rc;
}

/* Converse wants user first and roles alternating: merge neighbours. */
static json_t *converse_messages(const struct llm_prompt *p)
{
	json_t *msgs = json_array();
	const char *last = NULL;
	for (size_t i = 0; i < p->nmsgs; i++) {
		const char *role = p->msgs[i].role;
		if (!last && strcmp(role, "user"))
			continue;
		if (last && !strcmp(last, role)) {
			json_t *content = json_object_get(json_array_get(msgs, json_array_size(msgs) - 1), "content");
			json_array_append_new(content, json_pack("{s:s}", "text", p->msgs[i].text));
			continue;
		}
		json_array_append_new(msgs, json_pack("{s:s, s:[{s:s}]}", "role", role, "content", "text", p->msgs[i].text));
		last = role;
	}
	return msgs;
}

static int brk_turn(void *self, const Chat__Turn *turn, const struct llm_prompt *p, struct llm_acc *acc,
		    char errstr[256])
{
	struct brk *b = self;
	(void)turn;
	json_t *req = json_pack("{s:o, s:[{s:s}], s:O, s:{s:i}}", "messages", converse_messages(p), "system", "text",
				p->system, "toolConfig", b->tool_config, "inferenceConfig", "maxTokens",
				(int)(b->cfg.max_tokens > 0 ? b->cfg.max_tokens : 512));
	char *body = json_dumps(req, JSON_COMPACT);
	json_decref(req);

	char amz_date[17];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(amz_date, sizeof(amz_date), "%Y%m%dT%H%M%SZ", &tm);
	struct sigv4_creds creds = { b->cfg.access_key, b->cfg.secret_key,
				     b->cfg.session_token && *b->cfg.session_token ? b->cfg.session_token : NULL };
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	h = curl_slist_append(h, "Accept: application/vnd.amazon.eventstream");
	int rc = sigv4_sign(&creds, b->cfg.region, "bedrock", "POST", b->host, b->path, NULL, body, strlen(body),
			    amz_date, &h, errstr);
	if (rc < 0) {
		rc = LLM_EREJECTED;
		goto out;
	}
	struct brk_run r = { .acc = acc };
	es_decoder_init(&r.es);
	rc = llm_http_post(&b->cfg, b->url, h, body, strlen(body), on_body, &r, errstr);
	if (rc == 0 && (!r.done || es_pending(&r.es))) {
		snprintf(errstr, 256, "bedrock: stream ended without messageStop (%zu bytes of a frame pending)",
			 es_pending(&r.es));
		rc = LLM_EPROTOCOL;
	}
	es_decoder_release(&r.es);
out:
	curl_slist_free_all(h);
	free(body);
	return rc;
}

static void brk_free(void *self)
{
	struct brk *b = self;
	if (!b)
		return;
	free(b->endpoint);
	free(b->host);
	free(b->model);
	free(b->path);
	free(b->url);
	json_decref(b->tool_config);
	free(b);
}

int llm_bedrock_provider(struct llm_provider *p, const struct llm_config *cfg, char errstr[256])
{
	if (!cfg->model || !*cfg->model || !cfg->region || !*cfg->region || !cfg->access_key || !*cfg->access_key ||
	    !cfg->secret_key || !*cfg->secret_key) {
		snprintf(errstr, 256, "provider bedrock needs LLM_MODEL, AWS_REGION, AWS_ACCESS_KEY_ID and "
				      "AWS_SECRET_ACCESS_KEY");
		return -1;
	}
	struct brk *b = xcalloc(1, sizeof(*b));
	if (cfg->base_url && *cfg->base_url) {
		size_t n = strlen(cfg->base_url);
		b->endpoint = xstrndup(cfg->base_url, cfg->base_url[n - 1] == '/' ? n - 1 : n);
	} else {
		b->endpoint = xasprintf("https://bedrock-runtime.%s.amazonaws.com", cfg->region);
	}
	const char *hs = strstr(b->endpoint, "://");
	hs = hs ? hs + 3 : b->endpoint;
	const char *he = strchr(hs, '/');
	b->host = he ? xstrndup(hs, (size_t)(he - hs)) : xstrdup(hs);
	b->model = xstrdup(cfg->model);
	b->path = xasprintf("/model/%s/converse-stream", cfg->model);
	char wire[1024];
	if (sigv4_encode_path(b->path, wire, sizeof(wire)) < 0) {
		snprintf(errstr, 256, "bedrock: model id too long");
		brk_free(b);
		return -1;
	}
	b->url = xasprintf("%s%s", b->endpoint, wire);
	char *tc = llm_tools_bedrock_json();
	b->tool_config = json_loads(tc, 0, NULL);
	free(tc);
	b->cfg = *cfg;
	p->name = "bedrock";
	p->self = b;
	p->turn = brk_turn;
	p->free = brk_free;
	return 0;
}
