/* store: PostgreSQL full-text search over the knowledge-base chunks. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "util.h"

#define RETR_STR_(x) #x
#define RETR_STR(x) RETR_STR_(x)

struct retr_store *retr_store_new(const char *database_url)
{
	struct retr_store *st = xcalloc(1, sizeof(*st));
	/* A question of stop words only makes plainto_tsquery raise a NOTICE,
	 * which libpq would print to stderr among the JSON log lines: ask the
	 * server for warnings and worse only. */
	char *url;
	if (!strncmp(database_url, "postgres://", 11) || !strncmp(database_url, "postgresql://", 13))
		url = xasprintf("%s%soptions=-c%%20client_min_messages%%3Dwarning", database_url,
				strchr(database_url, '?') ? "&" : "?");
	else
		url = xasprintf("%s options='-c client_min_messages=warning'", database_url);
	st->pg = cpg_new(url);
	free(url);
	return st;
}

void retr_store_free(struct retr_store *st)
{
	if (!st)
		return;
	cpg_free(st->pg);
	free(st);
}

/* The words of the question are OR-ed (plainto_tsquery ANDs them, and a
 * customer's question rarely has every word in one chunk); ranking then
 * prefers chunks that match more of them, closer together. The candidate
 * set is bounded: the best RETR_CANDIDATES by ts_rank (cheap) are ranked
 * again by cover density (ts_rank_cd, normalized by length). The same
 * configuration as at indexing: 'english' for en, 'simple' otherwise. */
static const char search_sql[] =
    "WITH q AS (SELECT NULLIF(replace(plainto_tsquery($3::regconfig, $4)::text, ' & ', ' | '), '')::tsquery AS query), "
    "cand AS (SELECT c.chunk_id, c.doc_id, c.title, c.text, c.tsv FROM kb_chunks c, q "
    "  WHERE c.tenant_id = $1 AND c.language = $2 AND q.query IS NOT NULL AND c.tsv @@ q.query "
    "  ORDER BY ts_rank(c.tsv, q.query) DESC LIMIT " RETR_STR(RETR_CANDIDATES) ") "
    "SELECT chunk_id, doc_id, title, ts_rank_cd(tsv, q.query, 1) AS score, text FROM cand, q "
    "ORDER BY score DESC, chunk_id LIMIT $5::int";

static int run_search(struct cpg *pg, const char *tenant, const char *language, const char *query, int k,
		      Chat__Passage ***out, size_t *n, char *errstr, size_t errlen)
{
	char kbuf[16];
	snprintf(kbuf, sizeof(kbuf), "%d", k);
	int zh = !strcmp(language, "zh") || chunk_has_han(query);
	char *q = zh ? chunk_space_han(query) : xstrdup(query);
	const char *cfg = !strcmp(language, "en") ? "english" : "simple";
	const char *params[] = { tenant, language, cfg, q, kbuf };
	PGresult *res = cpg_exec(pg, search_sql, 5, params);
	free(q);
	if (!res)
		return -1;
	if (!cpg_ok(res)) {
		snprintf(errstr, errlen, "%s", PQresultErrorMessage(res));
		errstr[strcspn(errstr, "\n")] = '\0';
		PQclear(res);
		return -2;
	}
	int rows = PQntuples(res);
	*out = rows ? xcalloc((size_t)rows, sizeof(**out)) : NULL;
	*n = (size_t)rows;
	for (int i = 0; i < rows; i++) {
		Chat__Passage *p = xmalloc(sizeof(*p));
		chat__passage__init(p);
		p->id = xstrdup(PQgetvalue(res, i, 0));
		p->document = xstrdup(PQgetvalue(res, i, 1));
		p->title = xstrdup(PQgetvalue(res, i, 2));
		p->score = strtod(PQgetvalue(res, i, 3), NULL);
		p->text = xstrdup(PQgetvalue(res, i, 4));
		(*out)[i] = p;
	}
	PQclear(res);
	return 0;
}

int retr_store_search(void *arg, const char *tenant, const char *language, const char *query, int k,
		      Chat__Passage ***out, size_t *n, char *errstr, size_t errlen)
{
	struct retr_store *st = arg;
	*out = NULL;
	*n = 0;
	int rc = run_search(st->pg, tenant, language, query, k, out, n, errstr, errlen);
	if (rc == 0 && *n == 0 && strcmp(language, "en"))
		rc = run_search(st->pg, tenant, "en", query, k, out, n, errstr, errlen);
	return rc;
}
