/* llm-caller: writes the draft of a RAG turn through one provider (offline,
 * openai, bedrock), streaming the answer's text as StreamChunks while it
 * arrives, with timeouts, bounded retries before the first chunk, a circuit
 * breaker, and the design's degraded mode (the offline provider) when the
 * provider is down or replies with anything but one valid tool call. */
#ifndef SERVICES_LLM_CALLER_H
#define SERVICES_LLM_CALLER_H

#include <stdint.h>

#include "prompt.h"
#include "provider.h"
#include "turn.h"

/* Where chunks go (Kafka in main.c; a list in tests). chunk copies what it
 * needs; flush waits until every chunk so far is written (so the final
 * turn can never overtake them). Both return 0 or -1. */
struct llm_sink {
	void *arg;
	int (*chunk)(void *arg, const Chat__StreamChunk *c);
	int (*flush)(void *arg, int timeout_ms);
};

/* Open after threshold consecutive failures; after cooldown one probe is
 * let through (half-open): success closes it, failure opens it again. */
struct llm_breaker {
	int threshold;
	int64_t cooldown_us;
	int fails;
	int64_t open_until_us; /* monotonic; 0 when closed */
	int probing;
};

/* 1 when a call may go out now (now_us monotonic). */
int llm_breaker_allow(struct llm_breaker *b, int64_t now_us);
void llm_breaker_result(struct llm_breaker *b, int ok, int64_t now_us);

struct llm_config {
	const char *provider; /* offline, openai, bedrock */
	const char *base_url; /* openai: e.g. https://api.openai.com/v1 ; bedrock: endpoint override */
	const char *model;
	const char *api_key;
	const char *region;
	const char *access_key, *secret_key, *session_token;
	long connect_timeout_ms, first_token_timeout_ms, total_timeout_ms;
	long retries, backoff_ms;
	long breaker_threshold, breaker_cooldown_ms;
	long budget_tokens, max_tokens;
	const char *tenant_dir;
	const char *tool_choice; /* openai: "required" (default), "auto", or one tool's name */
	long stream_flush_ms;    /* wait for a turn's chunks to be written before its draft (0: no wait) */
};

struct llm {
	const char *out_topic;
	struct llm_config cfg;
	struct llm_provider provider;
	struct llm_provider offline;
	struct llm_sink sink;
	struct llm_breaker breaker;
	char producer[160];
	struct metric *m_ok, *m_fail, *m_invalid, *m_degraded, *m_retries, *m_first_token, *m_open, *m_chunks;
};

/* Set up the provider named by cfg->provider. 0, or -1 with errstr (unknown
 * provider, missing setting). Release with llm_release. */
int llm_init(struct llm *l, const char *out_topic, const struct llm_config *cfg, const struct llm_sink *sink,
	     char errstr[256]);
void llm_release(struct llm *l);

/* turn_fn: fill the draft and route to out_topic. */
int llm_process(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen);

/* The pure stream steps of the network providers (fuzz targets): one SSE
 * event's data of an OpenAI-compatible stream, and one event-stream message
 * of Bedrock ConverseStream, into acc; *done set at "[DONE]" / messageStop.
 * 0, or an llm_err with errstr. */
struct es_message;
int llm_openai_event(struct llm_acc *acc, const char *data, size_t len, int *done, char errstr[256]);
int llm_bedrock_event(struct llm_acc *acc, const struct es_message *m, int *done, char errstr[256]);

/* A copy of the OpenAI tools array for one turn: answer's citation_id
 * limited (enum) to the turn's passage ids; no passages: a plain copy. */
struct json_t;
struct json_t *llm_openai_turn_tools(const struct json_t *tools, const Chat__Turn *turn);

/* Providers. */
void llm_offline_provider(struct llm_provider *p);
int llm_offline_compose(const Chat__Turn *turn, struct llm_acc *acc, char errstr[256]);
int llm_openai_provider(struct llm_provider *p, const struct llm_config *cfg, char errstr[256]);
int llm_bedrock_provider(struct llm_provider *p, const struct llm_config *cfg, char errstr[256]);

#endif
