/* injection: how likely a customer's message is an attempt to steer the
 * assistant away from its instructions (prompt injection). Two parts,
 * combined as independent evidence, score = 1 - (1 - rules)(1 - model):
 *   - rules: hand-written phrase families (instruction override, prompt
 *     extraction, role-play and persona switches, authority claims,
 *     chat-markup delimiters, encoded payloads), in English, Malay,
 *     Chinese and German, matched on a normalized text and again after
 *     undoing leetspeak and spaced-out letters; a base64 run is decoded and
 *     scored too;
 *   - model: a logistic regression over hashed word and character n-grams
 *     (the intent classifier's learner, services/intent-classifier/model.h)
 *     trained by `intent-train` on services/guardrail/data/injection.tsv,
 *     labels "injection" and "benign".
 * Both are pure functions of the text (and the model), safe to fuzz. */
#ifndef SERVICES_GUARDRAIL_INJECTION_H
#define SERVICES_GUARDRAIL_INJECTION_H

#include <stddef.h>
#include <stdio.h>

#define GUARD_INJECTION_THRESHOLD_DEFAULT 0.5f
#define GUARD_INJECTION_MAX_TEXT 4096 /* bytes of a message that are scored */

struct icm;

/* The rule score of len bytes of text (any bytes; invalid UTF-8 is
 * tolerated), in [0,1]; 0 when no rule fires. */
float guard_injection_rules(const char *text, size_t len);
/* The model's probability of label "injection" for text (NUL-terminated),
 * or 0 when model is NULL or has no such label. */
float guard_injection_model(const struct icm *model, const char *text);
/* The combined score in [0,1] (model may be NULL: rules only). */
float guard_injection_score(const struct icm *model, const char *text, size_t len);

/* `guardrail --injection`: for each line of in, write
 * `score<TAB>flag` (flag 1 when score > threshold) to out. Returns 0, or
 * -1 on a write error. */
int guard_injection_filter(const struct icm *model, float threshold, FILE *in, FILE *out);

#endif
