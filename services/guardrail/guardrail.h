/* guardrail: checks a draft before the customer sees it. This first version
 * enforces one rule, that an answer may cite only passages retrieved for the
 * same turn (else it becomes a hand-off), and passes stream chunks through. */
#ifndef SERVICES_GUARDRAIL_H
#define SERVICES_GUARDRAIL_H

#include "turn.h"

struct guard {
	const char *out_topic;
	const char *stream_topic;
};

/* turn_fn: check the draft, fill the verdict, route to out_topic. */
int guard_process(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen);
/* kstage handler for chat.stream.raw.v1: validate and forward a chunk. */
int guard_stream(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen);

#endif
