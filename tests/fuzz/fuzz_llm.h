/* fuzz_llm: what the LLM caller's stream targets (openai_stream,
 * bedrock_stream) check about the accumulator after each event. The
 * customer sees exactly the plain text and the answer tool's text as they
 * grow, in that order within an event, and never text the final arguments
 * take back: what was streamed of the answer is a prefix of the answer
 * decoded from the whole arguments. */
#ifndef TESTS_FUZZ_LLM_H
#define TESTS_FUZZ_LLM_H

#include "fuzz.h"
#include "services/llm-caller/llm-caller.h"

struct llm_watch {
	struct llm_acc acc;
	char *seen; /* every chunk, in order */
	size_t seen_len, checked;
	size_t text_before, streamed_before;
	char *answer; /* the chunks that were answer text */
	size_t answer_len;
};

static void llm_watch_chunk(void *arg, const char *s, size_t n)
{
	struct llm_watch *w = arg;
	w->seen = realloc(w->seen, w->seen_len + n + 1);
	FUZZ_CHECK(w->seen != NULL);
	memcpy(w->seen + w->seen_len, s, n);
	w->seen_len += n;
}

static inline void llm_watch_init(struct llm_watch *w)
{
	memset(w, 0, sizeof(*w));
	llm_acc_init(&w->acc, llm_watch_chunk, w);
}

/* After one event. */
static inline void llm_watch_check(struct llm_watch *w)
{
	struct llm_acc *a = &w->acc;
	FUZZ_CHECK(a->text_len <= LLM_MAX_TEXT);
	FUZZ_CHECK(a->ncalls >= 0 && a->ncalls <= LLM_MAX_CALLS);
	FUZZ_CHECK(a->text_len == 0 || strlen(a->text) <= a->text_len);
	for (int i = 0; i < a->ncalls; i++) {
		FUZZ_CHECK(a->calls[i].args_len <= LLM_MAX_ARGS);
		FUZZ_CHECK(strlen(a->calls[i].args) == a->calls[i].args_len);
		for (int j = 0; j < i; j++)
			FUZZ_CHECK(a->calls[i].index != a->calls[j].index);
	}
	size_t text_new = a->text_len - w->text_before;
	size_t streamed = a->ncalls ? a->calls[0].streamed : 0;
	FUZZ_CHECK(streamed >= w->streamed_before);
	size_t ans_new = streamed - w->streamed_before;
	FUZZ_CHECK(w->seen_len - w->checked == text_new + ans_new);
	FUZZ_CHECK(!text_new || !memcmp(w->seen + w->checked, a->text + w->text_before, text_new));
	w->answer = realloc(w->answer, w->answer_len + ans_new + 1);
	FUZZ_CHECK(w->answer != NULL);
	if (ans_new)
		memcpy(w->answer + w->answer_len, w->seen + w->checked + text_new, ans_new);
	w->answer_len += ans_new;
	w->checked = w->seen_len;
	w->text_before = a->text_len;
	w->streamed_before = streamed;
}

/* At the end of the stream. */
static inline void llm_watch_finish(struct llm_watch *w)
{
	struct llm_acc *a = &w->acc;
	if (a->ncalls && w->answer_len) {
		char *t = llm_json_partial_string(a->calls[0].args, a->calls[0].args_len, "text");
		FUZZ_CHECK(t != NULL);
		FUZZ_CHECK(strlen(t) >= w->answer_len);
		FUZZ_CHECK(!memcmp(t, w->answer, w->answer_len));
		free(t);
	}
	llm_acc_release(a);
	free(w->seen);
	free(w->answer);
}

#endif
