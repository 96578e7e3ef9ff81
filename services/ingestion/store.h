/* store: ingestion's writes to PostgreSQL (source of truth) and the Redis
 * stock cache, behind struct ingest_io. */
#ifndef SERVICES_INGESTION_STORE_H
#define SERVICES_INGESTION_STORE_H

#include "credis.h"
#include "cpg.h"
#include "ingestion.h"

struct ingest_store {
	struct cpg *pg;
	struct credis *redis;
};

struct ingest_store *ingest_store_new(const char *database_url, const char *redis_url);
void ingest_store_free(struct ingest_store *st);
struct ingest_io ingest_store_io(struct ingest_store *st);

#endif
