/* retriever: attaches knowledge-base passages to a turn. This first
 * version has no index yet and attaches none, which downstream stages must
 * treat as "nothing to ground an answer on". */
#ifndef SERVICES_RETRIEVER_H
#define SERVICES_RETRIEVER_H

#include "turn.h"

struct retr {
	const char *out_topic;
	int top_k;
};

/* turn_fn: fill passages (at most top_k) and route to out_topic. */
int retr_process(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen);

#endif
