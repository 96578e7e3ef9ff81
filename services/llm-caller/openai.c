/* openai: OpenAI-compatible /v1/chat/completions with stream:true (OpenAI,
 * vLLM, llama.cpp server, Ollama): SSE "data:" lines, tool-call argument
 * fragments reassembled by index, "[DONE]" at the end. */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "llm-caller.h"
#include "sse.h"
#include "util.h"

struct oai {
	char *url;
	char *model;
	char *auth; /* "Authorization: Bearer ..." or NULL */
	json_t *tools;
	json_t *tool_choice; /* "required", "auto" or {"type":"function","function":{"name":...}} */
	long max_tokens;
	struct llm_config cfg;
};

int llm_openai_event(struct llm_acc *acc, const char *data, size_t len, int *done, char errstr[256])
{
	if (len == 6 && !memcmp(data, "[DONE]", 6)) {
		*done = 1;
		return 0;
	}
	json_error_t jerr;
	json_t *j = json_loadb(data, len, 0, &jerr);
	int rc = LLM_EPROTOCOL;
	if (!json_is_object(j)) {
		snprintf(errstr, 256, "openai: stream event is not a JSON object: %.80s", jerr.text);
		goto out;
	}
	json_t *e = json_object_get(j, "error");
	if (e) {
		const char *m = json_string_value(json_object_get(e, "message"));
		snprintf(errstr, 256, "openai: error in stream: %.160s", m ? m : "(no message)");
		rc = LLM_ETRANSPORT;
		goto out;
	}
	json_t *usage = json_object_get(j, "usage");
	if (json_is_object(usage)) {
		acc->input_tokens = json_integer_value(json_object_get(usage, "prompt_tokens"));
		acc->output_tokens = json_integer_value(json_object_get(usage, "completion_tokens"));
	}
	json_t *choices = json_object_get(j, "choices");
	if (choices && !json_is_array(choices)) {
		snprintf(errstr, 256, "openai: choices is not an array");
		goto out;
	}
	json_t *ch = json_array_get(choices, 0); /* the final usage chunk has none */
	if (ch) {
		json_t *delta = json_object_get(ch, "delta");
		const char *content = json_string_value(json_object_get(delta, "content"));
		if (content && llm_acc_text(acc, content, strlen(content)) < 0) {
			snprintf(errstr, 256, "openai: reply text too long");
			goto out;
		}
		json_t *tcs = json_object_get(delta, "tool_calls");
		size_t i;
		json_t *tc;
		json_array_foreach(tcs, i, tc)
		{
			json_t *idx = json_object_get(tc, "index");
			int index = json_is_integer(idx) ? (int)json_integer_value(idx) : (int)i;
			json_t *fn = json_object_get(tc, "function");
			if (llm_acc_tool_start(acc, index, json_string_value(json_object_get(tc, "id")),
					       json_string_value(json_object_get(fn, "name"))) < 0) {
				snprintf(errstr, 256, "openai: more than %d tool calls", LLM_MAX_CALLS);
				goto out;
			}
			const char *args = json_string_value(json_object_get(fn, "arguments"));
			if (args && llm_acc_tool_args(acc, index, args, strlen(args)) < 0) {
				snprintf(errstr, 256, "openai: tool arguments too long");
				goto out;
			}
		}
		const char *fr = json_string_value(json_object_get(ch, "finish_reason"));
		if (fr)
			util_strlcpy(acc->stop_reason, fr, sizeof(acc->stop_reason));
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

struct oai_run {
	struct sse_parser sse;
	struct llm_acc *acc;
	int done, events;
	char err[256];
};

static int on_event(void *arg, const char *event, const char *data, size_t len)
{
	struct oai_run *r = arg;
	(void)event;
	r->events++;
	return llm_openai_event(r->acc, data, len, &r->done, r->err);
}

static int on_body(void *arg, const char *buf, size_t len, char errstr[256])
{
	struct oai_run *r = arg;
	char err[256] = "";
	r->err[0] = '\0';
	int rc = sse_feed(&r->sse, buf, len, on_event, r, err);
	if (rc == -1 && err[0]) { /* the parser's own error (on_event's come with r->err) */
		snprintf(errstr, 256, "openai: %s", err);
		return LLM_EPROTOCOL;
	}
	if (rc) {
		snprintf(errstr, 256, "%s", r->err);
		return rc;
	}
	return 0;
}

/* The tools of this turn: answer's citation_id is one of the turn's passage
 * ids (an enum), so a server that turns the schema into a grammar (llama.cpp,
 * vLLM) cannot let the model cite anything else. */
json_t *llm_openai_turn_tools(const json_t *tools, const Chat__Turn *turn)
{
	json_t *t = json_deep_copy(tools);
	if (!turn || turn->n_passages == 0)
		return t;
	size_t i;
	json_t *tool;
	json_array_foreach(t, i, tool)
	{
		json_t *fn = json_object_get(tool, "function");
		const char *name = json_string_value(json_object_get(fn, "name"));
		json_t *cite = json_object_get(json_object_get(json_object_get(fn, "parameters"), "properties"),
					       "citation_id");
		if (!name || strcmp(name, "answer") || !json_is_object(cite))
			continue;
		json_t *ids = json_array();
		for (size_t k = 0; k < turn->n_passages; k++)
			json_array_append_new(ids, json_string(turn->passages[k]->id));
		json_object_set_new(cite, "enum", ids);
	}
	return t;
}

static int oai_turn(void *self, const Chat__Turn *turn, const struct llm_prompt *p, struct llm_acc *acc,
		    char errstr[256])
{
	struct oai *o = self;
	json_t *msgs = json_array();
	json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "system", "content", p->system));
	for (size_t i = 0; i < p->nmsgs; i++)
		json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", p->msgs[i].role, "content", p->msgs[i].text));
	json_t *req = json_pack("{s:s, s:b, s:{s:b}, s:o, s:o, s:O, s:i}", "model", o->model, "stream", 1,
				"stream_options", "include_usage", 1, "messages", msgs, "tools",
				llm_openai_turn_tools(o->tools, turn), "tool_choice", o->tool_choice, "max_tokens",
				(int)o->max_tokens);
	char *body = json_dumps(req, JSON_COMPACT);
	json_decref(req);

	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	h = curl_slist_append(h, "Accept: text/event-stream");
	if (o->auth)
		h = curl_slist_append(h, o->auth);
	struct oai_run r = { .acc = acc };
	sse_init(&r.sse);
	int rc = llm_http_post(&o->cfg, o->url, h, body, strlen(body), on_body, &r, errstr);
	if (rc == 0 && !r.done && !acc->stop_reason[0]) {
		snprintf(errstr, 256, "openai: stream ended without [DONE] or a finish_reason (%d events)", r.events);
		rc = LLM_EPROTOCOL;
	}
	sse_release(&r.sse);
	curl_slist_free_all(h);
	free(body);
	return rc;
}

static void oai_free(void *self)
{
	struct oai *o = self;
	if (!o)
		return;
	free(o->url);
	free(o->model);
	free(o->auth);
	json_decref(o->tools);
	json_decref(o->tool_choice);
	free(o);
}

int llm_openai_provider(struct llm_provider *p, const struct llm_config *cfg, char errstr[256])
{
	if (!cfg->base_url || !*cfg->base_url || !cfg->model || !*cfg->model) {
		snprintf(errstr, 256, "provider openai needs LLM_BASE_URL and LLM_MODEL");
		return -1;
	}
	const char *tc = cfg->tool_choice && *cfg->tool_choice ? cfg->tool_choice : "required";
	json_t *choice = NULL;
	if (!strcmp(tc, "required") || !strcmp(tc, "auto"))
		choice = json_string(tc);
	else if (!strcmp(tc, "answer") || !strcmp(tc, "clarify") || !strcmp(tc, "hand_off") || !strcmp(tc, "decline"))
		choice = json_pack("{s:s, s:{s:s}}", "type", "function", "function", "name", tc);
	if (!choice) {
		snprintf(errstr, 256, "LLM_TOOL_CHOICE must be required, auto, answer, clarify, hand_off or decline: %.80s",
			 tc);
		return -1;
	}
	struct oai *o = xcalloc(1, sizeof(*o));
	o->tool_choice = choice;
	size_t bl = strlen(cfg->base_url);
	o->url = xasprintf("%.*s/chat/completions", (int)(bl && cfg->base_url[bl - 1] == '/' ? bl - 1 : bl),
			   cfg->base_url);
	o->model = xstrdup(cfg->model);
	if (cfg->api_key && *cfg->api_key)
		o->auth = xasprintf("Authorization: Bearer %s", cfg->api_key);
	char *tools = llm_tools_openai_json();
	o->tools = json_loads(tools, 0, NULL);
	free(tools);
	o->max_tokens = cfg->max_tokens > 0 ? cfg->max_tokens : 512;
	o->cfg = *cfg;
	p->name = "openai";
	p->self = o;
	p->turn = oai_turn;
	p->free = oai_free;
	return 0;
}
