/* offtrack: an input offset is committed only when it and everything before
 * it on its partition is done (handled and every output delivered). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "offtrack.h"
#include "../testutil.h"

TestSuite(offtrack, .fini = tu_leak_check);

#define MAXCALLS 32

struct call {
	char topic[32];
	int32_t partition;
	int64_t offset;
};

struct rec {
	struct call commits[MAXCALLS], rewinds[MAXCALLS];
	int ncommits, nrewinds;
};

static void on_commit(void *arg, const char *topic, int32_t partition, int64_t next)
{
	struct rec *r = arg;
	cr_assert_lt(r->ncommits, MAXCALLS);
	struct call *c = &r->commits[r->ncommits++];
	snprintf(c->topic, sizeof(c->topic), "%s", topic);
	c->partition = partition;
	c->offset = next;
}

static void on_rewind(void *arg, const char *topic, int32_t partition, int64_t offset)
{
	struct rec *r = arg;
	cr_assert_lt(r->nrewinds, MAXCALLS);
	struct call *c = &r->rewinds[r->nrewinds++];
	snprintf(c->topic, sizeof(c->topic), "%s", topic);
	c->partition = partition;
	c->offset = offset;
}

static void drain(struct offtrack *ot, struct rec *r)
{
	memset(r, 0, sizeof(*r));
	offtrack_drain(ot, on_commit, on_rewind, r);
}

/* One consumed message with one output, sealed. */
static struct offtrack_entry *one_output(struct offtrack *ot, const char *topic, int32_t part, int64_t off)
{
	struct offtrack_entry *e = offtrack_begin(ot, topic, part, off);
	offtrack_add_pending(e);
	offtrack_seal(e);
	return e;
}

static void assert_call(const struct call *c, const char *topic, int32_t part, int64_t off)
{
	cr_assert_str_eq(c->topic, topic);
	cr_assert_eq(c->partition, part);
	cr_assert_eq(c->offset, off, "offset %lld, expected %lld", (long long)c->offset, (long long)off);
}

Test(offtrack, in_order_completion_commits_each)
{
	struct offtrack *ot = offtrack_new();
	struct rec r;
	struct offtrack_entry *e[3];
	for (int i = 0; i < 3; i++)
		e[i] = one_output(ot, "t", 0, 10 + i);
	cr_assert_eq(offtrack_inflight(ot), 3);

	drain(ot, &r);
	cr_assert_eq(r.ncommits, 0, "nothing delivered yet");
	for (int i = 0; i < 3; i++) {
		offtrack_delivered(e[i], 1);
		drain(ot, &r);
		cr_assert_eq(r.ncommits, 1, "entry %d", i);
		assert_call(&r.commits[0], "t", 0, 11 + i);
		cr_assert_eq(r.nrewinds, 0);
		cr_assert_eq(offtrack_inflight(ot), (size_t)(2 - i));
	}
	drain(ot, &r);
	cr_assert_eq(r.ncommits, 0, "nothing new: no commit");
	offtrack_free(ot);
}

Test(offtrack, out_of_order_waits_for_the_head)
{
	struct offtrack *ot = offtrack_new();
	struct rec r;
	struct offtrack_entry *e1 = one_output(ot, "t", 0, 1);
	struct offtrack_entry *e2 = one_output(ot, "t", 0, 2);

	offtrack_delivered(e2, 1);
	drain(ot, &r);
	cr_assert_eq(r.ncommits, 0, "entry 2 is done but entry 1 is not");
	cr_assert_eq(offtrack_inflight(ot), 2);

	offtrack_delivered(e1, 1);
	drain(ot, &r);
	cr_assert_eq(r.ncommits, 1);
	assert_call(&r.commits[0], "t", 0, 3);
	cr_assert_eq(offtrack_inflight(ot), 0);
	offtrack_free(ot);
}

Test(offtrack, several_outputs_all_needed)
{
	struct offtrack *ot = offtrack_new();
	struct rec r;
	struct offtrack_entry *e = offtrack_begin(ot, "t", 0, 5);
	offtrack_add_pending(e);
	offtrack_add_pending(e);
	offtrack_seal(e);
	offtrack_delivered(e, 1);
	drain(ot, &r);
	cr_assert_eq(r.ncommits, 0, "one of two outputs still pending");
	offtrack_delivered(e, 1);
	drain(ot, &r);
	cr_assert_eq(r.ncommits, 1);
	assert_call(&r.commits[0], "t", 0, 6);
	offtrack_free(ot);
}

Test(offtrack, unsealed_entry_is_not_done)
{
	struct offtrack *ot = offtrack_new();
	struct rec r;
	struct offtrack_entry *e = offtrack_begin(ot, "t", 0, 5);
	offtrack_add_pending(e);
	offtrack_delivered(e, 1);
	drain(ot, &r);
	cr_assert_eq(r.ncommits, 0, "the handler may still add outputs");
	offtrack_seal(e);
	drain(ot, &r);
	cr_assert_eq(r.ncommits, 1);
	assert_call(&r.commits[0], "t", 0, 6);
	offtrack_free(ot);
}

Test(offtrack, zero_outputs_sealed_is_done)
{
	struct offtrack *ot = offtrack_new();
	struct rec r;
	offtrack_seal(offtrack_begin(ot, "t", 3, 100));
	drain(ot, &r);
	cr_assert_eq(r.ncommits, 1);
	assert_call(&r.commits[0], "t", 3, 101);
	cr_assert_eq(offtrack_inflight(ot), 0);
	offtrack_free(ot);
}

Test(offtrack, failed_delivery_at_head_rewinds)
{
	struct offtrack *ot = offtrack_new();
	struct rec r;
	struct offtrack_entry *e10 = one_output(ot, "t", 0, 10);
	struct offtrack_entry *e11 = one_output(ot, "t", 0, 11);
	struct offtrack_entry *e12 = one_output(ot, "t", 0, 12);
	offtrack_delivered(e10, 1);
	offtrack_delivered(e11, 0);
	offtrack_delivered(e12, 1);
	drain(ot, &r);
	cr_assert_eq(r.ncommits, 1, "10 is committed, nothing past the failure");
	assert_call(&r.commits[0], "t", 0, 11);
	cr_assert_eq(r.nrewinds, 1);
	assert_call(&r.rewinds[0], "t", 0, 11);
	cr_assert_eq(offtrack_inflight(ot), 0, "the failed entry and those after it are dropped");

	drain(ot, &r);
	cr_assert_eq(r.ncommits + r.nrewinds, 0, "reported once");

	/* Processing again from 11 starts a fresh run of the partition. */
	struct offtrack_entry *again = one_output(ot, "t", 0, 11);
	offtrack_delivered(again, 1);
	drain(ot, &r);
	cr_assert_eq(r.ncommits, 1);
	assert_call(&r.commits[0], "t", 0, 12);
	offtrack_free(ot);
}

Test(offtrack, failed_head_with_later_pending_entries)
{
	struct offtrack *ot = offtrack_new();
	struct rec r;
	struct offtrack_entry *e1 = one_output(ot, "t", 0, 1);
	struct offtrack_entry *e2 = one_output(ot, "t", 0, 2);
	offtrack_delivered(e1, 0);
	drain(ot, &r);
	cr_assert_eq(r.ncommits, 0);
	cr_assert_eq(r.nrewinds, 1);
	assert_call(&r.rewinds[0], "t", 0, 1);
	cr_assert_eq(offtrack_inflight(ot), 1, "entry 2 still awaits its report");

	/* Its report arrives later: freed, never committed. */
	offtrack_delivered(e2, 1);
	drain(ot, &r);
	cr_assert_eq(r.ncommits + r.nrewinds, 0);
	cr_assert_eq(offtrack_inflight(ot), 0);
	offtrack_free(ot);
}

Test(offtrack, partitions_are_independent)
{
	struct offtrack *ot = offtrack_new();
	struct rec r;
	struct offtrack_entry *a = one_output(ot, "t", 0, 7);
	struct offtrack_entry *b = one_output(ot, "t", 1, 7);
	struct offtrack_entry *c = one_output(ot, "u", 0, 7);
	offtrack_delivered(b, 1);
	drain(ot, &r);
	cr_assert_eq(r.ncommits, 1, "a pending head elsewhere does not hold partition 1");
	assert_call(&r.commits[0], "t", 1, 8);

	offtrack_delivered(c, 0);
	drain(ot, &r);
	cr_assert_eq(r.ncommits, 0);
	cr_assert_eq(r.nrewinds, 1);
	assert_call(&r.rewinds[0], "u", 0, 7);

	offtrack_delivered(a, 1);
	drain(ot, &r);
	cr_assert_eq(r.ncommits, 1);
	assert_call(&r.commits[0], "t", 0, 8);
	cr_assert_eq(r.nrewinds, 0);
	offtrack_free(ot);
}

Test(offtrack, drop_partition_stops_reporting)
{
	struct offtrack *ot = offtrack_new();
	struct rec r;
	struct offtrack_entry *e1 = one_output(ot, "t", 0, 1);
	struct offtrack_entry *e2 = one_output(ot, "t", 0, 2);
	offtrack_drop_partition(ot, "t", 0);
	cr_assert_eq(offtrack_inflight(ot), 2, "entries awaiting reports are kept");
	offtrack_delivered(e1, 1);
	offtrack_delivered(e2, 1);
	drain(ot, &r);
	cr_assert_eq(r.ncommits, 0, "a revoked partition is not committed");
	cr_assert_eq(r.nrewinds, 0);
	cr_assert_eq(offtrack_inflight(ot), 0, "finished entries are freed");

	/* Assigned again: tracked afresh. */
	offtrack_seal(offtrack_begin(ot, "t", 0, 2));
	drain(ot, &r);
	cr_assert_eq(r.ncommits, 1);
	assert_call(&r.commits[0], "t", 0, 3);
	offtrack_free(ot);
}

/* Regression: a late failed delivery on a revoked partition once asked for
 * a rewind, making the runner seek a partition it no longer owns. */
Test(offtrack, drop_partition_never_rewinds_a_revoked_partition)
{
	struct offtrack *ot = offtrack_new();
	struct rec r;
	struct offtrack_entry *e1 = one_output(ot, "t", 0, 1);
	offtrack_drop_partition(ot, "t", 0);
	offtrack_delivered(e1, 0);
	drain(ot, &r);
	size_t inflight = offtrack_inflight(ot);
	offtrack_free(ot); /* before asserting, so the failure leaks nothing */
	cr_assert_eq(r.nrewinds, 0, "a revoked partition must not be rewound (rewound to %lld)",
		     (long long)r.rewinds[0].offset);
	cr_assert_eq(r.ncommits, 0);
	cr_assert_eq(inflight, 0);
}

Test(offtrack, drop_unknown_partition_is_harmless)
{
	struct offtrack *ot = offtrack_new();
	struct rec r;
	offtrack_drop_partition(ot, "nope", 9);
	offtrack_seal(offtrack_begin(ot, "t", 0, 0));
	drain(ot, &r);
	cr_assert_eq(r.ncommits, 1);
	offtrack_free(ot);
}

/* Regression: dropping one partition once drained every other partition
 * without callbacks, losing their commits and rewinds. */
Test(offtrack, drop_partition_leaves_other_partitions_alone)
{
	struct offtrack *ot = offtrack_new();
	struct rec r;
	one_output(ot, "t", 0, 1); /* partition 0: will be revoked/blocked */
	struct offtrack_entry *f = one_output(ot, "t", 1, 50);
	struct offtrack_entry *g = one_output(ot, "t", 2, 70);
	offtrack_delivered(f, 0); /* partition 1: output failed, must be rewound */
	offtrack_delivered(g, 1); /* partition 2: done, must be committed */

	offtrack_drop_partition(ot, "t", 0);
	drain(ot, &r);
	offtrack_free(ot); /* before asserting, so the failure leaks nothing */
	cr_assert_eq(r.nrewinds, 1, "the failed output of partition 1 must still be rewound");
	assert_call(&r.rewinds[0], "t", 1, 50);
	cr_assert_eq(r.ncommits, 1, "partition 2's progress must still be committed");
	assert_call(&r.commits[0], "t", 2, 71);
}

Test(offtrack, fail_is_never_committed)
{
	struct offtrack *ot = offtrack_new();
	struct rec r;
	struct offtrack_entry *e = offtrack_begin(ot, "t", 0, 4);
	offtrack_fail(e);
	one_output(ot, "t", 0, 5);
	drain(ot, &r);
	cr_assert_eq(r.ncommits, 0);
	cr_assert_eq(r.nrewinds, 1, "failed entry is consumed again from its offset");
	assert_call(&r.rewinds[0], "t", 0, 4);
	offtrack_free(ot);
}

Test(offtrack, fail_after_a_done_prefix)
{
	struct offtrack *ot = offtrack_new();
	struct rec r;
	offtrack_seal(offtrack_begin(ot, "t", 0, 1));
	offtrack_seal(offtrack_begin(ot, "t", 0, 2));
	offtrack_fail(offtrack_begin(ot, "t", 0, 3));
	drain(ot, &r);
	cr_assert_eq(r.ncommits, 1);
	assert_call(&r.commits[0], "t", 0, 3);
	cr_assert_eq(r.nrewinds, 1);
	assert_call(&r.rewinds[0], "t", 0, 3);
	cr_assert_eq(offtrack_inflight(ot), 0);
	offtrack_free(ot);
}

Test(offtrack, inflight_counts)
{
	struct offtrack *ot = offtrack_new();
	struct rec r;
	cr_assert_eq(offtrack_inflight(ot), 0);
	struct offtrack_entry *a = one_output(ot, "t", 0, 0);
	one_output(ot, "t", 1, 0);
	offtrack_begin(ot, "u", 0, 0);
	cr_assert_eq(offtrack_inflight(ot), 3);
	offtrack_delivered(a, 1);
	drain(ot, &r);
	cr_assert_eq(offtrack_inflight(ot), 2);
	offtrack_free(ot); /* frees what is left (LSan checks) */
}
