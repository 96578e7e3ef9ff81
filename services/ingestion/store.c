/* store: ingestion's writes to PostgreSQL and the Redis stock cache. */
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

static const char *tenant_of(const char *t)
{
	return *t ? t : "demo";
}

/* Run a statement that returns a row only when it changed something. */
static int exec_applied(struct cpg *pg, const char *sql, int n, const char *const *params, int *applied,
			char *errstr, size_t errlen)
{
	int rows = 0;
	int rc = cpg_run(pg, sql, n, params, &rows, errstr, errlen);
	*applied = rc == 0 && rows > 0;
	return rc;
}

static int set_stock(void *arg, const Chat__InventoryEvent *ev, int *applied, char *errstr, size_t errlen)
{
	struct ingest_store *st = arg;
	static const char sql[] =
	    "INSERT INTO inventory (tenant_id, sku, store_id, qty, event_ts) "
	    "VALUES ($1, $2, $3, $4::int, to_timestamp($5::double precision / 1e6)) "
	    "ON CONFLICT (tenant_id, sku, store_id) DO UPDATE SET qty = EXCLUDED.qty, event_ts = EXCLUDED.event_ts, "
	    "updated_at = now() WHERE inventory.event_ts < EXCLUDED.event_ts RETURNING qty";
	char qty[16], ts[32];
	snprintf(qty, sizeof(qty), "%d", ev->quantity);
	snprintf(ts, sizeof(ts), "%" PRId64, ev->event_time_us);
	const char *params[] = { tenant_of(ev->tenant_id), ev->sku, ev->store_id, qty, ts };
	int rc = exec_applied(st->pg, sql, 5, params, applied, errstr, errlen);
	if (rc == 0 && *applied) {
		/* The cache follows the database; a miss falls back to it. */
		redisReply *rep = credis_cmd(st->redis, "HSET stock:%s:%s %s %d", tenant_of(ev->tenant_id), ev->sku,
					     ev->store_id, ev->quantity);
		if (rep)
			freeReplyObject(rep);
	}
	return rc;
}

static int set_price(void *arg, const Chat__PriceEvent *ev, int *applied, char *errstr, size_t errlen)
{
	struct ingest_store *st = arg;
	static const char sql[] =
	    "INSERT INTO prices (tenant_id, sku, price_sen, currency, event_ts) "
	    "VALUES ($1, $2, $3::bigint, $4, to_timestamp($5::double precision / 1e6)) "
	    "ON CONFLICT (tenant_id, sku) DO UPDATE SET price_sen = EXCLUDED.price_sen, currency = EXCLUDED.currency, "
	    "event_ts = EXCLUDED.event_ts, updated_at = now() WHERE prices.event_ts < EXCLUDED.event_ts "
	    "RETURNING price_sen";
	char price[32], ts[32];
	snprintf(price, sizeof(price), "%" PRId64, ev->price_sen);
	snprintf(ts, sizeof(ts), "%" PRId64, ev->event_time_us);
	const char *params[] = { tenant_of(ev->tenant_id), ev->sku, price, *ev->currency ? ev->currency : "MYR",
				 ts };
	return exec_applied(st->pg, sql, 5, params, applied, errstr, errlen);
}

static int put_document(void *arg, const Chat__Document *doc, const char *hash, int *applied, char *errstr,
			size_t errlen)
{
	struct ingest_store *st = arg;
	if (doc->deleted) {
		static const char del[] = "DELETE FROM kb_documents WHERE tenant_id = $1 AND doc_id = $2 RETURNING 1";
		const char *params[] = { tenant_of(doc->tenant_id), doc->doc_id };
		return exec_applied(st->pg, del, 2, params, applied, errstr, errlen);
	}
	static const char sql[] =
	    "INSERT INTO kb_documents (tenant_id, doc_id, title, content_hash) VALUES ($1, $2, $3, $4) "
	    "ON CONFLICT (tenant_id, doc_id) DO UPDATE SET title = EXCLUDED.title, "
	    "content_hash = EXCLUDED.content_hash, version = kb_documents.version + 1, updated_at = now() "
	    "WHERE kb_documents.content_hash <> EXCLUDED.content_hash RETURNING version";
	const char *params[] = { tenant_of(doc->tenant_id), doc->doc_id, doc->title, hash };
	return exec_applied(st->pg, sql, 4, params, applied, errstr, errlen);
}

struct ingest_store *ingest_store_new(const char *database_url, const char *redis_url)
{
	char errstr[256];
	struct credis *r = credis_new(redis_url, 300, errstr, sizeof(errstr));
	if (!r) {
		log_error("%s", errstr);
		return NULL;
	}
	struct ingest_store *st = xcalloc(1, sizeof(*st));
	st->pg = cpg_new(database_url);
	st->redis = r;
	return st;
}

void ingest_store_free(struct ingest_store *st)
{
	if (!st)
		return;
	cpg_free(st->pg);
	credis_free(st->redis);
	free(st);
}

struct ingest_io ingest_store_io(struct ingest_store *st)
{
	return (struct ingest_io){ set_stock, set_price, put_document, st };
}
