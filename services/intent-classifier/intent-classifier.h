/* intent-classifier: labels a turn with intent, confidence, language and
 * entities. The intent comes from a trained model (model.h) loaded at start;
 * a low confidence is passed on for the orchestrator to ask a clarifying
 * question, the label is always the model's best guess. */
#ifndef SERVICES_INTENT_CLASSIFIER_H
#define SERVICES_INTENT_CLASSIFIER_H

#include <stdio.h>

#include "entities.h"
#include "model.h"
#include "turn.h"

struct ic {
	const char *out_topic;
	const struct icm *model;     /* not owned */
	const struct ent_stores *stores; /* may be NULL: no store names */
	float min_confidence;        /* below it the turn is logged as uncertain */
};

/* Guess the language of text: "zh" when Han characters are at least as many
 * as Latin words, else "ms" when Malay words carry the message, else "en". */
const char *ic_language(const char *text);
/* Intent and confidence for text from the model (intent points into it). */
void ic_intent(const struct icm *model, const char *text, const char **intent, float *confidence);
/* turn_fn: fill intent, confidence, language and entities (replacing what a
 * replay left); route to out_topic. */
int ic_process(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen);
/* The --classify loop: one message per line of in, `intent<TAB>confidence
 * <TAB>language` per line of out. Returns the number of lines. */
long ic_classify_stream(const struct icm *model, FILE *in, FILE *out);

#endif
