/* tools: the provider-stream accumulator and the four answer tools. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider.h"
#include "turn.h"
#include "util.h"

void llm_acc_init(struct llm_acc *a, llm_chunk_fn on_chunk, void *arg)
{
	memset(a, 0, sizeof(*a));
	a->on_chunk = on_chunk;
	a->chunk_arg = arg;
}

void llm_acc_release(struct llm_acc *a)
{
	for (int i = 0; i < a->ncalls; i++) {
		free(a->calls[i].args);
		free(a->calls[i].text);
	}
	free(a->text);
	memset(a, 0, sizeof(*a));
}

static void first_token(struct llm_acc *a)
{
	if (!a->first_token_us)
		a->first_token_us = util_mono_us();
}

static void emit(struct llm_acc *a, const char *s, size_t n)
{
	if (n == 0)
		return;
	if (a->on_chunk)
		a->on_chunk(a->chunk_arg, s, n);
	a->chunks++;
}

int llm_acc_text(struct llm_acc *a, const char *s, size_t n)
{
	if (n == 0)
		return 0;
	if (a->text_len + n > LLM_MAX_TEXT)
		return -1;
	first_token(a);
	a->text = xrealloc(a->text, a->text_len + n + 1);
	memcpy(a->text + a->text_len, s, n);
	a->text_len += n;
	a->text[a->text_len] = '\0';
	emit(a, s, n);
	return 0;
}

static struct llm_call *call_at(struct llm_acc *a, int idx)
{
	for (int i = 0; i < a->ncalls; i++)
		if (a->calls[i].index == idx)
			return &a->calls[i];
	if (a->ncalls >= LLM_MAX_CALLS)
		return NULL;
	struct llm_call *c = &a->calls[a->ncalls++];
	memset(c, 0, sizeof(*c));
	c->index = idx;
	c->args = xstrdup("");
	return c;
}

int llm_acc_tool_start(struct llm_acc *a, int idx, const char *id, const char *name)
{
	struct llm_call *c = call_at(a, idx);
	if (!c)
		return -1;
	first_token(a);
	if (id && *id)
		util_strlcpy(c->id, id, sizeof(c->id));
	if (name && *name)
		util_strlcpy(c->name, name, sizeof(c->name));
	return 0;
}

static size_t decode_str(const char *s, size_t len, size_t i, char *out, size_t *olen, int *closed);
static size_t member_value_at(const char *s, size_t len, const char *key);

/* Decode what arrived of the answer's "text" since the last fragment. */
static void decode_answer_text(struct llm_call *c)
{
	if (!c->text_at)
		c->text_at = c->text_end = member_value_at(c->args, c->args_len, "text");
	if (!c->text_at || c->text_closed)
		return;
	/* JSON escapes never decode longer than they are written. */
	c->text = xrealloc(c->text, c->text_len + (c->args_len - c->text_end) + 1);
	c->text_end = decode_str(c->args, c->args_len, c->text_end, c->text, &c->text_len, &c->text_closed);
	c->text[c->text_len] = '\0';
}

int llm_acc_tool_args(struct llm_acc *a, int idx, const char *frag, size_t n)
{
	struct llm_call *c = call_at(a, idx);
	if (!c || c->args_len + n > LLM_MAX_ARGS)
		return -1;
	first_token(a);
	c->args = xrealloc(c->args, c->args_len + n + 1);
	memcpy(c->args + c->args_len, frag, n);
	c->args_len += n;
	c->args[c->args_len] = '\0';
	/* Only the first call's answer text is shown: it is the one applied. */
	if (c == &a->calls[0] && !strcmp(c->name, "answer")) {
		if (!a->cite[0]) {
			char *cite = llm_json_complete_string(c->args, c->args_len, "citation_id");
			if (cite && strlen(cite) < sizeof(a->cite))
				util_strlcpy(a->cite, cite, sizeof(a->cite));
			free(cite);
		}
		decode_answer_text(c);
		/* What llm_json_partial_string gives: up to a NUL a \u0000 made. */
		size_t tl = c->text ? strlen(c->text) : 0;
		if (tl > c->streamed) {
			/* Never cut inside a UTF-8 character. */
			size_t end = c->streamed + util_utf8_prefix(c->text + c->streamed, tl - c->streamed);
			emit(a, c->text + c->streamed, end - c->streamed);
			c->streamed = end;
		}
	}
	return 0;
}

static int hex4(const char *s, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static size_t utf8_put(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Decode the JSON string body starting at s[i] (after the opening quote)
 * into out as far as it is complete; *closed set when the closing quote
 * was seen. Returns the index after what was consumed. */
static size_t decode_str(const char *s, size_t len, size_t i, char *out, size_t *olen, int *closed)
{
	*closed = 0;
	while (i < len) {
		char c = s[i];
		if (c == '"') {
			*closed = 1;
			return i + 1;
		}
		if (c != '\\') {
			if (out)
				out[(*olen)++] = c;
			i++;
			continue;
		}
		if (i + 1 >= len)
			return i;
		char e = s[i + 1];
		unsigned cp;
		switch (e) {
		case 'n': cp = '\n'; break;
		case 't': cp = '\t'; break;
		case 'r': cp = '\r'; break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'u':
			if (i + 6 > len || hex4(s + i + 2, &cp) < 0)
				return i;
			if (cp >= 0xd800 && cp < 0xdc00) {
				unsigned lo;
				if (i + 12 > len)
					return i;
				if (s[i + 6] != '\\' || s[i + 7] != 'u' || hex4(s + i + 8, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff) {
					cp = 0xfffd;
				} else {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					i += 6;
				}
			}
			if (out)
				*olen += utf8_put(out + *olen, cp);
			i += 6;
			continue;
		default: cp = (unsigned char)e; break;
		}
		if (out)
			out[(*olen)++] = (char)cp;
		i += 2;
	}
	return i;
}

static char *json_string_member(const char *s, size_t len, const char *key, int need_closed);

char *llm_json_partial_string(const char *s, size_t len, const char *key)
{
	return json_string_member(s, len, key, 0);
}

char *llm_json_complete_string(const char *s, size_t len, const char *key)
{
	return json_string_member(s, len, key, 1);
}

/* Where the string value of top-level member key starts in s (the byte
 * after its opening quote), or 0 when the member is not (yet) there or its
 * value is not a string. */
static size_t member_value_at(const char *s, size_t len, const char *key)
{
	int depth = 0;
	size_t i = 0, kl = strlen(key);
	while (i < len) {
		char c = s[i];
		if (c == '{' || c == '[') {
			depth++;
			i++;
		} else if (c == '}' || c == ']') {
			depth--;
			i++;
		} else if (c == '"') {
			size_t start = i + 1;
			int closed;
			size_t end = decode_str(s, len, start, NULL, NULL, &closed);
			if (!closed)
				return 0;
			i = end;
			size_t j = i;
			while (j < len && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r'))
				j++;
			if (j >= len || s[j] != ':' || depth != 1)
				continue;
			/* A key at the top level. */
			if (end - 1 - start != kl || memcmp(s + start, key, kl) != 0)
				continue;
			j++;
			while (j < len && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r'))
				j++;
			if (j >= len || s[j] != '"')
				return 0;
			return j + 1;
		} else {
			i++;
		}
	}
	return 0;
}

static char *json_string_member(const char *s, size_t len, const char *key, int need_closed)
{
	size_t at = member_value_at(s, len, key);
	if (!at)
		return NULL;
	char *out = xmalloc(len - at + 1);
	size_t olen = 0;
	int closed;
	decode_str(s, len, at, out, &olen, &closed);
	out[olen] = '\0';
	if (need_closed && !closed) {
		free(out);
		return NULL;
	}
	return out;
}

/* name, description, then the required string arguments and their
 * descriptions. */
static const struct {
	const char *name, *desc;
	const char *arg[2], *arg_desc[2];
} TOOLS[] = {
	{ "answer", "Answer the customer from one of the passages, citing its id.",
	  { "citation_id", "text" },
	  { "The id of the passage the answer comes from, exactly as given.",
	    "The answer, in the customer's language, using only facts from the cited passage." } },
	{ "clarify", "Ask the customer one question when the request is unclear or the passages do not cover it.",
	  { "question", NULL }, { "The question to ask.", NULL } },
	{ "hand_off", "Hand the conversation to a human agent.", { "reason", NULL },
	  { "Why a person should take over.", NULL } },
	{ "decline", "Decline a request that is out of scope or against the rules.", { "reason", NULL },
	  { "Why the request is declined.", NULL } },
};

static json_t *tool_schema(size_t i)
{
	json_t *props = json_object(), *req = json_array();
	for (int k = 0; k < 2 && TOOLS[i].arg[k]; k++) {
		json_object_set_new(props, TOOLS[i].arg[k],
				    json_pack("{s:s, s:s}", "type", "string", "description", TOOLS[i].arg_desc[k]));
		json_array_append_new(req, json_string(TOOLS[i].arg[k]));
	}
	return json_pack("{s:s, s:o, s:o, s:b}", "type", "object", "properties", props, "required", req,
			 "additionalProperties", 0);
}

char *llm_tools_openai_json(void)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < ARRAY_LEN(TOOLS); i++)
		json_array_append_new(arr, json_pack("{s:s, s:{s:s, s:s, s:o}}", "type", "function", "function",
						     "name", TOOLS[i].name, "description", TOOLS[i].desc,
						     "parameters", tool_schema(i)));
	char *s = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return s;
}

char *llm_tools_bedrock_json(void)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < ARRAY_LEN(TOOLS); i++)
		json_array_append_new(arr, json_pack("{s:{s:s, s:s, s:{s:o}}}", "toolSpec", "name", TOOLS[i].name,
						     "description", TOOLS[i].desc, "inputSchema", "json",
						     tool_schema(i)));
	json_t *cfg = json_pack("{s:o, s:{s:{}}}", "tools", arr, "toolChoice", "any");
	char *s = json_dumps(cfg, JSON_COMPACT);
	json_decref(cfg);
	return s;
}

static const char *str_arg(json_t *args, const char *name)
{
	const char *v = json_string_value(json_object_get(args, name));
	if (!v)
		return NULL;
	while (*v == ' ' || *v == '\n' || *v == '\t')
		v++;
	return *v ? v : NULL;
}

int llm_apply_tool(const struct llm_acc *a, Chat__Turn *turn, const char *producer, char errstr[256])
{
	if (a->ncalls == 0) {
		snprintf(errstr, 256, "the model replied without a tool call (%zu bytes of text)", a->text_len);
		return -1;
	}
	const struct llm_call *c = &a->calls[0];
	json_error_t jerr;
	json_t *args = json_loadb(c->args, c->args_len, 0, &jerr);
	int rc = -1;
	if (!json_is_object(args)) {
		snprintf(errstr, 256, "tool \"%.40s\" arguments are not a JSON object: %.80s", c->name, jerr.text);
		goto out;
	}
	Chat__Draft *dr = turn_draft(turn);
	Chat__Action action;
	const char *text = NULL, *reason = NULL, *cite = NULL;
	if (!strcmp(c->name, "answer")) {
		cite = str_arg(args, "citation_id");
		text = str_arg(args, "text");
		if (!cite || !text) {
			snprintf(errstr, 256, "tool answer needs non-empty citation_id and text");
			goto out;
		}
		size_t k;
		for (k = 0; k < turn->n_passages; k++)
			if (!strcmp(turn->passages[k]->id, cite))
				break;
		if (k == turn->n_passages) {
			snprintf(errstr, 256, "tool answer cites \"%.60s\", not a passage of this turn", cite);
			goto out;
		}
		action = CHAT__ACTION__ACTION_ANSWER;
	} else if (!strcmp(c->name, "clarify")) {
		if (!(text = str_arg(args, "question"))) {
			snprintf(errstr, 256, "tool clarify needs a non-empty question");
			goto out;
		}
		action = CHAT__ACTION__ACTION_CLARIFY;
	} else if (!strcmp(c->name, "hand_off") || !strcmp(c->name, "decline")) {
		if (!(reason = str_arg(args, "reason"))) {
			snprintf(errstr, 256, "tool %s needs a non-empty reason", c->name);
			goto out;
		}
		action = c->name[0] == 'h' ? CHAT__ACTION__ACTION_HAND_OFF : CHAT__ACTION__ACTION_DECLINE;
	} else {
		snprintf(errstr, 256, "unknown tool \"%.60s\"", c->name);
		goto out;
	}
	if (text && strlen(text) > TURN_MAX_TEXT) {
		snprintf(errstr, 256, "tool %s text longer than %d bytes", c->name, TURN_MAX_TEXT);
		goto out;
	}
	dr->action = action;
	turn_set_str(&dr->text, text ? text : "");
	turn_set_str(&dr->reason, reason ? reason : "");
	for (size_t i = 0; i < dr->n_citations; i++)
		free(dr->citations[i]);
	free(dr->citations);
	dr->citations = NULL;
	dr->n_citations = 0;
	if (cite) {
		dr->citations = xmalloc(sizeof(char *));
		dr->citations[0] = xstrdup(cite);
		dr->n_citations = 1;
	}
	turn_set_str(&dr->producer, producer);
	rc = 0;
out:
	json_decref(args);
	return rc;
}
