/* retriever: passages come from the search function, replace those of an
 * earlier pass, are bounded by top_k, and a failing search never stops the
 * turn. */
#include <criterion/criterion.h>

#include "../../testutil.h"
#include "services/retriever/retriever.h"

TestSuite(retr, .fini = tu_leak_check);

struct fake_search {
	int rc;      /* what the search returns */
	int hits;    /* passages it returns on success */
	int calls;
	char tenant[32], language[8], query[128];
	int k;
};

static int fake_search(void *arg, const char *tenant, const char *language, const char *query, int k,
		       Chat__Passage ***out, size_t *n, char *errstr, size_t errlen)
{
	struct fake_search *f = arg;
	f->calls++;
	snprintf(f->tenant, sizeof(f->tenant), "%s", tenant);
	snprintf(f->language, sizeof(f->language), "%s", language);
	snprintf(f->query, sizeof(f->query), "%s", query);
	f->k = k;
	*out = NULL;
	*n = 0;
	if (f->rc) {
		snprintf(errstr, errlen, "refused");
		return f->rc;
	}
	*out = xcalloc((size_t)f->hits + 1, sizeof(**out));
	for (int i = 0; i < f->hits; i++) {
		Chat__Passage *p = xmalloc(sizeof(*p));
		chat__passage__init(p);
		p->id = xasprintf("en/returns-refunds.md#%d", i);
		p->document = xstrdup("en/returns-refunds.md");
		p->title = xstrdup("Returns and refunds policy");
		p->text = xstrdup("You can return an item within 30 days.");
		p->score = 1.0 / (i + 1);
		(*out)[i] = p;
	}
	*n = (size_t)f->hits;
	return 0;
}

static struct retr make_retr(const char *topic, int k, struct fake_search *f)
{
	struct retr r = { topic, k, f ? fake_search : NULL, f, 0, 0 };
	return r;
}

Test(retr, clears_passages_and_routes)
{
	struct retr r = make_retr("chat.grounded.v1", 5, NULL);
	Chat__Turn *t = tu_turn("s1", "t1", "return policy?");
	tu_add_passage(t, "old-1", "Old");
	tu_add_passage(t, "old-2", "Older");
	struct turn_dests d = { .n = 0 };
	char err[128] = "";
	cr_assert_eq(retr_process(&r, t, &d, err, sizeof(err)), 0);
	cr_assert_eq(t->n_passages, 0, "passages of an earlier attempt are dropped");
	cr_assert_eq(d.n, 1);
	cr_assert_str_eq(d.topic[0], "chat.grounded.v1");
	cr_assert_eq(d.partition[0], RD_KAFKA_PARTITION_UA);

	/* The result still encodes and decodes as a valid Turn. */
	size_t len;
	void *buf = turn_encode(t, &len);
	Chat__Turn *u = turn_decode(buf, len, err, sizeof(err));
	cr_assert_not_null(u, "%s", err);
	cr_assert_eq(u->n_passages, 0);
	turn_free(u);
	free(buf);
	turn_free(t);
}

Test(retr, no_passages_is_fine)
{
	struct fake_search f = { .hits = 0 };
	struct retr r = make_retr("x.v1", 3, &f);
	Chat__Turn *t = tu_turn("s1", "t1", "hi");
	struct turn_dests d = { .n = 0 };
	char err[128] = "";
	cr_assert_eq(retr_process(&r, t, &d, err, sizeof(err)), 0);
	cr_assert_eq(f.calls, 1);
	cr_assert_eq(t->n_passages, 0);
	cr_assert_eq(d.n, 1);
	cr_assert_str_eq(d.topic[0], "x.v1");
	turn_free(t);
}

Test(retr, passages_from_the_search_replace_old_ones)
{
	struct fake_search f = { .hits = 2 };
	struct retr r = make_retr("chat.grounded.v1", 5, &f);
	Chat__Turn *t = tu_turn("s1", "t1", "Can I return a sofa?");
	turn_set_str(&t->language, "ms");
	tu_add_passage(t, "old-1", "Old");
	struct turn_dests d = { .n = 0 };
	char err[128] = "";
	cr_assert_eq(retr_process(&r, t, &d, err, sizeof(err)), 0);
	cr_assert_str_eq(f.tenant, "tenant-1");
	cr_assert_str_eq(f.language, "ms", "the turn's language is searched");
	cr_assert_str_eq(f.query, "Can I return a sofa?");
	cr_assert_eq(f.k, 5);
	cr_assert_eq(t->n_passages, 2);
	cr_assert_str_eq(t->passages[0]->id, "en/returns-refunds.md#0");
	cr_assert_str_eq(t->passages[0]->document, "en/returns-refunds.md");
	cr_assert_float_eq(t->passages[1]->score, 0.5, 1e-9);

	/* A replay gives the same passages, not twice as many. */
	d.n = 0;
	cr_assert_eq(retr_process(&r, t, &d, err, sizeof(err)), 0);
	cr_assert_eq(t->n_passages, 2);

	size_t len;
	void *buf = turn_encode(t, &len);
	Chat__Turn *u = turn_decode(buf, len, err, sizeof(err));
	cr_assert_not_null(u, "%s", err);
	cr_assert_eq(u->n_passages, 2);
	cr_assert_str_eq(u->passages[1]->title, "Returns and refunds policy");
	turn_free(u);
	free(buf);
	turn_free(t);
}

Test(retr, at_most_top_k_and_defaults)
{
	struct fake_search f = { .hits = 7 };
	struct retr r = make_retr("chat.grounded.v1", 3, &f);
	Chat__Turn *t = tu_turn("s1", "t1", "delivery fee");
	turn_set_str(&t->tenant_id, "");
	struct turn_dests d = { .n = 0 };
	char err[128] = "";
	cr_assert_eq(retr_process(&r, t, &d, err, sizeof(err)), 0);
	cr_assert_eq(t->n_passages, 3, "a search that returns too many is cut to top_k");
	cr_assert_str_eq(f.tenant, "demo", "no tenant: the demo tenant");
	cr_assert_str_eq(f.language, "en", "no language: English");
	turn_free(t);
}

Test(retr, failing_search_goes_on_without_passages)
{
	struct fake_search f = { .rc = -1 };
	struct retr r = make_retr("chat.grounded.v1", 5, &f);
	for (int i = 0; i < 3; i++) {
		Chat__Turn *t = tu_turn("s1", "t1", "return policy?");
		tu_add_passage(t, "old-1", "Old");
		struct turn_dests d = { .n = 0 };
		char err[128] = "";
		cr_assert_eq(retr_process(&r, t, &d, err, sizeof(err)), 0, "never a failure for the turn");
		cr_assert_eq(t->n_passages, 0);
		cr_assert_eq(d.n, 1, "the turn still goes on");
		turn_free(t);
	}
	cr_assert_eq(r.failures, 3);
	f.rc = -2;
	Chat__Turn *t = tu_turn("s1", "t2", "x");
	struct turn_dests d = { .n = 0 };
	char err[128] = "";
	cr_assert_eq(retr_process(&r, t, &d, err, sizeof(err)), 0);
	cr_assert_eq(r.failures, 4);
	turn_free(t);
}

Test(retr, empty_text_is_not_searched)
{
	struct fake_search f = { .hits = 2 };
	struct retr r = make_retr("chat.grounded.v1", 5, &f);
	Chat__Turn *t = tu_turn("s1", "t1", "");
	struct turn_dests d = { .n = 0 };
	char err[128] = "";
	cr_assert_eq(retr_process(&r, t, &d, err, sizeof(err)), 0);
	cr_assert_eq(f.calls, 0);
	cr_assert_eq(t->n_passages, 0);
	turn_free(t);
}
