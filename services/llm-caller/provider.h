/* provider: the one interface every answer provider implements (offline,
 * openai, bedrock), the accumulator that turns a provider's stream into
 * chunks and one tool call, and the four tools the model may answer with. */
#ifndef SERVICES_LLM_CALLER_PROVIDER_H
#define SERVICES_LLM_CALLER_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#include "proto/chat.pb-c.h"

#define LLM_MAX_CALLS 8
#define LLM_MAX_ARGS (64 * 1024) /* bytes of tool-call arguments */
#define LLM_MAX_TEXT (32 * 1024) /* bytes of plain assistant text */

enum llm_err {
	LLM_OK = 0,
	LLM_ETRANSPORT = -1, /* connect, reset, HTTP 429/5xx: worth a retry */
	LLM_ETIMEOUT = -2,   /* connect, first token or total timeout */
	LLM_EPROTOCOL = -3,  /* bytes that are not the wire format */
	LLM_EREJECTED = -4,  /* HTTP 4xx other than 429: a retry will not help */
};

/* Called with each piece of text the customer may see, in order. */
typedef void (*llm_chunk_fn)(void *arg, const char *text, size_t len);

struct llm_call {
	int index;
	char id[128];
	char name[64];
	char *args; /* concatenated argument fragments (JSON text) */
	size_t args_len;
	size_t streamed; /* bytes of the answer's text already passed to on_chunk */
	/* The answer's "text" decoded as its fragments arrive, each byte of the
	 * arguments read once: where its value starts in args (0: not seen
	 * yet), where decoding stopped, and what it decoded to so far. */
	size_t text_at, text_end;
	char *text;
	size_t text_len;
	int text_closed;
};

/* What one provider turn produced so far. */
struct llm_acc {
	llm_chunk_fn on_chunk;
	void *chunk_arg;
	size_t chunks;          /* how many on_chunk calls were made */
	struct llm_call calls[LLM_MAX_CALLS];
	int ncalls;
	char *text;             /* plain assistant text outside tools */
	size_t text_len;
	char stop_reason[32];
	int64_t input_tokens, output_tokens;
	int64_t first_token_us; /* monotonic time of the first byte of output, 0 until then */
	char cite[128];         /* the answer's citation_id once its value is complete, else "" */
};

void llm_acc_init(struct llm_acc *a, llm_chunk_fn on_chunk, void *arg);
void llm_acc_release(struct llm_acc *a);
/* Plain text from the model (streamed to on_chunk as it comes). -1 when
 * the text grows past LLM_MAX_TEXT. */
int llm_acc_text(struct llm_acc *a, const char *s, size_t n);
/* A tool call starts (or its id/name arrive) for stream index idx. */
int llm_acc_tool_start(struct llm_acc *a, int idx, const char *id, const char *name);
/* An argument fragment for stream index idx; the answer tool's "text"
 * value is streamed to on_chunk as it becomes known. -1 on too many calls
 * or arguments too long. */
int llm_acc_tool_args(struct llm_acc *a, int idx, const char *frag, size_t n);

/* The request a provider turns into its wire format. */
struct llm_msg {
	const char *role; /* "user" or "assistant" */
	char *text;
};

struct llm_prompt {
	char *system;
	struct llm_msg *msgs; /* history, oldest first, then the customer's message */
	size_t nmsgs;
	int tokens;           /* estimate of what was kept */
	size_t passages_kept, history_kept;
};

void llm_prompt_release(struct llm_prompt *p);

struct llm_provider {
	const char *name;
	void *self;
	/* Run one turn: send the prompt (with the four tools), stream into acc.
	 * The turn is given too (offline reads passages directly). Returns 0 or
	 * an llm_err with errstr. */
	int (*turn)(void *self, const Chat__Turn *turn, const struct llm_prompt *prompt, struct llm_acc *acc,
		    char errstr[256]);
	void (*free)(void *self);
};

/* The four tools as OpenAI "tools" JSON (an array) and as Bedrock
 * "toolConfig" JSON; heap strings the caller frees. */
char *llm_tools_openai_json(void);
char *llm_tools_bedrock_json(void);

/* Turn the first tool call of acc into the turn's draft: answer (citation
 * among the turn's passages, non-empty text), clarify, hand_off or decline,
 * each with its required string argument. Returns 0, or -1 with errstr
 * when the reply is no tool call, an unknown tool or invalid arguments. */
int llm_apply_tool(const struct llm_acc *a, Chat__Turn *turn, const char *producer, char errstr[256]);

/* The value of the string member key of the (possibly incomplete) JSON
 * object text[0..len), decoded as far as it is complete, into a heap
 * string; NULL when the member has not started. Used to stream the answer
 * text out of argument fragments. */
char *llm_json_partial_string(const char *text, size_t len, const char *key);
/* Like llm_json_partial_string, but only once the value's closing quote
 * has arrived; NULL before. */
char *llm_json_complete_string(const char *text, size_t len, const char *key);

#endif
