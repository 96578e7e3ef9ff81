/* store: the retriever's hybrid search over kb_chunks
 * (deploy/migrations/003_kb_chunks.sql, 004_kb_embeddings.sql) behind
 * retr_search_fn: PostgreSQL full-text ranking over a bounded candidate
 * set, plus dense vectors searched in memory (vindex.h), fused by
 * reciprocal rank fusion. */
#ifndef SERVICES_RETRIEVER_STORE_H
#define SERVICES_RETRIEVER_STORE_H

#include "cpg.h"
#include "embed.h"
#include "retriever.h"
#include "vindex.h"

#define RETR_CANDIDATES 50 /* full-text matches ranked per query, and vector candidates fused */
#define RETR_MATCH_MAX 300   /* full-text matches ranked per query (each of two sets) */
#define RETR_RERANK 100      /* of those, the best by ts_rank ranked again by ts_rank_cd */
#define RETR_OR_BUDGET 5000 /* estimated matches of the words OR-ed (the rarest word always) */
#define RETR_EST_MIN 50     /* words estimated to match fewer chunks count as rare (0) */
#define RETR_STATS_US (60 * 1000000LL) /* planner statistics re-read at most this often */
#define RETR_PLAN_ROWS 5000 /* from this many estimated chunks a tenant's search is planned each time and
			     * may use the full-text index; below, it tests the tenant's chunks one by one */

/* The planner's statistics the full-text search bounds its work with:
 * the commonest words of kb_chunks.tsv (share of chunks) and the
 * tenants with the most chunks (share of chunks), from pg_stats. */
struct retr_stats {
	int64_t at_us;  /* read at (0: never) */
	double nrows;   /* pg_class.reltuples */
	size_t nw, nt;
	char **words, **tenants;
	double *wfreq, *tfreq;
};
#define RETR_RRF_K 60      /* reciprocal rank fusion: score = sum of w / (RETR_RRF_K + rank) */
#define RETR_W_FTS 1.0     /* weight of the full-text ranking in RRF */
#define RETR_W_VEC 1.0     /* weight of the vector ranking in RRF */
#define RETR_ALPHA 0.5     /* convex combination: share of the full-text score */
#define RETR_FUSE_METHOD RETR_FUSE_CC

enum retr_fuse_method { RETR_FUSE_RRF = 0, RETR_FUSE_CC };

/* How the two rankings are fused:
 *  - RRF, weighted reciprocal rank fusion: an item scores the sum over
 *    the rankings it is in of w / (k + rank); ranks only.
 *  - CC, convex combination of scores min-max normalised per ranking
 *    (its best 1, its worst candidate 0): an item scores
 *    alpha * fts' + (1 - alpha) * cos', a ranking it is missing from
 *    adding 0. A confident leader of one ranking keeps its margin, and
 *    the tail of a ranking (where RRF still adds 1 / (k + rank) for
 *    every candidate) adds next to nothing. Needs the scores; without
 *    them plain RRF (RETR_RRF_K, weights 1) is used. */
struct retr_fusion {
	enum retr_fuse_method method;
	int k;
	double w_fts, w_vec;
	double alpha;
};

enum retr_mode { RETR_FUSED = 0, RETR_FTS, RETR_VECTOR };

struct retr_store {
	struct cpg *pg;
	struct vindex *vx;     /* NULL: full-text only */
	enum retr_mode mode;
	struct retr_fusion fusion; /* RETR_RRF_K, RETR_W_FTS, RETR_W_VEC */
	struct retr_stats stats;
	char *search_small;    /* the full-text search for a small tenant (see store.c) */
	int64_t last_sync_us;  /* vindex_sync at most every RETR_SYNC_US */
	long vector_failures;  /* query vectors the provider could not make */
};

#define RETR_SYNC_US (5 * 1000000LL)

/* A store over database_url; emb (borrowed, may be NULL) gives the vector
 * side, loaded lazily on the first search (or vindex_load by the caller).
 * mode picks fused, full-text or vector ranking. */
struct retr_store *retr_store_new(const char *database_url, struct embedder *emb, enum retr_mode mode);
void retr_store_free(struct retr_store *st);
/* "fused", "fts", "vector" -> mode, or -1. */
int retr_mode_of(const char *name);

/* retr_search_fn over a struct retr_store *arg. */
int retr_store_search(void *arg, const char *tenant, const char *language, const char *query, int k,
		      Chat__Passage ***out, size_t *n, char *errstr, size_t errlen);

/* Keep the vector index current: on kb.updated.v1 (refresh that
 * document), and from a timer (retr_store_tick: a cheap signature check
 * every RETR_SYNC_US, a full reload when another replica applied a
 * change). */
int retr_kb_updated(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen);
void retr_store_tick(void *arg);

/* The common words of tenant as a pair of PostgreSQL array literals
 * (heap; caller frees): words[] and their estimated chunks est[] (share
 * of chunks times the tenant's estimated chunks), only those estimated
 * at RETR_EST_MIN chunks or more. A tenant not among the statistics'
 * largest gets none. Returns the tenant's estimated chunks (0 when not
 * among the largest). Pure. */
double retr_common_words(const struct retr_stats *stats, const char *tenant, char **words, char **est);

/* Reciprocal rank fusion (fu: a is the full-text ranking, b the vector
 * one) of two ranked lists of ids (best first, either may be empty):
 * fills out_idx with at most k entries, each an index into a (0..na) or,
 * plus na, into b (na..na+nb) for ids only in b; scores in out_score,
 * best first (ties by id). Returns how many. Pure. */
size_t retr_rrf(const char *const *a, size_t na, const char *const *b, size_t nb, const struct retr_fusion *fu,
		int k, size_t *out_idx, double *out_score);
/* retr_rrf with the rankings' scores (as[0..na), bs[0..nb); NULL: only
 * RRF can be used), fused by fu->method. Pure. */
size_t retr_fuse(const char *const *a, const double *as, size_t na, const char *const *b, const double *bs,
		 size_t nb, const struct retr_fusion *fu, int k, size_t *out_idx, double *out_score);

#endif
