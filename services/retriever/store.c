/* store: PostgreSQL full-text search over the knowledge-base chunks. */
#include "store.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "expand.h"
#include "log.h"
#include "util.h"

#define RETR_STR_(x) #x
#define RETR_STR(x) RETR_STR_(x)

static void stats_release(struct retr_stats *s);
static char *small_search_sql(void);

struct retr_store *retr_store_new(const char *database_url, struct embedder *emb, enum retr_mode mode)
{
	struct retr_store *st = xcalloc(1, sizeof(*st));
	st->vx = emb ? vindex_new(emb) : NULL;
	st->mode = emb ? mode : RETR_FTS;
	st->fusion = (struct retr_fusion){ RETR_FUSE_METHOD, RETR_RRF_K, RETR_W_FTS, RETR_W_VEC, RETR_ALPHA };
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
	st->search_small = small_search_sql();
	return st;
}

void retr_store_free(struct retr_store *st)
{
	if (!st)
		return;
	cpg_free(st->pg);
	vindex_free(st->vx);
	stats_release(&st->stats);
	free(st->search_small);
	free(st);
}

int retr_mode_of(const char *name)
{
	return !strcmp(name, "fused") ? RETR_FUSED : !strcmp(name, "fts") ? RETR_FTS : !strcmp(name, "vector") ? RETR_VECTOR : -1;
}

/* The words of the question are OR-ed (plainto_tsquery ANDs them, and a
 * customer's question rarely has every word in one chunk); ranking
 * (ts_rank_cd, cover density normalized by length) then prefers chunks
 * that match more of them, closer together. On a large knowledge base a
 * common word matches a large share of the chunks, and PostgreSQL builds
 * the whole bitmap of an OR before any LIMIT applies, so the matched set
 * is bounded by what its words cost, not only by a row count:
 *
 *  - the chunks with every word (GIN intersects from the rarest word);
 *  - the chunks with any of the rarest words, taken while their estimated
 *    matches add up to at most RETR_OR_BUDGET rows (the rarest word is
 *    always taken). The estimates come from the planner's statistics
 *    (pg_stats, kept by autovacuum's ANALYZE): a word's share of the
 *    chunks (tsv's most_common_elems; a word not among them is rare)
 *    times the tenant's chunks (tenant_id's most_common_vals; a tenant
 *    not among them is small, and the planner reads its rows through
 *    the (tenant_id, language) index instead of the GIN bitmap). On a
 *    small knowledge base every word is taken: the plain OR.
 *
 * Each set is cut at RETR_MATCH_MAX rows and ranked where it is read (no
 * second lookup); only the best k fetch their text. The same
 * configuration as at indexing: 'english' for en, 'simple' otherwise.
 * Lexemes are quoted for tsquery's input (backslash and quote escaped). */
static const char search_sql[] =
    "WITH lex AS (SELECT l, '''' || replace(replace(l, '\\', '\\\\'), '''', '\\''') || '''' AS ql, "
    "    coalesce(($7::float8[])[array_position($6::text[], l)], 0) AS est "
    "  FROM unnest(tsvector_to_array(to_tsvector($3::regconfig, $4))) AS l), "
    "cum AS (SELECT ql, sum(est) OVER (ORDER BY est, l) AS run, row_number() OVER (ORDER BY est, l) AS r "
    "  FROM lex), "
    "q AS (SELECT string_agg(ql, ' | ')::tsquery AS anyq, string_agg(ql, ' & ')::tsquery AS allq, "
    "    (string_agg(ql, ' | ') FILTER (WHERE r = 1 OR run <= " RETR_STR(RETR_OR_BUDGET) "))::tsquery AS rareq "
    "  FROM cum), "
    "m AS ((SELECT c.ctid AS id, ts_rank(c.tsv, q.anyq, 1) AS pre FROM kb_chunks c, q "
    "    WHERE q.allq IS NOT NULL AND c.tenant_id = $1 AND c.language = $2 AND c.tsv @@ q.allq "
    "    LIMIT " RETR_STR(RETR_MATCH_MAX) ") "
    "  UNION (SELECT c.ctid, ts_rank(c.tsv, q.anyq, 1) FROM kb_chunks c, q "
    "    WHERE q.rareq IS NOT NULL AND c.tenant_id = $1 AND c.language = $2 AND c.tsv @@ q.rareq "
    "    LIMIT " RETR_STR(RETR_MATCH_MAX) ")), "
    "pre AS (SELECT id FROM m ORDER BY pre DESC LIMIT " RETR_STR(RETR_RERANK) "), "
    "top AS (SELECT pre.id, ts_rank_cd(c.tsv, q.anyq, 1) AS score FROM pre JOIN kb_chunks c ON c.ctid = pre.id, q "
    "  ORDER BY score DESC LIMIT $5::int) "
    "SELECT c.chunk_id, c.doc_id, c.title, top.score, c.text FROM top JOIN kb_chunks c ON c.ctid = top.id "
    "ORDER BY top.score DESC, c.chunk_id";

/* search_sql for a small tenant: the same matches, written so that no
 * index on tsv can serve them. The planner cannot estimate a tsquery made
 * inside the statement, so it intersects the tenant's (tenant_id,
 * language) rows with the full-text index's bitmap, which for an OR of
 * common words holds a large tenant's matches too (68k rows and 8.5 ms
 * beside a 100k-chunk tenant, for a 33-chunk one); testing the small
 * tenant's own rows one by one is what it needs. Heap; caller frees. */
static char *small_search_sql(void)
{
	static const char *const from[] = { "c.tsv @@ q.allq", "c.tsv @@ q.rareq" };
	static const char *const to[] = { "coalesce(c.tsv @@ q.allq, false)", "coalesce(c.tsv @@ q.rareq, false)" };
	char *sql = xstrdup(search_sql);
	for (size_t i = 0; i < ARRAY_LEN(from); i++) {
		char *at = strstr(sql, from[i]);
		assert(at && "search_sql names the condition");
		char *next = xasprintf("%.*s%s%s", (int)(at - sql), sql, to[i], at + strlen(from[i]));
		free(sql);
		sql = next;
	}
	return sql;
}

/* Send the full-text search (PostgreSQL runs it while the caller scans
 * the vectors). 0, or -1 when the database is unreachable. */
static int fts_send(struct retr_store *st, const char *tenant, const char *language, const char *query, int k)
{
	char kbuf[16];
	snprintf(kbuf, sizeof(kbuf), "%d", k);
	int zh = !strcmp(language, "zh") || chunk_has_han(query);
	char *q = zh ? chunk_space_han(query) : xstrdup(query);
	const char *cfg = !strcmp(language, "en") ? "english" : "simple";
	char *words, *est;
	double rows = retr_common_words(&st->stats, tenant, &words, &est);
	const char *params[] = { tenant, language, cfg, q, kbuf, words, est };
	/* A small tenant's search runs prepared (planning it cost as much as
	 * running it) and tests the tenant's own chunks. A large tenant's is
	 * planned for its values each time and may use the full-text index:
	 * a plan for no tenant in particular read all of the tenant's chunks
	 * through its (tenant_id, language) index and tested each one (2 to 5
	 * times slower at 100k chunks). */
	int rc = rows >= RETR_PLAN_ROWS ? cpg_send_oneshot(st->pg, search_sql, 7, params)
					: cpg_send(st->pg, st->search_small, 7, params);
	free(q);
	free(words);
	free(est);
	return rc;
}

static void stats_release(struct retr_stats *s)
{
	for (size_t i = 0; i < s->nw; i++)
		free(s->words[i]);
	for (size_t i = 0; i < s->nt; i++)
		free(s->tenants[i]);
	free(s->words);
	free(s->tenants);
	free(s->wfreq);
	free(s->tfreq);
	memset(s, 0, sizeof(*s));
}

/* Re-read the statistics when RETR_STATS_US old; on failure the old ones
 * stay (and are tried again a period later). */
static void stats_refresh(struct retr_store *st)
{
	static const char sql[] =
	    "SELECT 'w', e.v, e.f::float8 FROM pg_stats s, "
	    "  unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS e(v, f) "
	    "  WHERE s.schemaname = current_schema() AND s.tablename = 'kb_chunks' AND s.attname = 'tsv' "
	    "    AND e.v IS NOT NULL "
	    "UNION ALL SELECT 't', e.v, e.f::float8 FROM pg_stats s, "
	    "  unnest(s.most_common_vals::text::text[], s.most_common_freqs) AS e(v, f) "
	    "  WHERE s.schemaname = current_schema() AND s.tablename = 'kb_chunks' AND s.attname = 'tenant_id' "
	    "    AND e.v IS NOT NULL "
	    "UNION ALL SELECT 'n', '', greatest(reltuples, 0)::float8 FROM pg_class WHERE oid = 'kb_chunks'::regclass";
	int64_t now = util_mono_us();
	if (st->stats.at_us && now - st->stats.at_us < RETR_STATS_US)
		return;
	st->stats.at_us = now;
	PGresult *res = cpg_exec(st->pg, sql, 0, NULL);
	if (!res || !cpg_ok(res)) {
		PQclear(res);
		return;
	}
	struct retr_stats s = { .at_us = now };
	int rows = PQntuples(res);
	s.words = xcalloc((size_t)rows + 1, sizeof(*s.words));
	s.wfreq = xcalloc((size_t)rows + 1, sizeof(*s.wfreq));
	s.tenants = xcalloc((size_t)rows + 1, sizeof(*s.tenants));
	s.tfreq = xcalloc((size_t)rows + 1, sizeof(*s.tfreq));
	for (int i = 0; i < rows; i++) {
		char kind = PQgetvalue(res, i, 0)[0];
		double f = strtod(PQgetvalue(res, i, 2), NULL);
		if (kind == 'w') {
			s.words[s.nw] = xstrdup(PQgetvalue(res, i, 1));
			s.wfreq[s.nw++] = f;
		} else if (kind == 't') {
			s.tenants[s.nt] = xstrdup(PQgetvalue(res, i, 1));
			s.tfreq[s.nt++] = f;
		} else {
			s.nrows = f;
		}
	}
	PQclear(res);
	stats_release(&st->stats);
	st->stats = s;
}

/* A PostgreSQL array literal being built: its size is known up front (no
 * growth), each element double-quoted with backslash escapes. */
struct arrlit {
	char *s;
	size_t len, cap;
};

static void arr_put(struct arrlit *a, char c)
{
	assert(a->len + 1 < a->cap);
	a->s[a->len++] = c;
	a->s[a->len] = '\0';
}

static void arr_elem(struct arrlit *a, const char *v, int quote)
{
	if (a->len > 1)
		arr_put(a, ',');
	if (quote)
		arr_put(a, '"');
	for (; *v; v++) {
		if (quote && (*v == '"' || *v == '\\'))
			arr_put(a, '\\');
		arr_put(a, *v);
	}
	if (quote)
		arr_put(a, '"');
}

double retr_common_words(const struct retr_stats *stats, const char *tenant, char **words, char **est)
{
	double rows = 0;
	size_t wcap = 3, ecap = 3;
	for (size_t i = 0; i < stats->nt; i++)
		if (!strcmp(stats->tenants[i], tenant))
			rows = stats->tfreq[i] * stats->nrows;
	for (size_t i = 0; i < stats->nw; i++) {
		wcap += 2 * strlen(stats->words[i]) + 3;
		ecap += 32;
	}
	struct arrlit w = { xmalloc(wcap), 0, wcap }, e = { xmalloc(ecap), 0, ecap };
	arr_put(&w, '{');
	arr_put(&e, '{');
	for (size_t i = 0; i < stats->nw; i++) {
		double n = stats->wfreq[i] * rows;
		if (n < RETR_EST_MIN)
			continue;
		char num[32];
		snprintf(num, sizeof(num), "%.0f", n < 1e15 ? n : 1e15);
		arr_elem(&w, stats->words[i], 1);
		arr_elem(&e, num, 0);
	}
	arr_put(&w, '}');
	arr_put(&e, '}');
	*words = w.s;
	*est = e.s;
	return rows;
}

/* The answer to fts_send as passages (see retr_search_fn). */
static int fts_collect(struct cpg *pg, Chat__Passage ***out, size_t *n, char *errstr, size_t errlen)
{
	PGresult *res = cpg_wait(pg);
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

static Chat__Passage *passage(const char *id, const char *doc, const char *title, double score, const char *text)
{
	Chat__Passage *p = xmalloc(sizeof(*p));
	chat__passage__init(p);
	p->id = xstrdup(id);
	p->document = xstrdup(doc);
	p->title = xstrdup(title);
	p->score = score;
	p->text = xstrdup(text);
	return p;
}

static void free_passages(Chat__Passage **ps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		chat__passage__free_unpacked(ps[i], NULL);
	free(ps);
}

/* Min-max normalisation of a ranking's scores: its best 1, its worst 0
 * (all 1 when they are equal). */
static void score_range(const double *s, size_t n, double *lo, double *hi)
{
	*lo = n ? s[0] : 0;
	*hi = *lo;
	for (size_t i = 1; i < n; i++) {
		*lo = s[i] < *lo ? s[i] : *lo;
		*hi = s[i] > *hi ? s[i] : *hi;
	}
}

static double contribution(const struct retr_fusion *fu, int vec, size_t rank0, const double *s, double lo,
			   double hi)
{
	if (fu->method == RETR_FUSE_RRF)
		return (vec ? fu->w_vec : fu->w_fts) / (fu->k + (double)(rank0 + 1));
	if (!s) /* no scores: plain RRF */
		return 1.0 / (RETR_RRF_K + (double)(rank0 + 1));
	double w = vec ? 1.0 - fu->alpha : fu->alpha;
	return w * (hi > lo ? (s[rank0] - lo) / (hi - lo) : 1.0);
}

size_t retr_rrf(const char *const *a, size_t na, const char *const *b, size_t nb, const struct retr_fusion *fu,
		int k, size_t *out_idx, double *out_score)
{
	return retr_fuse(a, NULL, na, b, NULL, nb, fu, k, out_idx, out_score);
}

size_t retr_fuse(const char *const *a, const double *as, size_t na, const char *const *b, const double *bs,
		 size_t nb, const struct retr_fusion *fu, int k, size_t *out_idx, double *out_score)
{
	double alo = 0, ahi = 0, blo = 0, bhi = 0;
	if (as)
		score_range(as, na, &alo, &ahi);
	if (bs)
		score_range(bs, nb, &blo, &bhi);
	size_t n = 0, cap = na + nb;
	size_t *idx = xmalloc((cap ? cap : 1) * sizeof(*idx));
	double *sc = xmalloc((cap ? cap : 1) * sizeof(*sc));
	const char **ids = xmalloc((cap ? cap : 1) * sizeof(*ids));
	for (size_t i = 0; i < na; i++) {
		idx[n] = i;
		ids[n] = a[i];
		sc[n++] = contribution(fu, 0, i, as, alo, ahi);
	}
	for (size_t j = 0; j < nb; j++) {
		double add = contribution(fu, 1, j, bs, blo, bhi);
		size_t i = 0;
		while (i < na && strcmp(a[i], b[j]))
			i++;
		if (i < na) {
			sc[i] += add;
		} else {
			idx[n] = na + j;
			ids[n] = b[j];
			sc[n++] = add;
		}
	}
	/* Selection of the best k (n <= 100). */
	size_t m = 0;
	for (; m < (size_t)k && m < n; m++) {
		size_t best = m;
		for (size_t i = m + 1; i < n; i++)
			if (sc[i] > sc[best] || (sc[i] == sc[best] && strcmp(ids[i], ids[best]) < 0))
				best = i;
		size_t ti = idx[m];
		double ts = sc[m];
		const char *tid = ids[m];
		idx[m] = idx[best];
		sc[m] = sc[best];
		ids[m] = ids[best];
		idx[best] = ti;
		sc[best] = ts;
		ids[best] = tid;
		out_idx[m] = idx[m];
		out_score[m] = sc[m];
	}
	free(idx);
	free(sc);
	free(ids);
	return m;
}

/* Vector candidates of tenant in language as passages (score = cosine). */
static int vec_search(struct retr_store *st, const char *tenant, const char *language, const char *query, int k,
		      Chat__Passage ***out, size_t *n, char *errstr, size_t errlen)
{
	*out = NULL;
	*n = 0;
	int dim = vindex_dim(st->vx);
	if (!dim || !vindex_count(st->vx, tenant, language))
		return 0;
	float *q = xmalloc((size_t)dim * sizeof(*q));
	int rc = vindex_query_vec(st->vx, tenant, query, q, errstr, errlen);
	if (rc == 0) {
		struct vhit *hits = xmalloc((size_t)k * sizeof(*hits));
		size_t m = vindex_search(st->vx, tenant, language, q, k, hits);
		*out = m ? xcalloc(m, sizeof(**out)) : NULL;
		for (size_t i = 0; i < m; i++) {
			const struct vrow *r = vindex_row(st->vx, hits[i].row);
			(*out)[i] = passage(r->chunk_id, r->doc_id, r->title, hits[i].score, r->text);
		}
		*n = m;
		free(hits);
	}
	free(q);
	return rc;
}

/* One language: the mode's ranking. A failing side of a fused search
 * leaves the other (logged at most every 10 s by the caller's warning). */
static int search_lang(struct retr_store *st, const char *tenant, const char *language, const char *query, int k,
		       Chat__Passage ***out, size_t *n, char *errstr, size_t errlen)
{
	Chat__Passage **fa = NULL, **va = NULL;
	size_t fn = 0, vn = 0;
	int frc = 0, vrc = 0;
	*out = NULL;
	*n = 0;
	/* Fused: the full-text statement runs in PostgreSQL while this
	 * thread scans the vectors. */
	if (st->mode != RETR_VECTOR) {
		stats_refresh(st);
		frc = fts_send(st, tenant, language, query, st->mode == RETR_FTS ? k : RETR_CANDIDATES);
		if (frc == -1)
			snprintf(errstr, errlen, "database unreachable");
	}
	if (st->mode == RETR_FTS) {
		if (frc == 0)
			frc = fts_collect(st->pg, out, n, errstr, errlen);
		return frc;
	}
	char verr[256] = "";
	vrc = vec_search(st, tenant, language, query, st->mode == RETR_VECTOR ? k : RETR_CANDIDATES, &va, &vn, verr,
			 sizeof(verr));
	if (vrc)
		st->vector_failures++;
	if (st->mode != RETR_VECTOR && frc == 0)
		frc = fts_collect(st->pg, &fa, &fn, errstr, errlen);
	if (st->mode == RETR_VECTOR) {
		if (vrc)
			snprintf(errstr, errlen, "%s", verr);
		*out = va;
		*n = vn;
		return vrc;
	}
	if (frc && vrc) {
		free_passages(fa, fn);
		free_passages(va, vn);
		return frc;
	}
	if (vrc)
		log_debug("query vector failed (%s): full-text ranking only", verr);
	const char **a = xmalloc((fn + 1) * sizeof(*a)), **b = xmalloc((vn + 1) * sizeof(*b));
	for (size_t i = 0; i < fn; i++)
		a[i] = fa[i]->id;
	for (size_t i = 0; i < vn; i++)
		b[i] = va[i]->id;
	size_t *idx = xmalloc((fn + vn + 1) * sizeof(*idx));
	double *sc = xmalloc((fn + vn + 1) * sizeof(*sc));
	double *as = xmalloc((fn + 1) * sizeof(*as)), *bs = xmalloc((vn + 1) * sizeof(*bs));
	for (size_t i = 0; i < fn; i++)
		as[i] = fa[i]->score;
	for (size_t i = 0; i < vn; i++)
		bs[i] = va[i]->score;
	size_t m = retr_fuse(a, as, fn, b, bs, vn, &st->fusion, k, idx, sc);
	free(as);
	free(bs);
	*out = m ? xcalloc(m, sizeof(**out)) : NULL;
	for (size_t i = 0; i < m; i++) {
		Chat__Passage **slot = idx[i] < fn ? &fa[idx[i]] : &va[idx[i] - fn];
		(*out)[i] = *slot; /* taken */
		(*out)[i]->score = sc[i];
		*slot = NULL;
	}
	*n = m;
	for (size_t i = 0; i < fn; i++)
		if (fa[i])
			chat__passage__free_unpacked(fa[i], NULL);
	for (size_t i = 0; i < vn; i++)
		if (va[i])
			chat__passage__free_unpacked(va[i], NULL);
	free(fa);
	free(va);
	free(a);
	free(b);
	free(idx);
	free(sc);
	return 0;
}

static void ensure_loaded(struct retr_store *st)
{
	if (!st->vx || st->last_sync_us)
		return;
	char errstr[256];
	st->last_sync_us = util_mono_us();
	if (vindex_load(st->vx, st->pg, errstr, sizeof(errstr)) == 0)
		log_info("vector index loaded: %zu chunk(s) of %d dimensions", vindex_size(st->vx),
			 vindex_dim(st->vx));
	else
		st->last_sync_us = 0; /* try again on the next search */
}

void retr_store_tick(void *arg)
{
	struct retr_store *st = arg;
	if (!st->vx)
		return;
	int64_t now = util_mono_us();
	if (!st->last_sync_us) {
		ensure_loaded(st);
		return;
	}
	if (now - st->last_sync_us < RETR_SYNC_US)
		return;
	st->last_sync_us = now;
	char errstr[256];
	vindex_sync(st->vx, st->pg, errstr, sizeof(errstr));
}

int retr_kb_updated(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen)
{
	struct retr_store *st = ctx;
	(void)em;
	if (!st->vx)
		return KSTAGE_OK;
	Chat__Document *doc = chat__document__unpack(NULL, msg->len, msg->payload);
	if (!doc) {
		snprintf(errstr, errlen, "cannot decode chat.Document from %zu bytes", msg->len);
		return KSTAGE_EPOISON;
	}
	ensure_loaded(st);
	int rc = vindex_refresh_doc(st->vx, st->pg, turn_tenant(doc->tenant_id), doc->doc_id, errstr, errlen);
	if (rc == 0)
		log_info("vector index: document \"%s\" refreshed (%zu chunk(s) in all)", doc->doc_id,
			 vindex_size(st->vx));
	chat__document__free_unpacked(doc, NULL);
	/* The periodic sync catches up when the database is back. */
	return rc == -1 ? KSTAGE_EBLOCKED : KSTAGE_OK;
}

int retr_store_search(void *arg, const char *tenant, const char *language, const char *query, int k,
		      Chat__Passage ***out, size_t *n, char *errstr, size_t errlen)
{
	struct retr_store *st = arg;
	*out = NULL;
	*n = 0;
	ensure_loaded(st);
	/* customers' words for what the documents call otherwise */
	char *expanded = query_expand(query, language);
	query = expanded;
	int rc = search_lang(st, tenant, language, query, k, out, n, errstr, errlen);
	/* A language with no match falls back to English documents. For the
	 * vector side "no match" means no chunks in that language. */
	if (rc == 0 && strcmp(language, "en")) {
		int none = *n == 0;
		if (none) {
			free_passages(*out, *n);
			*out = NULL;
			*n = 0;
			rc = search_lang(st, tenant, "en", query, k, out, n, errstr, errlen);
		}
	}
	free(expanded);
	return rc;
}
