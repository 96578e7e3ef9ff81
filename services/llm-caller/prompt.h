/* prompt: the tenant's L0 config and the prompt built from L0, L1 customer
 * context, history and L2 passages within a token budget. Pure. */
#ifndef SERVICES_LLM_CALLER_PROMPT_H
#define SERVICES_LLM_CALLER_PROMPT_H

#include "provider.h"

#define LLM_MAX_RULES 16

/* L0: who the assistant speaks for. */
struct llm_tenant {
	char name[128];
	char tone[512];
	char rules[LLM_MAX_RULES][512];
	int nrules;
};

/* Defaults for a tenant without a file. */
void llm_tenant_default(struct llm_tenant *t, const char *tenant_id);
/* Read DIR/<tenant_id>.conf: "name = ...", "tone = ...", "rule = ..."
 * (repeatable) lines, '#' comments. A missing file gives the defaults and
 * returns 1; 0 when read; -1 with errstr on a malformed file or a bad
 * tenant id. */
int llm_tenant_load(const char *dir, const char *tenant_id, struct llm_tenant *t, char errstr[256]);

/* Token estimate of text (about 4 bytes a token; a Han character counts
 * one). */
int llm_tokens(const char *s);

/* Build the prompt for turn within budget tokens: the system text holds L0,
 * the tool rules, L1 and the passages; messages hold the history and the
 * customer's message. Over budget, passages are dropped from the lowest
 * ranked down to one, then the oldest history entries, then the last
 * passage's text is cut. Fills *p (release with llm_prompt_release). */
void llm_prompt_build(const struct llm_tenant *t, const Chat__Turn *turn, int budget, struct llm_prompt *p);

#endif
