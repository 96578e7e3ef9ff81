/* guardrail: checks a draft before the customer sees it. It declines turns
 * whose customer text is a prompt injection (injection.h), turns an LLM
 * answer that cites nothing or cites what was not retrieved for the turn
 * into a hand-off, redacts personal data (redact.h), drops sentences naming
 * a competitor (competitor.h) and corrects or removes prices that disagree
 * with the live catalog (price.h). Streamed chunks of a turn are held until
 * its draft has passed these checks (see README.md, "Streaming"). */
#ifndef SERVICES_GUARDRAIL_H
#define SERVICES_GUARDRAIL_H

#include <stdint.h>

#include "competitor.h"
#include "price.h"
#include "turn.h"

#define GUARD_MAX_STREAMS_DEFAULT 4096
#define GUARD_STREAM_TTL_S_DEFAULT 300

#define GUARD_HOLD_MAX (256 * 1024) /* bytes of a turn's stream held before its verdict */
#define GUARD_MAX_PRODUCTS 64

struct hmap;
struct icm;

/* The catalog, for the price check. */
struct guard_io {
	/* Products of tenant that text names: by one of skus[0..nskus) or by
	 * name (en, ms or zh). Up to max into out (names on the heap: the
	 * caller releases them). Returns how many, or -1 when the catalog
	 * cannot be reached. */
	int (*products)(void *arg, const char *tenant, const char *text, char skus[][GUARD_PRICE_SKU_MAX],
			size_t nskus, struct guard_product *out, size_t max);
	void *arg;
};

/* What the last guard_process decided about a turn's stream (the drafted
 * handler reads it right after to release or drop held chunks). */
struct guard_last {
	int valid;
	int release; /* 1: the stream may be shown; 0: it is cut */
	int streamed; /* the draft comes from a producer that streams */
	char turn_id[72];
	/* the rest of the ids the turn's stream state needs */
	char tenant_id[136];
	char session_id[136];
	int32_t reply_partition;
};

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
	/* Checks; each is off when its part is not set. */
	const struct icm *injection_model; /* borrowed */
	float injection_threshold;          /* > 1: injection check off */
	const struct guard_comp *competitors; /* borrowed */
	struct guard_io io;                 /* io.products NULL: no price check */
	struct guard_last last;
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
/* turn_fn: run every check on the draft (flags in verdict.flags:
 * prompt_injection, ungrounded_citation, missing_citation, pii_redacted,
 * competitor_removed, price_corrected, price_removed), redact NRIC and card
 * numbers from the customer's own text, route to out_topic. Returns
 * KSTAGE_EBLOCKED when the draft has prices and the catalog is down. */
int guard_process(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen);
/* kstage handler for chat.drafted.v1: guard_process through the turn
 * adapter, then release (redacted) or cut the turn's held stream. */
int guard_drafted(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen);
/* The polite decline for a prompt injection, in language (en, ms, zh). */
const char *guard_decline_text(const char *language);
/* kstage handler for chat.stream.raw.v1: validate a chunk and add it to its
 * turn's stream. Until the turn's draft has been checked nothing is
 * forwarded; after a pass, chunks go out redacted (same seq; the delta may
 * be shorter while an item is undecided, the final chunk carries the rest);
 * after a fail, they are swallowed. */
int guard_stream(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen);
/* Streams currently held (for tests and metrics). */
size_t guard_streams_open(const struct guard *g);

#endif
