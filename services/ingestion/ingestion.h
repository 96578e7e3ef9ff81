/* ingestion: applies point-of-sale stock events, ERP price events and
 * knowledge-base documents to the stores the assistant reads. An event
 * older than what is stored never overwrites it. Storage reaches it
 * through struct ingest_io. */
#ifndef SERVICES_INGESTION_H
#define SERVICES_INGESTION_H

#include "chunk.h"
#include "turn.h"

/* Each returns 0 (applied set to 1, or 0 when the stored state is newer or
 * the same), -1 when the database is unreachable, -2 when it refused.
 * put_document gets the document's chunks (NULL for a tombstone) and must
 * replace the stored ones atomically, or leave everything as it was when
 * the content hash is unchanged; title is the resolved title (front matter,
 * else first heading, else doc_id). */
struct ingest_io {
	int (*set_stock)(void *arg, const Chat__InventoryEvent *ev, int *applied, char *errstr, size_t errlen);
	int (*set_price)(void *arg, const Chat__PriceEvent *ev, int *applied, char *errstr, size_t errlen);
	int (*put_document)(void *arg, const Chat__Document *doc, const char *title, const char *content_hash,
			    const struct chunk_list *chunks, int *applied, char *errstr, size_t errlen);
	void *arg;
};

struct ingest {
	struct ingest_io io;
	const char *updated_topic;
};

/* SHA-256 of data as 64 hex characters. */
void ingest_hash(const void *data, size_t len, char out[65]);

/* kstage handlers for pos.inventory.v1, erp.prices.v1 and kb.documents.v1. */
int ingest_inventory(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen);
int ingest_price(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen);
int ingest_document(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen);

#endif
