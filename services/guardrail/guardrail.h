/* guardrail: checks a draft before the customer sees it. It enforces that
 * an answer cites only passages retrieved for the same turn (else it becomes
 * a hand-off), and redacts personal data (NRIC, phone, e-mail, card; see
 * redact.h) from drafts and from streamed chunks. */
#ifndef SERVICES_GUARDRAIL_H
#define SERVICES_GUARDRAIL_H

#include <stdint.h>

#include "turn.h"

#define GUARD_MAX_STREAMS_DEFAULT 4096
#define GUARD_STREAM_TTL_S_DEFAULT 300

struct hmap;

struct guard {
	const char *out_topic;
	const char *stream_topic;
	/* Redaction state of turns being streamed, keyed by turn_id. Bounded:
	 * a turn's state goes on its final chunk, after stream_ttl_us without
	 * a chunk, or (the least recently fed first) when max_streams are
	 * held. Set up by guard_init. */
	struct hmap *streams;
	size_t max_streams;
	int64_t stream_ttl_us;
};

/* Fill g (topics are borrowed, not copied). */
void guard_init(struct guard *g, const char *out_topic, const char *stream_topic, size_t max_streams,
		long stream_ttl_s);
/* Free the stream states. */
void guard_release(struct guard *g);

/* The kinds of personal data to redact from a draft (redact.h mask bits):
 * all of them, except phone numbers in answers the orchestrator composed
 * from the retailer's own records (its stores' published numbers). */
unsigned guard_redact_mask(const Chat__Draft *draft);
/* turn_fn: check the draft, redact personal data from its text (kinds in
 * verdict.redactions, flag "pii_redacted"), fill the verdict, route to
 * out_topic. */
int guard_process(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen);
/* kstage handler for chat.stream.raw.v1: validate a chunk, redact it as part
 * of its turn's stream and forward what is safe to show. Each chunk yields
 * one chunk with the same seq whose delta may be shorter (text held back
 * until the next chunk decides it) or empty; the final chunk carries the
 * rest. */
int guard_stream(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen);
/* Streams currently held (for tests and metrics). */
size_t guard_streams_open(const struct guard *g);

#endif
