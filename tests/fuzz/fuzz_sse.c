/* The text/event-stream parser of the LLM caller. The same bytes fed whole
 * and fed in pseudo-random splits (the first byte seeds them; \r\n may be
 * cut between its two bytes) give the same events, in order, and fail at
 * the same point; each event's type and data are NUL-terminated and
 * within their bounds. */
#include "fuzz.h"
#include "services/llm-caller/sse.h"

struct log {
	char *buf;
	size_t len;
	size_t events;
};

static int on_event(void *arg, const char *event, const char *data, size_t len)
{
	struct log *l = arg;
	size_t el = strlen(event);
	FUZZ_CHECK(el > 0 && el < 64);
	FUZZ_CHECK(data[len] == '\0');
	FUZZ_CHECK(len <= SSE_MAX_DATA);
	l->buf = realloc(l->buf, l->len + el + len + 2 + sizeof(size_t));
	FUZZ_CHECK(l->buf != NULL);
	memcpy(l->buf + l->len, event, el + 1);
	l->len += el + 1;
	memcpy(l->buf + l->len, &len, sizeof(len));
	l->len += sizeof(len);
	memcpy(l->buf + l->len, data, len);
	l->len += len;
	l->events++;
	return 0;
}

static int run(const char *in, size_t size, unsigned seed, struct log *l)
{
	struct sse_parser p;
	sse_init(&p);
	char err[256];
	int rc = 0;
	for (size_t off = 0; off < size && rc == 0;) {
		size_t n = size - off;
		if (seed) {
			seed = seed * 1103515245u + 12345u;
			size_t step = 1 + (seed >> 16) % 97;
			n = n < step ? n : step;
		}
		rc = sse_feed(&p, in + off, n, on_event, l, err);
		off += n;
	}
	if (rc == 0)
		rc = sse_feed(&p, "\n\n", 2, on_event, l, err);
	if (rc) {
		FUZZ_CHECK(rc == -1 && err[0]);
		FUZZ_CHECK(sse_feed(&p, "\n", 1, on_event, l, err) == -1); /* stays failed */
	}
	sse_release(&p);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned seed = 1u + data[0];
	struct log whole = { 0 }, split = { 0 };
	int a = run((const char *)data + 1, size - 1, 0, &whole);
	int b = run((const char *)data + 1, size - 1, seed, &split);
	FUZZ_CHECK(a == b);
	FUZZ_CHECK(whole.events == split.events);
	FUZZ_CHECK(whole.len == split.len);
	FUZZ_CHECK(!whole.len || !memcmp(whole.buf, split.buf, whole.len));
	free(whole.buf);
	free(split.buf);
	return 0;
}
