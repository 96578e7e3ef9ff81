/* eventstream: the application/vnd.amazon.eventstream framing (Bedrock
 * ConverseStream, Transcribe, S3 Select): an incremental decoder that checks
 * the prelude CRC and the message CRC (CRC-32, as zlib computes it), and an
 * encoder for test servers. Pure: bytes in, messages out. */
#ifndef COMMON_EVENTSTREAM_H
#define COMMON_EVENTSTREAM_H

#include <stddef.h>
#include <stdint.h>

#define ES_PRELUDE_LEN 12
#define ES_MIN_FRAME 16             /* prelude + message CRC */
#define ES_MAX_FRAME (1u << 20)     /* larger frames are an error (AWS caps at 16 MB; we need far less) */
#define ES_MAX_HEADERS 32

enum es_type {
	ES_BOOL_TRUE = 0,
	ES_BOOL_FALSE = 1,
	ES_BYTE = 2,
	ES_SHORT = 3,
	ES_INT = 4,
	ES_LONG = 5,
	ES_BYTES = 6,
	ES_STRING = 7,
	ES_TIMESTAMP = 8,
	ES_UUID = 9,
};

struct es_header {
	const char *name; /* not NUL-terminated: name_len bytes */
	size_t name_len;
	enum es_type type;
	const unsigned char *value; /* raw value bytes (big-endian integers) */
	size_t value_len;
	int64_t ival; /* integer types, timestamps and bools (1/0) */
};

/* One decoded message; the pointers live until the callback returns. */
struct es_message {
	struct es_header headers[ES_MAX_HEADERS];
	size_t nheaders;
	const unsigned char *payload;
	size_t payload_len;
};

/* Called per message; a non-zero return stops es_feed, which returns it. */
typedef int (*es_message_fn)(void *arg, const struct es_message *m);

struct es_decoder {
	unsigned char *buf;
	size_t len, cap;
	int failed; /* after an error every feed fails */
};

void es_decoder_init(struct es_decoder *d);
void es_decoder_release(struct es_decoder *d);

/* Feed len bytes (any split, even one byte at a time); calls fn for each
 * complete message. Returns 0; the callback's non-zero value as it is (the
 * rest of buf is not read; the decoder stays usable); or -1 with
 * errstr on a bad frame (length out of bounds, prelude CRC, message CRC,
 * malformed headers), after which the decoder stays failed. */
int es_feed(struct es_decoder *d, const void *buf, size_t len, es_message_fn fn, void *arg, char errstr[256]);

/* Bytes held that are not yet a whole message (0 at a clean end of stream). */
size_t es_pending(const struct es_decoder *d);

/* The value of a string header called name (value not NUL-terminated, its
 * length into *len), or NULL. */
const char *es_header_str(const struct es_message *m, const char *name, size_t *len);

/* Encode one message with string headers (names[i] = values[i], n of them)
 * into a fresh heap buffer (caller frees); *len gets its size. */
unsigned char *es_encode(const char *const *names, const char *const *values, size_t n, const void *payload,
			 size_t payload_len, size_t *len);

#endif
