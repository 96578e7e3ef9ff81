/* llm-caller: writes the draft answer of a RAG turn. This first version has
 * one provider, "echo", which repeats the customer's message back: enough to
 * carry a turn through every stage until the grounded providers exist. */
#ifndef SERVICES_LLM_CALLER_H
#define SERVICES_LLM_CALLER_H

#include "turn.h"

struct llm {
	const char *out_topic;
	const char *provider;
};

/* turn_fn: fill the draft and route to out_topic. */
int llm_process(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen);

#endif
