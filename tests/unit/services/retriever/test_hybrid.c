/* Hybrid retrieval pieces without a database: reciprocal rank fusion and
 * the in-memory vector index (filter by tenant and language, best first,
 * refresh by document). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
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

Test(hybrid, convex_combination_keeps_a_confident_leader)
{
	/* Full text is sure of "a" (0.9 against 0.2 and 0.1); the vectors
	 * put "a" fourth, a hair behind the leader "b". RRF (ranks only) puts
	 * "b" first; the score fusion keeps "a", whose vector score is close
	 * to the best. */
	const char *fts[] = { "a", "b", "c" };
	const double fs[] = { 0.9, 0.2, 0.1 };
	const char *vec[] = { "b", "d", "e", "a", "c" };
	const double vs[] = { 0.50, 0.49, 0.48, 0.47, 0.10 };
	size_t idx[8];
	double sc[8];
	const struct retr_fusion rrf = { RETR_FUSE_RRF, 60, 1.0, 1.0, 0 };
	cr_assert_eq(retr_fuse(fts, fs, 3, vec, vs, 5, &rrf, 5, idx, sc), 5);
	cr_assert_eq(idx[0], 1, "RRF: b first");
	const struct retr_fusion cc = { RETR_FUSE_CC, 0, 0, 0, 0.5 };
	cr_assert_eq(retr_fuse(fts, fs, 3, vec, vs, 5, &cc, 5, idx, sc), 5);
	cr_assert_eq(idx[0], 0, "CC: a first");
	/* a: 0.5 * 1 + 0.5 * 0.37 / 0.40; b: 0.5 * 0.1 / 0.8 + 0.5 * 1. */
	cr_assert_float_eq(sc[0], 0.5 + 0.5 * 0.37 / 0.40, 1e-9);
	cr_assert_eq(idx[1], 1);
	cr_assert_float_eq(sc[1], 0.5 * 0.125 + 0.5, 1e-9);
	/* d (3 + 1): from the vectors alone, nothing from full text. */
	cr_assert_eq(idx[2], 3 + 1);
	cr_assert_float_eq(sc[2], 0.5 * 0.39 / 0.40, 1e-9);
	cr_assert_eq(idx[4], 2, "c: the worst of both adds 0");
	cr_assert_float_eq(sc[4], 0.0, 1e-9);
	cr_assert_eq(retr_fuse(fts, fs, 3, vec, vs, 5, &cc, 2, idx, sc), 2, "bounded by k");

	/* One candidate alone (best == worst) counts as 1. */
	const char *one[] = { "x" };
	const double os[] = { 0.4 };
	cr_assert_eq(retr_fuse(fts, fs, 3, one, os, 1, &cc, 5, idx, sc), 4);
	cr_assert_eq(idx[0], 0, "a and x tie at 0.5: by id");
	cr_assert_eq(idx[1], 3, "then x, from the vectors alone");
	cr_assert_float_eq(sc[1], 0.5, 1e-9);
	/* Without scores the fusion falls back to ranks. */
	cr_assert_eq(retr_fuse(fts, NULL, 3, vec, NULL, 5, &cc, 5, idx, sc), 5);
	cr_assert_eq(idx[0], 1, "b: 1/62 + 1/61");
	cr_assert_float_eq(sc[0], 1.0 / 62 + 1.0 / 61, 1e-12);
}

/* A group larger than the prefilter threshold is searched over the
 * sketches first: with the threshold at 0 the two-stage search must find
 * what the exact one finds for queries near stored rows. */
Test(hybrid, vindex_two_stage_agrees_with_exact)
{
	char err[256];
	struct embed_conf c = { .provider = "local", .dim = 512 };
	struct embedder *e = embed_new(&c, err, sizeof(err));
	struct vindex *vx = vindex_new(e);
	static const char *const words[] = { "sofa", "delivery", "refund", "warranty", "lamp", "cracked", "penang",
					     "assembly", "voucher", "mattress", "installment", "store", "hours",
					     "exchange", "damaged", "parcel", "tracking", "price", "match", "cot" };
	float v[512];
	char text[256], id[32];
	for (int i = 0; i < 6000; i++) {
		/* Four words a row, drawn deterministically. */
		snprintf(text, sizeof(text), "%s %s %s %s", words[i % 20], words[(i / 20) % 20], words[(i * 7 + 3) % 20],
			 words[(i * 13 + 5) % 20]);
		snprintf(id, sizeof(id), "d%d#0", i);
		embed_local_doc(text, v, 512);
		vindex_add(vx, "t", "en", id, id, id, text, v);
	}
	struct vhit exact[10], fast[10];
	int same_top = 0, overlap = 0;
	for (int qi = 0; qi < 20; qi++) {
		snprintf(text, sizeof(text), "%s %s %s", words[qi], words[(qi * 3 + 1) % 20], words[(qi * 11 + 2) % 20]);
		embed_local_doc(text, v, 512);
		vindex_set_prefilter(vx, SIZE_MAX);
		size_t ne = vindex_search(vx, "t", "en", v, 10, exact);
		vindex_set_prefilter(vx, 0);
		size_t nf = vindex_search(vx, "t", "en", v, 10, fast);
		cr_assert_eq(ne, 10);
		cr_assert_eq(nf, 10);
		for (size_t i = 1; i < nf; i++)
			cr_assert_geq(fast[i - 1].score, fast[i].score, "best first");
		/* Rows with the same text tie: compare scores, not rows. */
		same_top += fabsf(exact[0].score - fast[0].score) < 1e-6f;
		for (size_t i = 0; i < nf; i++)
			overlap += fabsf(exact[i].score - fast[i].score) < 1e-6f;
	}
	/* The shortlist (1024 of 6000 rows) holds nearly every true hit. */
	cr_assert_geq(same_top, 19, "best hit found: %d of 20", same_top);
	cr_assert_geq(overlap, 180, "top-10 scores the same: %d of 200", overlap);
	vindex_free(vx);
	embed_free(e);
}

/* The statistics become the common words of one tenant as array
 * literals: estimates scale with the tenant's chunks, rare ones and
 * unknown tenants drop out, quotes and backslashes are escaped. */
Test(hybrid, common_words_for_a_tenant)
{
	char w0[] = "deliveri", w1[] = "say \"hi\"\\", w2[] = "rare";
	char t0[] = "big", t1[] = "small";
	char *words[] = { w0, w1, w2 }, *tenants[] = { t0, t1 };
	double wf[] = { 0.4, 0.1, 0.0001 }, tf[] = { 0.9, 0.001 };
	struct retr_stats s = { .at_us = 1, .nrows = 100000, .nw = 3, .nt = 2, .words = words, .tenants = tenants,
				.wfreq = wf, .tfreq = tf };
	char *w, *e;
	double rows = retr_common_words(&s, "big", &w, &e);
	cr_assert_float_eq(rows, 90000.0, 0.5, "the tenant's estimated chunks");
	cr_assert_str_eq(w, "{\"deliveri\",\"say \\\"hi\\\"\\\\\"}");
	cr_assert_str_eq(e, "{36000,9000}", "share of chunks times the tenant's 90000; 9 is under RETR_EST_MIN");
	free(w);
	free(e);
	retr_common_words(&s, "small", &w, &e);
	cr_assert_str_eq(w, "{}", "100 chunks: every word rare");
	cr_assert_str_eq(e, "{}");
	free(w);
	free(e);
	rows = retr_common_words(&s, "unknown", &w, &e);
	cr_assert_float_eq(rows, 0.0, 0.01, "not among the largest");
	cr_assert_str_eq(w, "{}");
	free(w);
	free(e);
	struct retr_stats none = { 0 };
	retr_common_words(&none, "big", &w, &e);
	cr_assert_str_eq(w, "{}", "no statistics yet");
	cr_assert_str_eq(e, "{}");
	free(w);
	free(e);
}

/* A small tenant's search is the same statement with its matches written
 * so that no index on tsv can serve them (beside a large tenant, the
 * full-text index's bitmap of an OR of common words is the large tenant's
 * matches). */
Test(hybrid, a_small_tenants_search_tests_its_own_rows)
{
	struct retr_store *st = retr_store_new("postgresql://x:y@127.0.0.1:1/none", NULL, RETR_FTS);
	const char *sql = st->search_small;
	cr_assert(strstr(sql, "coalesce(c.tsv @@ q.allq, false)") && strstr(sql, "coalesce(c.tsv @@ q.rareq, false)"),
		  "%s", sql);
	/* every match of the statement is rewritten, none is left indexable */
	size_t n = 0;
	for (const char *p = sql; (p = strstr(p, "c.tsv @@ ")); p++)
		n++;
	cr_assert_eq(n, 2, "two conditions, both inside coalesce: %s", sql);
	cr_assert(strstr(sql, "ts_rank_cd(c.tsv, q.anyq, 1)"), "ranked as before");
	retr_store_free(st);
}
