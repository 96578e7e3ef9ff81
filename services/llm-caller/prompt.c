/* prompt: L0 tenant config and the token-budgeted prompt. */
#include "prompt.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void llm_tenant_default(struct llm_tenant *t, const char *tenant_id)
{
	memset(t, 0, sizeof(*t));
	util_strlcpy(t->name, tenant_id && *tenant_id ? tenant_id : "the store", sizeof(t->name));
	util_strlcpy(t->tone, "friendly, concise and factual", sizeof(t->tone));
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

int llm_tenant_load(const char *dir, const char *tenant_id, struct llm_tenant *t, char errstr[256])
{
	llm_tenant_default(t, tenant_id);
	if (!util_valid_id(tenant_id, 64) || strchr(tenant_id, '.')) {
		snprintf(errstr, 256, "tenant id \"%.64s\" cannot name a config file", tenant_id);
		return -1;
	}
	char path[1024], line[1024];
	snprintf(path, sizeof(path), "%s/%s.conf", dir, tenant_id);
	FILE *f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return 1;
		snprintf(errstr, 256, "cannot read \"%.160s\": %s", path, strerror(errno));
		return -1;
	}
	int rc = 0, lineno = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *l = trim(line);
		if (!*l || *l == '#')
			continue;
		char *eq = strchr(l, '=');
		if (!eq) {
			snprintf(errstr, 256, "%.160s:%d: expected key = value", path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		char *k = trim(l), *v = trim(eq + 1);
		if (!strcmp(k, "name"))
			util_strlcpy(t->name, v, sizeof(t->name));
		else if (!strcmp(k, "tone"))
			util_strlcpy(t->tone, v, sizeof(t->tone));
		else if (!strcmp(k, "rule") && t->nrules < LLM_MAX_RULES)
			util_strlcpy(t->rules[t->nrules++], v, sizeof(t->rules[0]));
		else if (strcmp(k, "rule")) {
			snprintf(errstr, 256, "%.160s:%d: unknown key \"%.40s\"", path, lineno, k);
			rc = -1;
			break;
		}
	}
	fclose(f);
	return rc;
}

int llm_tokens(const char *s)
{
	size_t bytes = 0, han = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0xe3 && *p <= 0xe9) { /* most CJK ideographs: 3-byte sequences */
			han++;
			p += (p[1] && p[2]) ? 2 : 0;
			continue;
		}
		bytes++;
	}
	return (int)((bytes + 3) / 4 + han);
}

void llm_prompt_release(struct llm_prompt *p)
{
	free(p->system);
	for (size_t i = 0; i < p->nmsgs; i++)
		free(p->msgs[i].text);
	free(p->msgs);
	memset(p, 0, sizeof(*p));
}

/* A growable string for prompt text (bounded by the budget upstream). */
struct pbuf {
	char *s;
	size_t len;
};

static void pb_add(struct pbuf *b, const char *s)
{
	size_t n = strlen(s);
	b->s = xrealloc(b->s, b->len + n + 1);
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

static void pb_addf(struct pbuf *b, const char *fmt, const char *a)
{
	char *s = xasprintf(fmt, a);
	pb_add(b, s);
	free(s);
}

static char *system_text(const struct llm_tenant *t, const Chat__Turn *turn, size_t npass, size_t cut_last)
{
	struct pbuf b = { NULL, 0 };
	pb_addf(&b, "You are the customer-service assistant of %s. ", t->name);
	pb_addf(&b, "Tone: %s.\n", t->tone);
	pb_add(&b, "Reply only by calling exactly one tool: answer(citation_id, text) with facts taken only "
		   "from one passage below and that passage's id (write citation_id first); clarify(question) when "
		   "the passages do not cover the question; hand_off(reason) when a person must help; "
		   "decline(reason) for requests out of scope. Never invent prices, dates, policies or ids. ");
	if (turn->language && *turn->language)
		pb_addf(&b, "Answer in the customer's language (%s).\n", turn->language);
	else
		pb_add(&b, "Answer in the customer's language.\n");
	for (int i = 0; i < t->nrules; i++)
		pb_addf(&b, "Rule: %s\n", t->rules[i]);
	const Chat__CustomerContext *cx = turn->context;
	if (cx && ((cx->name && *cx->name) || cx->n_recent_orders)) {
		pb_add(&b, "\nCustomer:");
		if (cx->name && *cx->name)
			pb_addf(&b, " name %s;", cx->name);
		if (cx->loyalty_tier && *cx->loyalty_tier)
			pb_addf(&b, " tier %s;", cx->loyalty_tier);
		for (size_t i = 0; i < cx->n_recent_orders && i < 3; i++) {
			pb_addf(&b, " order %s", cx->recent_orders[i]->order_id);
			pb_addf(&b, " (%s);", cx->recent_orders[i]->status);
		}
		pb_add(&b, "\n");
	}
	pb_add(&b, "\nPassages:\n");
	if (npass == 0)
		pb_add(&b, "(none: do not answer from memory)\n");
	for (size_t i = 0; i < npass; i++) {
		const Chat__Passage *ps = turn->passages[i];
		pb_addf(&b, "[%s] ", ps->id);
		pb_addf(&b, "%s: ", ps->title ? ps->title : "");
		const char *txt = ps->text ? ps->text : "";
		if (i + 1 == npass && cut_last && cut_last < strlen(txt)) {
			char *c = xstrndup(txt, util_utf8_prefix(txt, cut_last));
			pb_add(&b, c);
			free(c);
		} else {
			pb_add(&b, txt);
		}
		pb_add(&b, "\n");
	}
	return b.s;
}

void llm_prompt_build(const struct llm_tenant *t, const Chat__Turn *turn, int budget, struct llm_prompt *p)
{
	memset(p, 0, sizeof(*p));
	size_t npass = turn->n_passages, hist_from = 0, cut_last = 0;
	int fixed = llm_tokens(turn->text ? turn->text : "");
	for (;;) {
		char *sys = system_text(t, turn, npass, cut_last);
		int total = fixed + llm_tokens(sys);
		for (size_t i = hist_from; i < turn->n_history; i++)
			total += llm_tokens(turn->history[i]->text ? turn->history[i]->text : "") + 4;
		if (total <= budget || (npass <= 1 && hist_from >= turn->n_history &&
					(npass == 0 || cut_last == 1))) {
			p->system = sys;
			p->tokens = total;
			break;
		}
		free(sys);
		if (npass > 1) {
			npass--;
		} else if (hist_from < turn->n_history) {
			hist_from++;
		} else {
			/* Cut the one passage left to what fits (at least one byte). */
			const char *txt = turn->passages[0]->text ? turn->passages[0]->text : "";
			int over = total - budget;
			size_t len = cut_last ? cut_last : strlen(txt);
			size_t drop = (size_t)over * 4 + 16;
			cut_last = len > drop ? len - drop : 1;
		}
	}
	p->passages_kept = npass;
	p->history_kept = turn->n_history - hist_from;
	p->msgs = xcalloc(p->history_kept + 1, sizeof(*p->msgs));
	for (size_t i = hist_from; i < turn->n_history; i++) {
		const Chat__HistoryEntry *h = turn->history[i];
		struct llm_msg *m = &p->msgs[p->nmsgs++];
		m->role = h->role && !strcmp(h->role, "assistant") ? "assistant" : "user";
		m->text = xstrdup(h->text ? h->text : "");
	}
	p->msgs[p->nmsgs].role = "user";
	p->msgs[p->nmsgs].text = xstrdup(turn->text ? turn->text : "");
	p->nmsgs++;
}
