/* eventstream: AWS event-stream frames, both CRCs, any split of the bytes. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "eventstream.h"
#include "../testutil.h"

TestSuite(eventstream, .fini = tu_leak_check);

struct got {
	int n;
	char event[8][64];
	char payload[8][256];
	int64_t ival;
};

static int collect(void *arg, const struct es_message *m)
{
	struct got *g = arg;
	size_t len = 0;
	const char *et = es_header_str(m, ":event-type", &len);
	if (g->n < 8) {
		snprintf(g->event[g->n], 64, "%.*s", et ? (int)len : 0, et ? et : "");
		snprintf(g->payload[g->n], 256, "%.*s", (int)m->payload_len, (const char *)m->payload);
	}
	for (size_t i = 0; i < m->nheaders; i++)
		if (m->headers[i].type == ES_INT || m->headers[i].type == ES_LONG)
			g->ival = m->headers[i].ival;
	g->n++;
	return 0;
}

/* The empty message of the format's reference tests: total 16, no headers,
 * prelude CRC 0x05c248eb, message CRC 0x7d98c8ff. */
static const unsigned char EMPTY[] = { 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00,
				       0x05, 0xc2, 0x48, 0xeb, 0x7d, 0x98, 0xc8, 0xff };

Test(eventstream, empty_message_vector)
{
	struct es_decoder d;
	struct got g = { 0 };
	char err[256] = "";
	es_decoder_init(&d);
	cr_assert_eq(es_feed(&d, EMPTY, sizeof(EMPTY), collect, &g, err), 0, "%s", err);
	cr_assert_eq(g.n, 1);
	cr_assert_str_eq(g.payload[0], "");
	cr_assert_eq(es_pending(&d), 0);
	es_decoder_release(&d);

	size_t len;
	unsigned char *enc = es_encode(NULL, NULL, 0, NULL, 0, &len);
	cr_assert_eq(len, sizeof(EMPTY));
	cr_assert_eq(memcmp(enc, EMPTY, len), 0, "the encoder writes the same bytes");
	free(enc);
}

/* Two Bedrock ConverseStream events back to back. */
static unsigned char *two_events(size_t *len)
{
	const char *names[] = { ":event-type", ":content-type", ":message-type" };
	const char *v1[] = { "contentBlockDelta", "application/json", "event" };
	const char *v2[] = { "messageStop", "application/json", "event" };
	const char *p1 = "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hello\"},\"p\":\"abcdefgh\"}";
	const char *p2 = "{\"stopReason\":\"tool_use\",\"p\":\"ab\"}";
	size_t l1, l2;
	unsigned char *a = es_encode(names, v1, 3, p1, strlen(p1), &l1);
	unsigned char *b = es_encode(names, v2, 3, p2, strlen(p2), &l2);
	unsigned char *all = malloc(l1 + l2);
	memcpy(all, a, l1);
	memcpy(all + l1, b, l2);
	free(a);
	free(b);
	*len = l1 + l2;
	return all;
}

Test(eventstream, split_at_every_byte)
{
	size_t len;
	unsigned char *all = two_events(&len);
	for (size_t cut = 0; cut <= len; cut++) {
		struct es_decoder d;
		struct got g = { 0 };
		char err[256] = "";
		es_decoder_init(&d);
		cr_assert_eq(es_feed(&d, all, cut, collect, &g, err), 0, "cut %zu: %s", cut, err);
		cr_assert_eq(es_feed(&d, all + cut, len - cut, collect, &g, err), 0, "cut %zu: %s", cut, err);
		cr_assert_eq(g.n, 2, "cut %zu", cut);
		cr_assert_str_eq(g.event[0], "contentBlockDelta");
		cr_assert_str_eq(g.event[1], "messageStop");
		cr_assert(strstr(g.payload[0], "\"Hello\""));
		es_decoder_release(&d);
	}
	/* One byte at a time. */
	struct es_decoder d;
	struct got g = { 0 };
	char err[256] = "";
	es_decoder_init(&d);
	for (size_t i = 0; i < len; i++)
		cr_assert_eq(es_feed(&d, all + i, 1, collect, &g, err), 0, "%s", err);
	cr_assert_eq(g.n, 2);
	es_decoder_release(&d);
	free(all);
}

Test(eventstream, corrupt_crcs_and_lengths_fail)
{
	size_t len;
	unsigned char *all = two_events(&len);
	char err[256] = "";
	struct got g = { 0 };
	struct es_decoder d;

	all[20] ^= 0x01; /* a header byte of the first frame */
	es_decoder_init(&d);
	cr_assert_eq(es_feed(&d, all, len, collect, &g, err), -1);
	cr_assert(strstr(err, "message CRC"), "%s", err);
	cr_assert_eq(g.n, 0, "nothing from a corrupt frame");
	cr_assert_eq(es_feed(&d, EMPTY, sizeof(EMPTY), collect, &g, err), -1, "stays failed");
	es_decoder_release(&d);
	all[20] ^= 0x01;

	all[9] ^= 0x80; /* the prelude CRC */
	es_decoder_init(&d);
	cr_assert_eq(es_feed(&d, all, len, collect, &g, err), -1);
	cr_assert(strstr(err, "prelude CRC"), "%s", err);
	es_decoder_release(&d);
	free(all);

	/* A prelude that claims 2 GB (with a correct prelude CRC). */
	unsigned char big[16];
	size_t blen;
	unsigned char *enc = es_encode(NULL, NULL, 0, NULL, 0, &blen);
	memcpy(big, enc, 16);
	free(enc);
	big[0] = 0x7f;
	uint32_t c = (uint32_t)crc32(0L, big, 8);
	big[8] = (unsigned char)(c >> 24), big[9] = (unsigned char)(c >> 16), big[10] = (unsigned char)(c >> 8),
	big[11] = (unsigned char)c;
	es_decoder_init(&d);
	cr_assert_eq(es_feed(&d, big, 16, collect, &g, err), -1);
	cr_assert(strstr(err, "out of bounds"), "%s", err);
	es_decoder_release(&d);
}

Test(eventstream, integer_headers_and_bad_types)
{
	/* Hand-built: one int32 header "n" = -2, payload "x". */
	unsigned char f[64];
	size_t hl = 1 + 1 + 1 + 4, total = 16 + hl + 1;
	memset(f, 0, sizeof(f));
	f[3] = (unsigned char)total;
	f[7] = (unsigned char)hl;
	uint32_t c = (uint32_t)crc32(0L, f, 8);
	f[8] = (unsigned char)(c >> 24), f[9] = (unsigned char)(c >> 16), f[10] = (unsigned char)(c >> 8),
	f[11] = (unsigned char)c;
	unsigned char *h = f + 12;
	h[0] = 1, h[1] = 'n', h[2] = ES_INT, h[3] = 0xff, h[4] = 0xff, h[5] = 0xff, h[6] = 0xfe;
	f[12 + hl] = 'x';
	c = (uint32_t)crc32(0L, f, total - 4);
	f[total - 4] = (unsigned char)(c >> 24), f[total - 3] = (unsigned char)(c >> 16),
		  f[total - 2] = (unsigned char)(c >> 8), f[total - 1] = (unsigned char)c;
	struct es_decoder d;
	struct got g = { 0 };
	char err[256] = "";
	es_decoder_init(&d);
	cr_assert_eq(es_feed(&d, f, total, collect, &g, err), 0, "%s", err);
	cr_assert_eq(g.n, 1);
	cr_assert_eq(g.ival, -2);
	cr_assert_str_eq(g.payload[0], "x");
	es_decoder_release(&d);

	/* Type 42 does not exist. */
	h[2] = 42;
	c = (uint32_t)crc32(0L, f, total - 4);
	f[total - 4] = (unsigned char)(c >> 24), f[total - 3] = (unsigned char)(c >> 16),
		  f[total - 2] = (unsigned char)(c >> 8), f[total - 1] = (unsigned char)c;
	es_decoder_init(&d);
	cr_assert_eq(es_feed(&d, f, total, collect, &g, err), -1);
	cr_assert(strstr(err, "unknown header type"), "%s", err);
	es_decoder_release(&d);
}

static int refuse(void *arg, const struct es_message *m)
{
	(void)m;
	++*(int *)arg;
	return -1; /* e.g. LLM_ETRANSPORT: a provider's code, not a bad frame */
}

/* A negative callback value comes back as it is, without an errstr, and
 * does not fail the decoder: only bad frames do. */
Test(eventstream, negative_callback_value_is_not_a_bad_frame)
{
	size_t len;
	unsigned char *f = es_encode(NULL, NULL, 0, "x", 1, &len);
	char err[256] = "";
	int calls = 0;
	struct es_decoder d;
	es_decoder_init(&d);
	cr_assert_eq(es_feed(&d, f, len, refuse, &calls, err), -1);
	cr_assert_eq(calls, 1);
	cr_assert_str_eq(err, "", "no decoder error: %s", err);
	struct got g = { 0 };
	cr_assert_eq(es_feed(&d, f, len, collect, &g, err), 0, "still usable: %s", err);
	cr_assert_eq(g.n, 1);
	cr_assert_str_eq(g.payload[0], "x");
	es_decoder_release(&d);
	free(f);
}
