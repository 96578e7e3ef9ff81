/* A Bedrock ConverseStream answer: the input is events separated by NUL
 * bytes, each "eventType\npayload" (a leading '!' makes it an exception
 * message), framed with es_encode and decoded by the event-stream decoder
 * in pseudo-random splits (first byte) into llm_bedrock_event, as the
 * provider does. See fuzz_llm.h for what is checked after each event. */
#include "fuzz_llm.h"
#include "common/eventstream.h"

struct run {
	struct llm_watch w;
	int done;
	char err[256];
};

static int on_message(void *arg, const struct es_message *m)
{
	struct run *r = arg;
	int rc = llm_bedrock_event(&r->w.acc, m, &r->done, r->err);
	FUZZ_CHECK(rc == 0 || rc == LLM_EPROTOCOL || rc == LLM_ETRANSPORT);
	FUZZ_CHECK(rc == 0 || r->err[0]);
	llm_watch_check(&r->w);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned seed = 1u + data[0];
	char *in = fuzz_cstr(data + 1, size - 1);
	const char *p = in, *end = in + size - 1;
	unsigned char *stream = NULL;
	size_t slen = 0;
	for (;;) {
		size_t n = strlen(p);
		const char *nl = memchr(p, '\n', n);
		size_t tl = nl ? (size_t)(nl - p) : n;
		char type[64];
		int exc = tl && p[0] == '!';
		size_t off = exc ? 1 : 0, k = tl - off < sizeof(type) - 1 ? tl - off : sizeof(type) - 1;
		memcpy(type, p + off, k);
		type[k] = '\0';
		const char *payload = nl ? nl + 1 : p + n;
		const char *names[] = { exc ? ":exception-type" : ":event-type", ":message-type", ":content-type" };
		const char *values[] = { type, exc ? "exception" : "event", "application/json" };
		size_t fl = 0;
		unsigned char *f = es_encode(names, values, 3, payload, (size_t)(p + n - payload), &fl);
		FUZZ_CHECK(f != NULL);
		stream = realloc(stream, slen + fl);
		FUZZ_CHECK(stream != NULL);
		memcpy(stream + slen, f, fl);
		slen += fl;
		free(f);
		if (p + n >= end)
			break;
		p += n + 1;
	}
	free(in);

	struct run r;
	memset(&r, 0, sizeof(r));
	llm_watch_init(&r.w);
	struct es_decoder d;
	es_decoder_init(&d);
	char err[256] = "";
	int rc = 0;
	for (size_t off = 0; off < slen && rc == 0 && !r.done;) {
		seed = seed * 1103515245u + 12345u;
		size_t step = 1 + (seed >> 16) % 257, n = slen - off < step ? slen - off : step;
		rc = es_feed(&d, stream + off, n, on_message, &r, err);
		/* Frames we encoded always decode: a stop is the event's error. */
		FUZZ_CHECK(rc == 0 || (!err[0] && r.err[0]));
		off += n;
	}
	es_decoder_release(&d);
	free(stream);
	llm_watch_finish(&r.w);
	return 0;
}
