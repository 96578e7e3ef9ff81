/* ingestion: applies point-of-sale stock events, ERP price events and
 * knowledge-base documents to the stores the assistant reads. An event
 * older than what is stored never overwrites it. Storage reaches it
 * through struct ingest_io. */
#ifndef SERVICES_INGESTION_H
#define SERVICES_INGESTION_H

#include "chunk.h"
#include "embed.h"
#include "turn.h"

/* The chunks' vectors: n rows of dim floats, made by model (NULL: none,
 * e.g. the embeddings provider was down; full-text search still works). */
struct ingest_vecs {
	const float *v;
	int dim;
	const char *model;
};

/* set_stock / set_price return this when the catalog has no such SKU. */
#define INGEST_UNKNOWN_SKU (-3)

/* Each returns 0 (applied set to 1, or 0 when the stored state is newer or
 * the same), -1 when the database is unreachable, -2 when it refused,
 * INGEST_UNKNOWN_SKU (stock and price) when the product does not exist.
 * put_document gets the document's chunks (NULL for a tombstone) and must
 * replace the stored ones atomically, or leave everything as it was when
 * the content hash is unchanged; title is the resolved title (front matter,
 * else first heading, else doc_id). */
struct ingest_io {
	int (*set_stock)(void *arg, const Chat__InventoryEvent *ev, int *applied, char *errstr, size_t errlen);
	int (*set_price)(void *arg, const Chat__PriceEvent *ev, int *applied, char *errstr, size_t errlen);
	int (*put_document)(void *arg, const Chat__Document *doc, const char *title, const char *content_hash,
			    const struct chunk_list *chunks, const struct ingest_vecs *vecs, int *applied, char *errstr,
			    size_t errlen);
	void *arg;
};

struct ingest {
	struct ingest_io io;
	const char *updated_topic;
	struct embedder *embed; /* NULL: chunks are stored without vectors */
	long unknown_skus;      /* events dead-lettered for a SKU not in the catalog */
	long embed_failures;    /* documents stored without vectors */
};

/* Maximum size of a JSON stock or price event. */
#define INGEST_JSON_MAX 4096

/* The documented JSON forms of the POS and ERP events (see README.md),
 * pure so a fuzzer can drive them. Each fills *ev (strings heap; release
 * with ingest_*_event_release) and returns 0, or -1 with errstr. */
int ingest_inventory_json(const char *s, size_t len, Chat__InventoryEvent *ev, char *errstr, size_t errlen);
int ingest_price_json(const char *s, size_t len, Chat__PriceEvent *ev, char *errstr, size_t errlen);
void ingest_inventory_event_release(Chat__InventoryEvent *ev);
void ingest_price_event_release(Chat__PriceEvent *ev);
/* 1 when an event payload is the JSON form: its first non-blank byte is
 * '{' (a protobuf InventoryEvent or PriceEvent never starts with 0x7b) or
 * the Kafka header content-type says application/json. */
int ingest_is_json(const void *payload, size_t len, const char *content_type);

/* The text embedded for a chunk: its title line, then its text (heap). */
char *ingest_embed_text(const char *title, const char *text);

/* SHA-256 of data as 64 hex characters. */
void ingest_hash(const void *data, size_t len, char out[65]);

/* kstage handlers for pos.inventory.v1, erp.prices.v1 and kb.documents.v1. */
int ingest_inventory(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen);
int ingest_price(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen);
int ingest_document(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen);

#endif
