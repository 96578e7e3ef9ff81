/* The application/vnd.amazon.eventstream decoder (common/eventstream.c).
 * The input after the first byte is split at NUL bytes; every piece but the
 * last is encoded as one valid frame (es_encode: an :event-type header from
 * the piece's start, the rest as payload) and the last piece follows as raw
 * bytes, so both well-formed frames and damaged ones (the fuzzer's
 * mutations of seeds) are decoded. The stream fed whole and fed in
 * pseudo-random splits (seeded by the first byte) gives the same messages
 * and the same result; the encoded frames come back exactly as encoded, in
 * order. */
#include "fuzz.h"
#include "common/eventstream.h"

struct log {
	unsigned char *buf;
	size_t len, cap;
	size_t msgs;
};

static void add(struct log *l, const void *p, size_t n)
{
	if (l->len + n + 1 > l->cap) {
		l->cap = 2 * (l->len + n + 1) + 256;
		l->buf = realloc(l->buf, l->cap);
		FUZZ_CHECK(l->buf != NULL);
	}
	if (n)
		memcpy(l->buf + l->len, p, n);
	l->len += n;
}

static int on_message(void *arg, const struct es_message *m)
{
	struct log *l = arg;
	FUZZ_CHECK(m->nheaders <= ES_MAX_HEADERS);
	add(l, &m->nheaders, sizeof(m->nheaders));
	for (size_t i = 0; i < m->nheaders; i++) {
		const struct es_header *h = &m->headers[i];
		FUZZ_CHECK(h->name_len > 0 && h->name_len < 256);
		FUZZ_CHECK(h->type >= ES_BOOL_TRUE && h->type <= ES_UUID);
		add(l, &h->name_len, sizeof(h->name_len));
		add(l, h->name, h->name_len);
		add(l, &h->type, sizeof(h->type));
		add(l, &h->value_len, sizeof(h->value_len));
		add(l, h->value, h->value_len);
		add(l, &h->ival, sizeof(h->ival));
	}
	add(l, &m->payload_len, sizeof(m->payload_len));
	add(l, m->payload, m->payload_len);
	l->msgs++;
	return 0;
}

static int run(const unsigned char *in, size_t size, unsigned seed, struct log *l, size_t *pending)
{
	struct es_decoder d;
	es_decoder_init(&d);
	char err[256];
	int rc = 0;
	for (size_t off = 0; off < size && rc == 0;) {
		size_t n = size - off;
		if (seed) {
			seed = seed * 1103515245u + 12345u;
			size_t step = 1 + (seed >> 16) % 61;
			n = n < step ? n : step;
		}
		rc = es_feed(&d, in + off, n, on_message, l, err);
		off += n;
	}
	if (rc) {
		FUZZ_CHECK(rc == -1 && err[0]);
		FUZZ_CHECK(es_feed(&d, "", 0, on_message, l, err) == -1); /* stays failed */
	}
	*pending = es_pending(&d);
	es_decoder_release(&d);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned seed = 1u + data[0];
	const unsigned char *p = data + 1, *end = data + size;
	unsigned char *stream = NULL;
	size_t slen = 0, frames = 0;
	char (*types)[24] = NULL;
	const unsigned char **payloads = NULL;
	size_t *plens = NULL;
	for (;;) {
		const unsigned char *z = memchr(p, '\0', (size_t)(end - p));
		if (!z || frames == 64)
			break;
		size_t n = (size_t)(z - p), tl = n < 23 ? n : 23;
		types = realloc(types, (frames + 1) * sizeof(*types));
		payloads = realloc(payloads, (frames + 1) * sizeof(*payloads));
		plens = realloc(plens, (frames + 1) * sizeof(*plens));
		FUZZ_CHECK(types && payloads && plens);
		memcpy(types[frames], p, tl);
		types[frames][tl] = '\0';
		payloads[frames] = p + tl;
		plens[frames] = n - tl;
		const char *names[] = { ":event-type", ":message-type" };
		const char *values[] = { types[frames], "event" };
		size_t fl = 0;
		unsigned char *f = es_encode(names, values, 2, p + tl, n - tl, &fl);
		FUZZ_CHECK(f != NULL && fl >= ES_MIN_FRAME);
		stream = realloc(stream, slen + fl + (size_t)(end - p));
		FUZZ_CHECK(stream != NULL);
		memcpy(stream + slen, f, fl);
		slen += fl;
		free(f);
		frames++;
		p = z + 1;
	}
	stream = realloc(stream, slen + (size_t)(end - p) + 1);
	FUZZ_CHECK(stream != NULL);
	memcpy(stream + slen, p, (size_t)(end - p));
	slen += (size_t)(end - p);

	struct log whole = { 0 }, split = { 0 };
	size_t pw = 0, ps = 0;
	int a = run(stream, slen, 0, &whole, &pw);
	int b = run(stream, slen, seed, &split, &ps);
	FUZZ_CHECK(a == b);
	FUZZ_CHECK(whole.msgs == split.msgs && whole.len == split.len);
	FUZZ_CHECK(!whole.len || !memcmp(whole.buf, split.buf, whole.len));
	if (a == 0)
		FUZZ_CHECK(pw == ps);
	/* The encoded frames decode to what was encoded. */
	FUZZ_CHECK(whole.msgs >= frames);
	struct log want = { 0 };
	for (size_t i = 0; i < frames; i++) {
		struct es_message m;
		memset(&m, 0, sizeof(m));
		m.nheaders = 2;
		m.headers[0] = (struct es_header){ ":event-type", 11, ES_STRING, (const unsigned char *)types[i],
						   strlen(types[i]), 0 };
		m.headers[1] = (struct es_header){ ":message-type", 13, ES_STRING, (const unsigned char *)"event", 5, 0 };
		m.payload = payloads[i];
		m.payload_len = plens[i];
		on_message(&want, &m);
	}
	FUZZ_CHECK(want.len <= whole.len && (!want.len || !memcmp(want.buf, whole.buf, want.len)));
	free(want.buf);
	free(whole.buf);
	free(split.buf);
	free(stream);
	free(types);
	free(payloads);
	free(plens);
	return 0;
}
