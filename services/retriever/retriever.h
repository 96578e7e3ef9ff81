/* retriever: attaches knowledge-base passages to a turn. The index is
 * reached through struct retr's search function (PostgreSQL full-text
 * search in store.c), so a unit test drives it with a fake. A search that
 * fails (the database is down) attaches no passages, which downstream
 * stages treat as "nothing to ground an answer on"; the turn still goes
 * on. */
#ifndef SERVICES_RETRIEVER_H
#define SERVICES_RETRIEVER_H

#include "turn.h"

/* Find at most k passages for query among tenant's documents in language
 * (falling back to English documents when that language has none that
 * match). On success *out gets a heap array of *n heap passages (every
 * string heap; the caller frees each with chat__passage__free_unpacked and
 * the array with free), best first. Returns 0, -1 when the index is
 * unreachable, -2 when it refused (errstr says why). */
typedef int (*retr_search_fn)(void *arg, const char *tenant, const char *language, const char *query, int k,
			      Chat__Passage ***out, size_t *n, char *errstr, size_t errlen);

struct retr {
	const char *out_topic;
	int top_k;
	retr_search_fn search; /* NULL: attach nothing */
	void *arg;
	int64_t last_warn_us;  /* failures are logged at most every 10 s */
	long failures;         /* searches that failed since the start */
};

/* turn_fn: fill passages (at most top_k) and route to out_topic. */
int retr_process(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen);

#endif
