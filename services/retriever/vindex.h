/* vindex: the retriever's in-memory vector index over kb_chunks. Loaded
 * at start (in batches), refreshed per document on kb.updated.v1 and in
 * full when the stored documents' signature changes (another replica saw
 * the update). Vectors are kept as int8 with one scale per row, so 100k
 * chunks of 768 dimensions are 77 MB. A large (tenant, language) group
 * is searched in two stages: a 256-byte sketch of every row (a count
 * sketch of its vector, 26 MB for 100k rows) picks a shortlist of
 * VX_SHORTLIST rows, whose full vectors give the scores. Only rows
 * made by the configured embeddings model are kept. Not thread-safe: one
 * stage thread owns it. */
#ifndef SERVICES_RETRIEVER_VINDEX_H
#define SERVICES_RETRIEVER_VINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "cpg.h"
#include "embed.h"

struct vindex;

#define VX_SKETCH_DIM 256          /* bytes of a row's sketch */
#define VX_PREFILTER_MIN 8192      /* groups with more rows are searched in two stages */
#define VX_SHORTLIST 2048          /* rows scored in full after the sketch stage (at least) */
#define VX_SHORTLIST_PER_HIT 20    /* ... and at least this many per asked hit */

struct vrow {
	char *tenant, *language, *doc_id, *chunk_id, *title, *text;
	int group; /* (tenant, language) pair index */
};

struct vhit {
	size_t row;
	float score; /* cosine similarity, about -1..1 */
};

/* A new empty index for vectors of emb (borrowed; must outlive it). */
struct vindex *vindex_new(struct embedder *emb);
void vindex_free(struct vindex *vx);

/* Replace the whole index with the rows in PostgreSQL. 0, -1 unreachable,
 * -2 refused (errstr). On failure the old index stays. */
int vindex_load(struct vindex *vx, struct cpg *pg, char *errstr, size_t errlen);
/* Reload one document's rows (none left when it was removed). */
int vindex_refresh_doc(struct vindex *vx, struct cpg *pg, const char *tenant, const char *doc_id, char *errstr,
		       size_t errlen);
/* When the stored documents changed since the last load or refresh
 * (count, versions, last update), reload everything. 0 or the error. */
int vindex_sync(struct vindex *vx, struct cpg *pg, char *errstr, size_t errlen);

/* Add one row (vector v of dim floats, L2-normalised): for loading and
 * tests. Strings are copied. */
void vindex_add(struct vindex *vx, const char *tenant, const char *language, const char *doc_id,
		const char *chunk_id, const char *title, const char *text, const float *v);

/* The query's vector into out[0..dim) (local: IDF-weighted over the
 * tenant's rows; remote: one provider call). 0, or the provider's error. */
int vindex_query_vec(struct vindex *vx, const char *tenant, const char *query, float *out, char *errstr,
		     size_t errlen);

/* Best k rows of tenant in language by cosine with q (best first) into
 * out[0..k); returns how many. */
size_t vindex_search(const struct vindex *vx, const char *tenant, const char *language, const float *q, int k,
		     struct vhit *out);

/* Search groups of more than min_rows rows in two stages (default
 * VX_PREFILTER_MIN; SIZE_MAX: always exact). For tests and benchmarks. */
void vindex_set_prefilter(struct vindex *vx, size_t min_rows);

/* Rows of tenant in language. */
size_t vindex_count(const struct vindex *vx, const char *tenant, const char *language);
size_t vindex_size(const struct vindex *vx);
int vindex_dim(const struct vindex *vx);
const struct vrow *vindex_row(const struct vindex *vx, size_t i);

#endif
