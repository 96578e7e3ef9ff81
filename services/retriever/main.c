/* retriever: chat.retrieve.v1 -> chat.grounded.v1; with --query, one search
 * against the configured database printed to stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "retriever.h"
#include "store.h"
#include "svc.h"
#include "topics.h"
#include "log.h"
#include "util.h"

static struct svc_base base;
static long top_k;
static const char *database_url, *tenant_id, *mode_name;
static struct embed_conf embed_conf;
static const struct cfg_entry cfg[] = {
	SVC_BASE_CFG(base, "9104", "retriever"),
	{ "RETRIEVER_TOP_K", CFG_INT, "5", 1, 50, "passages attached to a turn", &top_k },
	{ "DATABASE_URL", CFG_STR, "postgresql://chat:chat@127.0.0.1:5432/chat", 0, 0,
	  "knowledge-base index (kb_chunks)", &database_url },
	{ "RETRIEVER_CLI_TENANT", CFG_STR, "demo", 0, 0, "tenant searched by --query", &tenant_id },
	{ "RETRIEVER_MODE", CFG_STR, "fused", 0, 0, "ranking: fused (full text + vectors, RRF), fts, vector",
	  &mode_name },
	EMBED_CFG(embed_conf),
};

static const char cli_usage[] = "usage: retriever --query TEXT [--k N] [--lang en|ms|zh] [--mode fused|fts|vector]\n"
				"prints rank<TAB>score<TAB>document<TAB>chunk_id<TAB>title per passage\n";

/* --query mode: exit code 0 (even with no hits), 1 when the search failed,
 * 2 on bad arguments. */
static int cli(int argc, char **argv, struct embedder *emb)
{
	const char *query = NULL, *lang = "en", *mode = mode_name;
	long k = top_k;
	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && !strcmp(argv[i], "--query")) {
			query = argv[++i];
		} else if (i + 1 < argc && !strcmp(argv[i], "--k")) {
			if (util_parse_long(argv[++i], 1, 50, &k)) {
				fprintf(stderr, "retriever: --k must be a whole number from 1 to 50\n");
				return 2;
			}
		} else if (i + 1 < argc && !strcmp(argv[i], "--lang")) {
			lang = argv[++i];
		} else if (i + 1 < argc && !strcmp(argv[i], "--mode")) {
			mode = argv[++i];
			if (retr_mode_of(mode) < 0) {
				fprintf(stderr, "retriever: --mode is fused, fts or vector\n");
				return 2;
			}
		} else {
			fputs(cli_usage, stderr);
			return 2;
		}
	}
	if (!query || !*query) {
		fputs(cli_usage, stderr);
		return 2;
	}
	struct retr_store *st = retr_store_new(database_url, emb, (enum retr_mode)retr_mode_of(mode));
	Chat__Passage **ps = NULL;
	size_t n = 0;
	char errstr[256] = "";
	int rc = retr_store_search(st, tenant_id, lang, query, (int)k, &ps, &n, errstr, sizeof(errstr));
	if (rc) {
		fprintf(stderr, "retriever: search failed: %s\n", rc == -1 ? "database unreachable" : errstr);
	}
	for (size_t i = 0; i < n; i++) {
		printf("%zu\t%.6f\t%s\t%s\t%s\n", i + 1, ps[i]->score, ps[i]->document, ps[i]->id, ps[i]->title);
		chat__passage__free_unpacked(ps[i], NULL);
	}
	free(ps);
	retr_store_free(st);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	int rc = svc_init(&base, "retriever",
			  "attaches knowledge-base passages to a turn; with --query TEXT [--k N] [--lang L], prints one "
			  "search (rank, score, document, chunk_id, title)",
			  cfg, ARRAY_LEN(cfg),
			  argc, argv);
	if (rc)
		return rc > 0 ? 0 : 2;
	if (retr_mode_of(mode_name) < 0) {
		log_error("RETRIEVER_MODE is \"%s\"; accepted: fused, fts, vector", mode_name);
		return 2;
	}
	char errstr[256];
	struct embedder *emb = embed_new(&embed_conf, errstr, sizeof(errstr));
	if (!emb) {
		log_error("%s", errstr);
		return 2;
	}
	if (argc > 1) {
		rc = cli(argc, argv, emb);
		embed_free(emb);
		return rc;
	}
	struct retr_store *st = retr_store_new(database_url, emb, (enum retr_mode)retr_mode_of(mode_name));
	struct retr r = { TOPIC_GROUNDED, (int)top_k, retr_store_search, st, 0, 0 };
	struct turn_stage ts = { "retriever", retr_process, &r };
	struct kstage_route routes[] = { { TOPIC_RETRIEVE, turn_stage_handle, &ts },
					 { TOPIC_KB_UPDATED, retr_kb_updated, st } };
	struct svc_check checks[] = {
		{ "postgresql", cpg_check, (void *)database_url },
	};
	rc = svc_run(&base, routes, 2, checks, 1, retr_store_tick, st);
	retr_store_free(st);
	embed_free(emb);
	return rc;
}
