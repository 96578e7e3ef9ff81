/* retriever: passages are replaced on every pass, and the turn is routed. */
#include <criterion/criterion.h>

#include "../../testutil.h"
#include "services/retriever/retriever.h"

TestSuite(retr, .fini = tu_leak_check);

Test(retr, clears_passages_and_routes)
{
	struct retr r = { "chat.grounded.v1", 5 };
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
	struct retr r = { "x.v1", 3 };
	Chat__Turn *t = tu_turn("s1", "t1", "hi");
	struct turn_dests d = { .n = 0 };
	char err[128] = "";
	cr_assert_eq(retr_process(&r, t, &d, err, sizeof(err)), 0);
	cr_assert_eq(t->n_passages, 0);
	cr_assert_eq(d.n, 1);
	cr_assert_str_eq(d.topic[0], "x.v1");
	turn_free(t);
}
