/* kstage: the emit buffer a handler fills. Ownership is only observable
 * under ASan/LSan (make SAN=1 test-unit): a leak or double free fails there. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "kstage.h"
#include "util.h"
#include "../testutil.h"

TestSuite(kstage, .fini = tu_leak_check);

Test(kstage, emit_copies_topic_and_key_and_takes_value)
{
	struct kstage_emit em = { .n = 0 };
	char topic[] = "out.v1";
	char key[] = "session-1XXX";
	char *value = xstrdup("payload");
	cr_assert_eq(kstage_emit(&em, topic, 3, key, 9, value, 7), 0);
	topic[0] = 'Z';
	key[0] = 'Z';
	cr_assert_eq(em.n, 1);
	cr_assert_str_eq(em.outs[0].topic, "out.v1", "topic copied");
	cr_assert_eq(em.outs[0].key_len, 9);
	cr_assert_str_eq(em.outs[0].key, "session-1", "key copied, key_len bytes");
	cr_assert_eq(em.outs[0].partition, 3);
	cr_assert_eq(em.outs[0].value, value, "value taken, not copied");
	cr_assert_eq(em.outs[0].len, 7);

	cr_assert_eq(kstage_emit(&em, "other", -1, NULL, 0, xstrdup("x"), 1), 0);
	cr_assert_null(em.outs[1].key, "no key");
	cr_assert_eq(em.outs[1].key_len, 0);

	kstage_emit_reset(&em); /* frees topic, key and value of both */
	cr_assert_eq(em.n, 0);
	kstage_emit_reset(&em); /* idempotent */
	cr_assert_eq(em.n, 0);
}

Test(kstage, emit_beyond_max_fails_and_frees)
{
	struct kstage_emit em = { .n = 0 };
	for (int i = 0; i < KSTAGE_MAX_OUT; i++)
		cr_assert_eq(kstage_emit(&em, "t", 0, "k", 1, xmalloc(16), 16), 0, "output %d", i);
	cr_assert_eq(em.n, KSTAGE_MAX_OUT);
	/* The value is still taken (freed) on failure: LSan reports it otherwise. */
	cr_assert_eq(kstage_emit(&em, "t", 0, "k", 1, xmalloc(16), 16), -1);
	cr_assert_eq(em.n, KSTAGE_MAX_OUT, "a full emit stays as it was");
	kstage_emit_reset(&em);
	cr_assert_eq(em.n, 0);
	cr_assert_eq(kstage_emit(&em, "t", 0, "k", 1, xmalloc(16), 16), 0, "usable again after reset");
	kstage_emit_reset(&em);
}
