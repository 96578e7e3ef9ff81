/* store: ingestion's writes to PostgreSQL and the Redis stock cache. */
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "log.h"
#include "util.h"

/* Run a statement that returns a row only when it changed something. */
static int exec_applied(struct cpg *pg, const char *sql, int n, const char *const *params, int *applied,
			char *errstr, size_t errlen)
{
	int rows = 0;
	int rc = cpg_run(pg, sql, n, params, &rows, errstr, errlen);
	*applied = rc == 0 && rows > 0;
	return rc;
}

/* After an event changed nothing: 0 when the SKU exists (the stored state
 * was newer), INGEST_UNKNOWN_SKU when the catalog has no such product. */
static int check_sku(struct ingest_store *st, const char *tenant, const char *sku, char *errstr, size_t errlen)
{
	int rows = 0;
	const char *params[] = { tenant, sku };
	int rc = cpg_run(st->pg, "SELECT 1 FROM products WHERE tenant_id = $1 AND sku = $2", 2, params, &rows, errstr,
			 errlen);
	return rc ? rc : rows ? 0 : INGEST_UNKNOWN_SKU;
}

static int set_stock(void *arg, const Chat__InventoryEvent *ev, int *applied, char *errstr, size_t errlen)
{
	struct ingest_store *st = arg;
	static const char sql[] =
	    "INSERT INTO inventory (tenant_id, sku, store_id, qty, event_ts) "
	    "SELECT $1, $2, $3, $4::int, to_timestamp($5::double precision / 1e6) "
	    "WHERE EXISTS (SELECT 1 FROM products WHERE tenant_id = $1 AND sku = $2) "
	    "ON CONFLICT (tenant_id, sku, store_id) DO UPDATE SET qty = EXCLUDED.qty, event_ts = EXCLUDED.event_ts, "
	    "updated_at = now() WHERE inventory.event_ts < EXCLUDED.event_ts RETURNING qty";
	char qty[16], ts[32];
	snprintf(qty, sizeof(qty), "%d", ev->quantity);
	snprintf(ts, sizeof(ts), "%" PRId64, ev->event_time_us);
	const char *params[] = { turn_tenant(ev->tenant_id), ev->sku, ev->store_id, qty, ts };
	int rc = exec_applied(st->pg, sql, 5, params, applied, errstr, errlen);
	if (rc == 0 && !*applied)
		rc = check_sku(st, params[0], ev->sku, errstr, errlen);
	if (rc == 0 && *applied) {
		/* The cache follows the database; a miss falls back to it. */
		redisReply *rep = credis_cmd(st->redis, "HSET stock:%s:%s %s %d", turn_tenant(ev->tenant_id), ev->sku,
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
	    "SELECT $1, $2, $3::bigint, $4, to_timestamp($5::double precision / 1e6) "
	    "WHERE EXISTS (SELECT 1 FROM products WHERE tenant_id = $1 AND sku = $2) "
	    "ON CONFLICT (tenant_id, sku) DO UPDATE SET price_sen = EXCLUDED.price_sen, currency = EXCLUDED.currency, "
	    "event_ts = EXCLUDED.event_ts, updated_at = now() WHERE prices.event_ts < EXCLUDED.event_ts "
	    "RETURNING price_sen";
	char price[32], ts[32];
	snprintf(price, sizeof(price), "%" PRId64, ev->price_sen);
	snprintf(ts, sizeof(ts), "%" PRId64, ev->event_time_us);
	const char *params[] = { turn_tenant(ev->tenant_id), ev->sku, price, *ev->currency ? ev->currency : "MYR",
				 ts };
	int rc = exec_applied(st->pg, sql, 5, params, applied, errstr, errlen);
	if (rc == 0 && !*applied)
		rc = check_sku(st, params[0], ev->sku, errstr, errlen);
	return rc;
}

/* Run one statement of the document transaction; on failure roll back
 * (when the server is still there) and return -1 (unreachable) or -2. */
static int tx_step(struct cpg *pg, const char *sql, int n, const char *const *params, int *rows, char *errstr,
		   size_t errlen)
{
	int rc = cpg_run(pg, sql, n, params, rows, errstr, errlen);
	if (rc == -2) {
		char ignored[256];
		cpg_run(pg, "ROLLBACK", 0, NULL, NULL, ignored, sizeof(ignored));
	}
	return rc;
}

/* The text search configuration a chunk is indexed with: see
 * deploy/migrations/003_kb_chunks.sql. */
static const char *ts_config(const char *language)
{
	return !*language || !strcmp(language, "en") ? "english" : "simple";
}

/* A vector as the hex of its little-endian float32 bytes (dim * 8 + 1). */
static void vec_hex(const float *v, int dim, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (int i = 0; i < dim; i++) {
		uint32_t u;
		memcpy(&u, &v[i], 4);
		for (int b = 0; b < 4; b++) {
			unsigned char byte = (unsigned char)(u >> (8 * b));
			*out++ = hx[byte >> 4];
			*out++ = hx[byte & 15];
		}
	}
	*out = '\0';
}

static int put_document(void *arg, const Chat__Document *doc, const char *title, const char *hash,
			const struct chunk_list *chunks, const struct ingest_vecs *vecs, int *applied, char *errstr,
			size_t errlen)
{
	struct ingest_store *st = arg;
	const char *tenant = turn_tenant(doc->tenant_id);
	const char *language = *doc->language ? doc->language : "en";
	int rows = 0, rc;
	*applied = 0;
	if (doc->deleted) {
		/* Chunks and document go together. */
		static const char del[] =
		    "WITH c AS (DELETE FROM kb_chunks WHERE tenant_id = $1 AND doc_id = $2) "
		    "DELETE FROM kb_documents WHERE tenant_id = $1 AND doc_id = $2 RETURNING 1";
		const char *params[] = { tenant, doc->doc_id };
		return exec_applied(st->pg, del, 2, params, applied, errstr, errlen);
	}
	/* One transaction: readers see the old chunks or the new ones, never a
	 * mix, and a failure leaves the old version in place. The document row
	 * goes first: when its hash is unchanged (and it has chunks) nothing
	 * else is done. */
	static const char upsert[] =
	    "INSERT INTO kb_documents (tenant_id, doc_id, title, content_hash, type, category, language, "
	    "effective_date, doc_version, content_type, chunks) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::int) "
	    "ON CONFLICT (tenant_id, doc_id) DO UPDATE SET title = EXCLUDED.title, "
	    "content_hash = EXCLUDED.content_hash, type = EXCLUDED.type, category = EXCLUDED.category, "
	    "language = EXCLUDED.language, effective_date = EXCLUDED.effective_date, "
	    "doc_version = EXCLUDED.doc_version, content_type = EXCLUDED.content_type, chunks = EXCLUDED.chunks, "
	    "version = kb_documents.version + 1, updated_at = now() "
	    "WHERE kb_documents.content_hash <> EXCLUDED.content_hash OR kb_documents.chunks = 0 "
	    "RETURNING version";
	static const char del_chunks[] = "DELETE FROM kb_chunks WHERE tenant_id = $1 AND doc_id = $2";
	static const char ins_chunk[] =
	    "INSERT INTO kb_chunks (tenant_id, chunk_id, doc_id, seq, title, type, category, language, "
	    "effective_date, version, text, search_text, tsv, embedding, embed_model) "
	    "VALUES ($1, $2, $3, $4::int, $5, $6, $7, $8, $9, $10, $11, $12, "
	    "setweight(to_tsvector($13::regconfig, $14), 'A') || setweight(to_tsvector($13::regconfig, $12), 'B'), "
	    "decode($15, 'hex'), $16)";
	char nchunks[24], stored_hash[256];
	snprintf(nchunks, sizeof(nchunks), "%zu", chunks->n);
	/* The body's hash plus the chunker's version and the vectors' model: a
	 * new chunker or embeddings model (or vectors where the provider was
	 * down before) re-indexes. */
	snprintf(stored_hash, sizeof(stored_hash), "%s/c%d/%.160s", hash, CHUNK_VERSION, vecs ? vecs->model : "-");
	rc = cpg_run(st->pg, "BEGIN", 0, NULL, NULL, errstr, errlen);
	if (rc)
		return rc;
	const char *up[] = { tenant,	    doc->doc_id,	     title,	     stored_hash,
			     doc->type,	    doc->category,	     language,	     doc->effective_date,
			     doc->version, doc->content_type, nchunks };
	if ((rc = tx_step(st->pg, upsert, 11, up, &rows, errstr, errlen)))
		return rc;
	if (rows == 0) {
		/* Unchanged: nothing to replace. */
		return cpg_run(st->pg, "ROLLBACK", 0, NULL, NULL, errstr, errlen);
	}
	const char *dp[] = { tenant, doc->doc_id };
	if ((rc = tx_step(st->pg, del_chunks, 2, dp, NULL, errstr, errlen)))
		return rc;
	int zh = !strcmp(language, "zh");
	char *hex = vecs ? xmalloc((size_t)vecs->dim * 8 + 1) : NULL;
	for (size_t i = 0; i < chunks->n; i++) {
		const struct chunk *c = &chunks->v[i];
		char seq[24];
		snprintf(seq, sizeof(seq), "%zu", i);
		char *chunk_id = xasprintf("%s#%zu", doc->doc_id, i);
		char *ctitle = chunk_title(title, c->heading);
		/* Chinese has no spaces: index each Han character as a word. */
		char *search = zh || chunk_has_han(c->text) ? chunk_space_han(c->text) : xstrdup(c->text);
		char *stitle = zh || chunk_has_han(ctitle) ? chunk_space_han(ctitle) : xstrdup(ctitle);
		const char *ip[] = { tenant,	    chunk_id, doc->doc_id,	   seq,		  ctitle,
				     doc->type,	    doc->category, language, doc->effective_date, doc->version,
				     c->text,	    search,	  ts_config(language), stitle,
				     vecs ? hex : NULL, vecs ? vecs->model : "" };
		if (vecs)
			vec_hex(vecs->v + i * (size_t)vecs->dim, vecs->dim, hex);
		rc = tx_step(st->pg, ins_chunk, 16, ip, NULL, errstr, errlen);
		free(chunk_id);
		free(ctitle);
		free(search);
		free(stitle);
		if (rc) {
			free(hex);
			return rc;
		}
	}
	free(hex);
	if ((rc = cpg_run(st->pg, "COMMIT", 0, NULL, NULL, errstr, errlen)))
		return rc;
	*applied = 1;
	return 0;
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
