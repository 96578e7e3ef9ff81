/* intent-classifier: labels a turn with intent, confidence and language.
 * This first version is a small rule set standing in for the trained
 * model: it knows greetings and requests for a person, and says so with a
 * low confidence for everything else. */
#ifndef SERVICES_INTENT_CLASSIFIER_H
#define SERVICES_INTENT_CLASSIFIER_H

#include "turn.h"

struct ic {
	const char *out_topic;
};

/* Guess the language of text: "zh" (Han characters), "ms" or "en". */
const char *ic_language(const char *text);
/* Intent and confidence for text. */
void ic_intent(const char *text, const char **intent, float *confidence);
/* turn_fn: fill intent, confidence and language; route to out_topic. */
int ic_process(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen);

#endif
