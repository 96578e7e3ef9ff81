/* Hybrid retrieval pieces without a database: reciprocal rank fusion and
 * the in-memory vector index (filter by tenant and language, best first,
 * refresh by document). */
#include <criterion/criterion.h>
#include <string.h>

#include "../../testutil.h"
#include "services/retriever/store.h"
#include "services/retriever/vindex.h"

TestSuite(hybrid, .fini = tu_leak_check);

Test(hybrid, rrf_rewards_agreement)
{
	const char *fts[] = { "a", "b", "c" };
	const char *vec[] = { "c", "d", "a" };
	size_t idx[6];
	double sc[6];
	const struct retr_fusion fu = { RETR_FUSE_RRF, 60, 1.0, 1.0, 0 };
	size_t n = retr_rrf(fts, 3, vec, 3, &fu, 5, idx, sc);
	cr_assert_eq(n, 4);
	/* a: 1/61 + 1/63; c: 1/63 + 1/61: a tie broken by id. */
	cr_assert_eq(idx[0], 0, "a first");
	cr_assert_eq(idx[1], 2, "then c");
	cr_assert_float_eq(sc[0], 1.0 / 61 + 1.0 / 63, 1e-12);
	/* b (1/62) and d (1/62, only in the second list) tie: by id. */
	cr_assert_eq(idx[2], 1, "then b");
	cr_assert_eq(idx[3], 3 + 1, "d last");
	cr_assert_eq(retr_rrf(fts, 3, NULL, 0, &fu, 2, idx, sc), 2, "one list alone, bounded by k");
	cr_assert_eq(idx[0], 0);
	cr_assert_eq(retr_rrf(NULL, 0, NULL, 0, &fu, 5, idx, sc), 0);
}

/* dim 256 takes the AVX2 scan where the CPU has it, 200 the portable one. */
static void filters_and_ranks(int dim)
{
	char err[256];
	struct embed_conf c = { .provider = "local", .dim = dim };
	struct embedder *e = embed_new(&c, err, sizeof(err));
	struct vindex *vx = vindex_new(e);
	static const struct {
		const char *tenant, *lang, *doc, *text;
	} rows[] = {
		{ "t1", "en", "returns.md", "Return an item within 30 days for a full refund" },
		{ "t1", "en", "delivery.md", "Delivery to Sabah and Sarawak takes five to seven working days" },
		{ "t1", "en", "stores.md", "Our Penang store opens at ten in the morning" },
		{ "t1", "ms", "returns-ms.md", "Pulangkan barang dalam tempoh 30 hari untuk bayaran balik" },
		{ "t2", "en", "other.md", "Return an item within 30 days for a full refund" },
	};
	float v[256];
	cr_assert_leq(dim, 256);
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		embed_local_doc(rows[i].text, v, dim);
		char id[64];
		snprintf(id, sizeof(id), "%s#0", rows[i].doc);
		vindex_add(vx, rows[i].tenant, rows[i].lang, rows[i].doc, id, rows[i].doc, rows[i].text, v);
	}
	cr_assert_eq(vindex_size(vx), 5);
	cr_assert_eq(vindex_count(vx, "t1", "en"), 3);
	cr_assert_eq(vindex_count(vx, "t3", "en"), 0);
	cr_assert_eq(vindex_query_vec(vx, "t1", "how many days to get a refund on a returned item", v, err, sizeof(err)), 0);
	struct vhit hits[5];
	size_t n = vindex_search(vx, "t1", "en", v, 5, hits);
	cr_assert_eq(n, 3, "tenant and language filter");
	cr_assert_str_eq(vindex_row(vx, hits[0].row)->doc_id, "returns.md");
	cr_assert_geq(hits[0].score, hits[1].score);
	cr_assert_geq(hits[1].score, hits[2].score);
	cr_assert_eq(vindex_search(vx, "t1", "en", v, 1, hits), 1, "k bounds");
	cr_assert_eq(vindex_search(vx, "nobody", "en", v, 5, hits), 0);
	cr_assert_eq(vindex_query_vec(vx, "t1", "berapa hari untuk bayaran balik", v, err, sizeof(err)), 0);
	n = vindex_search(vx, "t1", "ms", v, 5, hits);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(vindex_row(vx, hits[0].row)->doc_id, "returns-ms.md");
	vindex_free(vx);
	embed_free(e);
}

Test(hybrid, vindex_filters_and_ranks)
{
	filters_and_ranks(256);
	filters_and_ranks(200);
}
