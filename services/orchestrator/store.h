/* store: the orchestrator's storage: session memory in Redis and
 * transcripts in PostgreSQL, behind struct orch_io. */
#ifndef SERVICES_ORCHESTRATOR_STORE_H
#define SERVICES_ORCHESTRATOR_STORE_H

#include "credis.h"
#include "cpg.h"
#include "orchestrator.h"

struct orch_store {
	struct credis *redis;
	struct cpg *pg;
	long memory_ttl_s;
};

/* Connect lazily to both; returns NULL after logging a bad URL. */
struct orch_store *orch_store_new(const char *redis_url, const char *database_url, long memory_ttl_s);
void orch_store_free(struct orch_store *st);
/* The orch_io whose arg is st. */
struct orch_io orch_store_io(struct orch_store *st);
/* The orch_tools whose arg is st (same connections as its orch_io). */
struct orch_tools orch_store_tools(struct orch_store *st);

/* The orch_session_io whose arg is st. */
struct orch_session_io orch_store_session(struct orch_store *st);

#endif
