/* orch-bench: orchestrator turn time with the real store (Redis memory and
 * session state, PostgreSQL look-ups), no Kafka: orch_route on an order
 * status turn, for a guest (memory and state in one Redis round trip, one
 * PostgreSQL look-up, the state saved) and for
 * a signed-in customer (plus the L1 context query), after the bare round
 * trips to Redis and PostgreSQL for scale. Needs REDIS_URL and
 * DATABASE_URL of a stack with the demo data. Prints p50/p99/max. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orchestrator.h"
#include "store.h"
#include "util.h"

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static Chat__Turn *make_turn(const char *sid, int n, const char *customer)
{
	Chat__Turn *t = turn_new();
	char tid[64];
	snprintf(tid, sizeof(tid), "%s-%d", sid, n);
	turn_set_str(&t->tenant_id, "demo");
	turn_set_str(&t->session_id, sid);
	turn_set_str(&t->turn_id, tid);
	turn_set_str(&t->trace_id, tid);
	turn_set_str(&t->text, "Where is my order ORD-102695? aisyah.kamal@example.com");
	turn_set_str(&t->intent, "order_status");
	turn_set_str(&t->language, "en");
	t->confidence = 0.95f;
	t->customer = xmalloc(sizeof(*t->customer));
	chat__customer__init(t->customer);
	turn_set_str(&t->customer->id, customer);
	t->customer->authenticated = *customer != '\0';
	const char *types[] = { "order_id", "email" }, *vals[] = { "ORD-102695", "aisyah.kamal@example.com" };
	t->entities = xcalloc(2, sizeof(*t->entities));
	for (int i = 0; i < 2; i++) {
		Chat__Entity *e = xmalloc(sizeof(*e));
		chat__entity__init(e);
		e->type = xstrdup(types[i]);
		e->value = xstrdup(vals[i]);
		t->entities[t->n_entities++] = e;
	}
	return t;
}

static int run(struct orch *o, const char *label, const char *customer, int n)
{
	char sid[64], uuid[37];
	util_uuid(uuid);
	snprintf(sid, sizeof(sid), "bench-%.8s", uuid);
	/* Ten remembered exchanges, as a session in full flow has. */
	for (int i = 0; i < 10; i++) {
		Chat__Turn *t = make_turn(sid, -1 - i, customer);
		o->io.remember(o->io.arg, t, "an earlier answer of ordinary length for the memory", o->history_max);
		turn_free(t);
	}
	int64_t *lat = xcalloc((size_t)n, sizeof(*lat));
	int ok = 1;
	for (int i = -100; i < n; i++) { /* 100 warm-up turns */
		Chat__Turn *t = make_turn(sid, i + 100, customer);
		struct turn_dests d = { .n = 0 };
		char err[256];
		int64_t t0 = util_mono_us();
		orch_route(o, t, &d, err, sizeof(err));
		int64_t dt = util_mono_us() - t0;
		if (i == 0 && (!t->draft || !strstr(t->draft->text, "JTMY6861352767") || t->n_history == 0)) {
			fprintf(stderr, "orch-bench: unexpected answer (is the stack up with the demo data?): %s\n",
				t->draft ? t->draft->text : "(none)");
			ok = 0;
		}
		if (i >= 0)
			lat[i] = dt;
		turn_free(t);
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp);
	printf("%-44s turns %d  p50 %.3f ms  p99 %.3f ms  max %.3f ms\n", label, n, (double)lat[n / 2] / 1000.0,
	       (double)lat[(size_t)((double)n * 0.99)] / 1000.0, (double)lat[n - 1] / 1000.0);
	free(lat);
	return ok ? 0 : 1;
}

/* The floor under a turn on this machine: one Redis PING and one
 * PostgreSQL SELECT 1 on the same connections. */
static void floor_rtt(struct orch_store *st, int n)
{
	int64_t *r = xcalloc((size_t)n, sizeof(*r)), *p = xcalloc((size_t)n, sizeof(*p));
	for (int i = 0; i < n; i++) {
		int64_t t0 = util_mono_us();
		redisReply *rep = credis_cmd(st->redis, "PING");
		int64_t t1 = util_mono_us();
		PGresult *res = cpg_exec(st->pg, "SELECT 1", 0, NULL);
		int64_t t2 = util_mono_us();
		if (rep)
			freeReplyObject(rep);
		PQclear(res);
		r[i] = t1 - t0;
		p[i] = t2 - t1;
	}
	qsort(r, (size_t)n, sizeof(*r), cmp);
	qsort(p, (size_t)n, sizeof(*p), cmp);
	printf("%-44s p50 %.3f ms  p99 %.3f ms\n", "round trip: Redis PING", (double)r[n / 2] / 1000.0,
	       (double)r[(size_t)((double)n * 0.99)] / 1000.0);
	printf("%-44s p50 %.3f ms  p99 %.3f ms\n", "round trip: PostgreSQL SELECT 1", (double)p[n / 2] / 1000.0,
	       (double)p[(size_t)((double)n * 0.99)] / 1000.0);
	free(r);
	free(p);
}

static void report(const char *label, int64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	printf("%-44s p50 %.3f ms  p99 %.3f ms\n", label, (double)v[n / 2] / 1000.0,
	       (double)v[(size_t)((double)n * 0.99)] / 1000.0);
}

/* Each storage call of a turn on its own. */
static void phases(struct orch *o, int n)
{
	int64_t *v = xcalloc((size_t)n, sizeof(*v));
	Chat__Turn *t = make_turn("bench-phases", 0, "CUST-1001");
	struct orch_state st;
	char owner[64];
	for (int i = 0; i < n; i++) {
		int64_t t0 = util_mono_us();
		o->sess.load_session(o->sess.arg, t, o->history_max, &st, owner, sizeof(owner));
		v[i] = util_mono_us() - t0;
		for (size_t k = 0; k < t->n_history; k++)
			chat__history_entry__free_unpacked(t->history[k], NULL);
		t->n_history = 0;
	}
	report("  Redis: memory + state + owner (1 EVAL)", v, n);
	for (int i = 0; i < n; i++) {
		int64_t t0 = util_mono_us();
		o->sess.save_state(o->sess.arg, t, &st);
		v[i] = util_mono_us() - t0;
	}
	report("  Redis: save state (1 EVAL)", v, n);
	for (int i = 0; i < n; i++) {
		struct orch_order ord;
		int64_t t0 = util_mono_us();
		o->tools.find_order(o->tools.arg, "demo", "ORD-102695", &ord);
		v[i] = util_mono_us() - t0;
	}
	report("  PostgreSQL: order look-up", v, n);
	for (int i = 0; i < n; i++) {
		Chat__CustomerContext *ctx = xmalloc(sizeof(*ctx));
		chat__customer_context__init(ctx);
		int64_t t0 = util_mono_us();
		o->sess.load_context(o->sess.arg, "demo", "CUST-1001", ctx);
		v[i] = util_mono_us() - t0;
		chat__customer_context__free_unpacked(ctx, NULL);
	}
	report("  PostgreSQL: L1 context", v, n);
	turn_free(t);
	free(v);
}

int main(int argc, char **argv)
{
	long nl = 2000;
	if (argc > 1 && util_parse_long(argv[1], 100, 10000000, &nl)) {
		fprintf(stderr, "usage: orch-bench [TURNS (100..10000000)]\n");
		return 2;
	}
	int n = (int)nl;
	const char *redis_url = getenv("REDIS_URL"), *db = getenv("DATABASE_URL");
	if (!redis_url || !db) {
		fprintf(stderr, "orch-bench: set REDIS_URL and DATABASE_URL (source deploy/env.sh)\n");
		return 2;
	}
	struct orch_store *st = orch_store_new(redis_url, db, 3600);
	if (!st)
		return 2;
	struct orch o = { orch_store_io(st), 20, orch_store_tools(st), ORCH_MIN_CONFIDENCE_DEFAULT,
			  orch_store_session(st), 0 };
	floor_rtt(st, n);
	phases(&o, n < 1000 ? n : 1000);
	int rc = run(&o, "guest order status (Redis + 1 PostgreSQL query)", "", n);
	rc |= run(&o, "signed-in order status (+ L1 context query)", "CUST-1001", n);
	orch_store_free(st);
	return rc;
}
