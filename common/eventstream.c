/* eventstream: incremental decoder and encoder of AWS event-stream frames. */
#include "eventstream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "util.h"

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t crc(const unsigned char *p, size_t n)
{
	return (uint32_t)crc32(0L, p, (uInt)n);
}

void es_decoder_init(struct es_decoder *d)
{
	memset(d, 0, sizeof(*d));
}

void es_decoder_release(struct es_decoder *d)
{
	free(d->buf);
	memset(d, 0, sizeof(*d));
}

size_t es_pending(const struct es_decoder *d)
{
	return d->len;
}

static int parse_headers(const unsigned char *p, size_t n, struct es_message *m, char errstr[256])
{
	size_t i = 0;
	m->nheaders = 0;
	while (i < n) {
		if (m->nheaders >= ES_MAX_HEADERS) {
			snprintf(errstr, 256, "event-stream: more than %d headers", ES_MAX_HEADERS);
			return -1;
		}
		struct es_header *h = &m->headers[m->nheaders];
		size_t nl = p[i++];
		if (nl == 0 || i + nl + 1 > n) {
			snprintf(errstr, 256, "event-stream: header name overruns the headers");
			return -1;
		}
		h->name = (const char *)p + i;
		h->name_len = nl;
		i += nl;
		h->type = (enum es_type)p[i++];
		size_t vl;
		switch (h->type) {
		case ES_BOOL_TRUE:
		case ES_BOOL_FALSE: vl = 0; break;
		case ES_BYTE: vl = 1; break;
		case ES_SHORT: vl = 2; break;
		case ES_INT: vl = 4; break;
		case ES_LONG:
		case ES_TIMESTAMP: vl = 8; break;
		case ES_UUID: vl = 16; break;
		case ES_BYTES:
		case ES_STRING:
			if (i + 2 > n) {
				snprintf(errstr, 256, "event-stream: header value length overruns the headers");
				return -1;
			}
			vl = (size_t)p[i] << 8 | p[i + 1];
			i += 2;
			break;
		default:
			snprintf(errstr, 256, "event-stream: unknown header type %d", (int)h->type);
			return -1;
		}
		if (i + vl > n) {
			snprintf(errstr, 256, "event-stream: header \"%.*s\" value overruns the headers", (int)nl, h->name);
			return -1;
		}
		h->value = p + i;
		h->value_len = vl;
		h->ival = h->type == ES_BOOL_TRUE;
		if (h->type >= ES_BYTE && h->type <= ES_LONG) {
			uint64_t v = 0;
			for (size_t k = 0; k < vl; k++)
				v = v << 8 | p[i + k];
			/* sign-extend from vl bytes */
			if (vl < 8 && (v >> (vl * 8 - 1)) & 1)
				v |= ~(uint64_t)0 << (vl * 8);
			h->ival = (int64_t)v;
		} else if (h->type == ES_TIMESTAMP) {
			uint64_t v = 0;
			for (size_t k = 0; k < 8; k++)
				v = v << 8 | p[i + k];
			h->ival = (int64_t)v;
		}
		i += vl;
		m->nheaders++;
	}
	return 0;
}

/* Decode the whole frame at p (its length checked by the caller): -1 with
 * errstr when it is malformed, else 0 with the callback's value in *cb. */
static int decode_frame(const unsigned char *p, size_t total, es_message_fn fn, void *arg, int *cb,
			char errstr[256])
{
	uint32_t hlen = be32(p + 4);
	if (crc(p, 8) != be32(p + 8)) {
		snprintf(errstr, 256, "event-stream: prelude CRC mismatch");
		return -1;
	}
	if (crc(p, total - 4) != be32(p + total - 4)) {
		snprintf(errstr, 256, "event-stream: message CRC mismatch");
		return -1;
	}
	if ((size_t)hlen > total - ES_MIN_FRAME) {
		snprintf(errstr, 256, "event-stream: headers length %u exceeds the frame", (unsigned)hlen);
		return -1;
	}
	struct es_message m;
	if (parse_headers(p + ES_PRELUDE_LEN, hlen, &m, errstr) < 0)
		return -1;
	m.payload = p + ES_PRELUDE_LEN + hlen;
	m.payload_len = total - ES_MIN_FRAME - hlen;
	*cb = fn ? fn(arg, &m) : 0;
	return 0;
}

int es_feed(struct es_decoder *d, const void *buf, size_t len, es_message_fn fn, void *arg, char errstr[256])
{
	const unsigned char *in = buf;
	if (d->failed) {
		snprintf(errstr, 256, "event-stream: decoder failed earlier");
		return -1;
	}
	while (len > 0 || d->len >= ES_PRELUDE_LEN) {
		/* Fill up to the prelude, then up to the whole frame. */
		size_t want = ES_PRELUDE_LEN;
		if (d->len >= ES_PRELUDE_LEN) {
			uint32_t total = be32(d->buf);
			if (crc(d->buf, 8) != be32(d->buf + 8)) {
				snprintf(errstr, 256, "event-stream: prelude CRC mismatch");
				d->failed = 1;
				return -1;
			}
			if (total < ES_MIN_FRAME || total > ES_MAX_FRAME) {
				snprintf(errstr, 256, "event-stream: frame length %u out of bounds", (unsigned)total);
				d->failed = 1;
				return -1;
			}
			want = total;
		}
		if (d->len < want) {
			if (len == 0)
				break;
			if (d->cap < want) {
				d->cap = want < 1024 ? 1024 : want;
				d->buf = xrealloc(d->buf, d->cap);
			}
			size_t take = want - d->len < len ? want - d->len : len;
			memcpy(d->buf + d->len, in, take);
			d->len += take;
			in += take;
			len -= take;
			continue;
		}
		if (want == ES_PRELUDE_LEN)
			continue; /* prelude complete: loop computes the frame size */
		int cb = 0;
		int rc = decode_frame(d->buf, want, fn, arg, &cb, errstr);
		d->len = 0;
		if (rc < 0) {
			d->failed = 1;
			return -1;
		}
		/* The callback's value as it is, negative too (a provider's
		 * error code): the frame itself was fine. */
		if (cb)
			return cb;
	}
	return 0;
}

const char *es_header_str(const struct es_message *m, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < m->nheaders; i++) {
		const struct es_header *h = &m->headers[i];
		if (h->type == ES_STRING && h->name_len == nl && memcmp(h->name, name, nl) == 0) {
			*len = h->value_len;
			return (const char *)h->value;
		}
	}
	return NULL;
}

unsigned char *es_encode(const char *const *names, const char *const *values, size_t n, const void *payload,
			 size_t payload_len, size_t *len)
{
	size_t hlen = 0;
	for (size_t i = 0; i < n; i++)
		hlen += 1 + strlen(names[i]) + 1 + 2 + strlen(values[i]);
	size_t total = ES_MIN_FRAME + hlen + payload_len;
	unsigned char *p = xmalloc(total);
	put32(p, (uint32_t)total);
	put32(p + 4, (uint32_t)hlen);
	put32(p + 8, crc(p, 8));
	size_t o = ES_PRELUDE_LEN;
	for (size_t i = 0; i < n; i++) {
		size_t nl = strlen(names[i]), vl = strlen(values[i]);
		p[o++] = (unsigned char)nl;
		memcpy(p + o, names[i], nl);
		o += nl;
		p[o++] = ES_STRING;
		p[o++] = (unsigned char)(vl >> 8);
		p[o++] = (unsigned char)vl;
		memcpy(p + o, values[i], vl);
		o += vl;
	}
	if (payload_len)
		memcpy(p + o, payload, payload_len);
	o += payload_len;
	put32(p + o, crc(p, o));
	*len = total;
	return p;
}
