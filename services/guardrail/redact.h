/* redact: finds personal data in text (Malaysian NRIC, Malaysian phone
 * numbers, e-mail addresses, payment card numbers) and replaces each item
 * with a placeholder such as "[NRIC]", on whole texts and on streamed chunks.
 *
 * Input is UTF-8. Only ASCII digits are digits: full-width digits
 * (U+FF10..U+FF19) and other scripts' digits are treated as ordinary text,
 * so "９００１０１..." is not redacted. Invalid UTF-8 passes through byte by
 * byte. The rules (what counts as each kind, and what is deliberately left
 * alone: order numbers, prices, dates, SKUs) are in services/guardrail/README.md.
 *
 * Counts record kinds, never values: nothing here logs or keeps PII. */
#ifndef SERVICES_GUARDRAIL_REDACT_H
#define SERVICES_GUARDRAIL_REDACT_H

#include <stddef.h>
#include <stdio.h>

enum redact_kind { REDACT_NRIC, REDACT_PHONE, REDACT_EMAIL, REDACT_CARD, REDACT_NKINDS };

#define REDACT_MASK(k) (1u << (k))
#define REDACT_ALL ((1u << REDACT_NKINDS) - 1)

/* Bytes of already-released raw text a stream keeps as look-behind (order
 * context, "not inside a longer run"); and the most it ever holds back
 * beyond that while an item may still be incomplete (longest e-mail the
 * scanner reads ahead: 64 local + '@' + 253 domain, plus slack). */
#define REDACT_CTX 64
#define REDACT_HOLD_MAX 400

struct redact_counts {
	unsigned n[REDACT_NKINDS];
};

/* "nric", "phone", "email", "card": the names recorded in a verdict. */
const char *redact_kind_name(enum redact_kind k);
/* "[NRIC]", "[PHONE]", "[EMAIL]", "[CARD]". */
const char *redact_placeholder(enum redact_kind k);

/* Replace every item of the kinds in kinds_mask (REDACT_MASK bits, or
 * REDACT_ALL) in the NUL-terminated in. Returns a fresh heap string the
 * caller frees. When out is not NULL the number of items replaced per kind
 * is added to it (not reset first). */
char *redact_text(const char *in, unsigned kinds_mask, struct redact_counts *out);

/* redact_text, except that an e-mail address or phone number one of
 * keep[0..nkeep) states word for word stays (the retailer's own contact
 * details, in the passage an answer cites). NRIC and card numbers always
 * go. */
char *redact_text_keep(const char *in, unsigned kinds_mask, const char *const *keep, size_t nkeep,
		       struct redact_counts *out);

/* The same on len bytes (may contain no NUL; a NUL is ordinary text). */
char *redact_buf(const char *in, size_t len, unsigned kinds_mask, struct redact_counts *out);

/* Luhn check over the ASCII digits of s[0..len) (all must be digits). */
int redact_luhn(const char *digits, size_t len);
/* 1 when the 12 ASCII digits are a plausible NRIC: YYMMDD a real calendar
 * date (any year; 29 February allowed) and PB a place-of-birth code. */
int redact_nric_valid(const char *d12);
/* 1 when the two-digit place-of-birth code pb (0..99) is issued by JPN. */
int redact_nric_place_ok(int pb);

/* Streaming redaction: the concatenation of everything feed returns for a
 * text equals redact_text of the whole text, however it was cut into
 * chunks. Text that could still be the start of an item is held back until
 * the next chunk or the final one decides it (at most REDACT_HOLD_MAX
 * bytes), and output never ends inside a UTF-8 character. Embedded struct:
 * init / release. */
struct redact_stream {
	unsigned mask;
	char *buf;      /* [0, ctx) released look-behind, [ctx, len) held */
	size_t ctx;
	size_t len;
	size_t cap;
	struct redact_counts counts; /* items replaced so far */
};

void redact_stream_init(struct redact_stream *rs, unsigned kinds_mask);
/* Add len bytes of chunk (may be 0); is_final flushes everything held.
 * Returns the redacted text that is now safe to emit, a fresh heap string
 * (possibly "") the caller frees. After a final feed the stream is empty
 * and may be reused. */
char *redact_stream_feed(struct redact_stream *rs, const char *chunk, size_t len, int is_final);
/* Bytes currently held back (not yet emitted). */
size_t redact_stream_held(const struct redact_stream *rs);
void redact_stream_release(struct redact_stream *rs);

/* `guardrail --redact`: read lines from in, write each redacted (all kinds)
 * to out. Lines may be of any length. Returns 0, or -1 on a read or write
 * error. */
int redact_filter(FILE *in, FILE *out);

#endif
