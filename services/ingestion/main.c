/* ingestion: pos.inventory.v1, erp.prices.v1, kb.documents.v1 -> PostgreSQL,
 * Redis, kb.updated.v1. */
#include "ingestion.h"
#include "store.h"
#include "svc.h"
#include "topics.h"
#include "log.h"
#include "util.h"

static struct svc_base base;
static const char *database_url, *redis_url;
static struct embed_conf embed_conf;
static const struct cfg_entry cfg[] = {
	SVC_BASE_CFG(base, "9108", "ingestion"),
	{ "DATABASE_URL", CFG_STR, "postgresql://chat:chat@127.0.0.1:5432/chat", 0, 0,
	  "catalog, stock, prices, knowledge base", &database_url },
	{ "REDIS_URL", CFG_STR, "redis://127.0.0.1:6379/0", 0, 0, "stock cache", &redis_url },
	EMBED_CFG(embed_conf),
};

int main(int argc, char **argv)
{
	int rc = svc_init(&base, "ingestion", "applies stock, price and knowledge-base events", cfg, ARRAY_LEN(cfg),
			  argc, argv);
	if (rc)
		return rc > 0 ? 0 : 2;
	char errstr[256];
	struct embedder *emb = embed_new(&embed_conf, errstr, sizeof(errstr));
	if (!emb) {
		log_error("%s", errstr);
		return 2;
	}
	struct ingest_store *st = ingest_store_new(database_url, redis_url);
	if (!st) {
		embed_free(emb);
		return 2;
	}
	log_info("chunk vectors: %s", embed_model_id(emb));
	struct ingest in = { ingest_store_io(st), TOPIC_KB_UPDATED, emb, 0, 0 };
	struct kstage_route routes[] = {
		{ TOPIC_INVENTORY, ingest_inventory, &in },
		{ TOPIC_PRICES, ingest_price, &in },
		{ TOPIC_KB_DOCUMENTS, ingest_document, &in },
	};
	struct svc_check checks[] = {
		{ "postgresql", cpg_check, (void *)database_url },
		{ "redis", credis_check, (void *)redis_url },
	};
	rc = svc_run(&base, routes, 3, checks, 2, NULL, NULL);
	ingest_store_free(st);
	embed_free(emb);
	return rc;
}
