/* An OpenAI-compatible chat completion stream, as bytes from the socket:
 * the SSE parser, then llm_openai_event for each event's data (delta text
 * and tool-call fragments reassembled by index). See fuzz_llm.h for what is
 * checked after each event. */
#include "fuzz_llm.h"
#include "services/llm-caller/sse.h"

struct run {
	struct llm_watch w;
	int done;
	char err[256];
};

static int on_event(void *arg, const char *event, const char *data, size_t len)
{
	struct run *r = arg;
	FUZZ_CHECK(data[len] == '\0');
	int rc = llm_openai_event(&r->w.acc, data, len, &r->done, r->err);
	FUZZ_CHECK(rc == 0 || rc == LLM_EPROTOCOL || rc == LLM_ETRANSPORT);
	FUZZ_CHECK(rc == 0 || r->err[0]);
	llm_watch_check(&r->w);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run r;
	memset(&r, 0, sizeof(r));
	llm_watch_init(&r.w);
	struct sse_parser p;
	sse_init(&p);
	char err[256];
	sse_feed(&p, (const char *)data, size, on_event, &r, err);
	sse_feed(&p, "\n\n", 2, on_event, &r, err); /* the end of the stream ends the last event */
	sse_release(&p);
	llm_watch_finish(&r.w);
	return 0;
}
