/* store: the retriever's PostgreSQL full-text search over kb_chunks
 * (deploy/migrations/003_kb_chunks.sql), behind retr_search_fn. */
#ifndef SERVICES_RETRIEVER_STORE_H
#define SERVICES_RETRIEVER_STORE_H

#include "cpg.h"
#include "retriever.h"

#define RETR_CANDIDATES 50 /* matches ranked in full per query */

struct retr_store {
	struct cpg *pg;
};

struct retr_store *retr_store_new(const char *database_url);
void retr_store_free(struct retr_store *st);

/* retr_search_fn over a struct retr_store *arg. */
int retr_store_search(void *arg, const char *tenant, const char *language, const char *query, int k,
		      Chat__Passage ***out, size_t *n, char *errstr, size_t errlen);

#endif
