/* bench: open-loop load through the gateway at a fixed rate. */
#include "bench.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "util.h"

#define MAX_HOPS 16

struct hop {
	char name[80];
	int64_t *us;
	long n;
};

struct bench {
	const struct bench_conf *bc;
	long total;
	_Atomic long next;
	int64_t t0_us; /* monotonic */
	char run[16];
	char (*sids)[64]; /* bc->sessions sessions opened before the run */
	int64_t *client_us, *gw_us; /* per turn, -1 when unanswered */
	_Atomic long errors;
	pthread_mutex_t hop_lock;
	struct hop hops[MAX_HOPS];
	int nhops;
};

static void add_hop(struct bench *b, const char *name, int64_t us, long k)
{
	pthread_mutex_lock(&b->hop_lock);
	int i;
	for (i = 0; i < b->nhops; i++)
		if (!strcmp(b->hops[i].name, name))
			break;
	if (i == b->nhops && b->nhops < MAX_HOPS) {
		util_strlcpy(b->hops[i].name, name, sizeof(b->hops[i].name));
		b->hops[i].us = xcalloc((size_t)b->total, sizeof(int64_t));
		b->nhops++;
	}
	if (i < b->nhops && b->hops[i].n < b->total)
		b->hops[i].us[b->hops[i].n++] = us;
	(void)k;
	pthread_mutex_unlock(&b->hop_lock);
}

static void record_hops(struct bench *b, const json_t *ev, long k)
{
	json_t *st = json_object_get(ev, "stage_times");
	for (size_t i = 1; i < json_array_size(st); i++) {
		const json_t *a = json_array_get(st, i - 1), *c = json_array_get(st, i);
		char name[80];
		snprintf(name, sizeof(name), "%s -> %s", json_string_value(json_object_get(a, "stage")),
			 json_string_value(json_object_get(c, "stage")));
		add_hop(b, name,
			json_integer_value(json_object_get(c, "at_us")) - json_integer_value(json_object_get(a, "at_us")),
			k);
	}
}

static void *worker(void *arg)
{
	struct bench *b = arg;
	struct cc_http h;
	char errstr[256];
	if (cc_http_init(&h, b->bc->url))
		return NULL;
	for (;;) {
		long k = atomic_fetch_add(&b->next, 1);
		if (k >= b->total)
			break;
		int64_t sched = b->t0_us + (int64_t)((double)k * 1e6 / b->bc->rate);
		int64_t now = util_mono_us();
		if (sched > now) {
			struct timespec ts = { (time_t)((sched - now) / 1000000), (long)((sched - now) % 1000000) * 1000 };
			nanosleep(&ts, NULL);
		}
		const char *sid = b->sids[k % b->bc->sessions];
		long status = 0;
		json_t *resp = NULL;
		int rc = cc_post_message(&h, sid, b->bc->text, NULL, 10000, &status, &resp, errstr, sizeof(errstr));
		int64_t done = util_mono_us();
		if (rc || status != 200 || !resp) {
			atomic_fetch_add(&b->errors, 1);
		} else {
			b->client_us[k] = done - sched;
			b->gw_us[k] = cc_stage_delta(resp, "gateway", "gateway.out");
			record_hops(b, resp, k);
		}
		json_decref(resp);
	}
	cc_http_release(&h);
	return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Sort the non-negative values of v in place (moved to the front). */
static long compact_sort(int64_t *v, long n)
{
	long m = 0;
	for (long i = 0; i < n; i++)
		if (v[i] >= 0)
			v[m++] = v[i];
	qsort(v, (size_t)m, sizeof(*v), cmp_i64);
	return m;
}

static double pct(const int64_t *sorted, long n, double p)
{
	if (n == 0)
		return NAN;
	long idx = (long)ceil(p * (double)n) - 1;
	if (idx < 0)
		idx = 0;
	if (idx >= n)
		idx = n - 1;
	return (double)sorted[idx] / 1000.0;
}

static void row(const char *name, int64_t *v, long n)
{
	long m = compact_sort(v, n);
	printf("  %-40s %9.2f %9.2f %9.2f %9.2f\n", name, pct(v, m, 0.50), pct(v, m, 0.99), pct(v, m, 0.999),
	       m ? (double)v[m - 1] / 1000.0 : NAN);
}

int cc_bench(const struct bench_conf *bc)
{
	struct bench b;
	memset(&b, 0, sizeof(b));
	b.bc = bc;
	b.total = (long)(bc->rate * bc->duration_s);
	if (b.total < 1 || bc->workers < 1 || bc->sessions < 1) {
		fprintf(stderr, "chatctl bench: rate, duration, workers and sessions must be positive\n");
		return -1;
	}
	char uuid[37];
	util_uuid(uuid);
	util_strlcpy(b.run, uuid, 9);
	b.client_us = xmalloc((size_t)b.total * sizeof(int64_t));
	b.gw_us = xmalloc((size_t)b.total * sizeof(int64_t));
	for (long i = 0; i < b.total; i++)
		b.client_us[i] = b.gw_us[i] = -1;
	/* Every session first, so the run measures turns, not logins. */
	b.sids = xcalloc((size_t)bc->sessions, sizeof(*b.sids));
	struct cc_http h;
	if (cc_http_init(&h, bc->url))
		return -1;
	for (int i = 0; i < bc->sessions; i++) {
		char errstr[256];
		long status = 0;
		json_t *resp = NULL;
		if (cc_open_session(&h, NULL, NULL, b.sids[i], sizeof(b.sids[i]), &status, &resp, errstr, sizeof(errstr)) ||
		    status != 201) {
			fprintf(stderr, "chatctl bench: cannot open a session: %s\n",
				status ? json_string_value(json_object_get(resp, "error")) : errstr);
			json_decref(resp);
			cc_http_release(&h);
			free(b.sids);
			return -1;
		}
		json_decref(resp);
	}
	cc_http_release(&h);
	pthread_mutex_init(&b.hop_lock, NULL);
	pthread_t *tids = xcalloc((size_t)bc->workers, sizeof(pthread_t));
	b.t0_us = util_mono_us() + 100000;
	for (int i = 0; i < bc->workers; i++)
		pthread_create(&tids[i], NULL, worker, &b);
	for (int i = 0; i < bc->workers; i++)
		pthread_join(tids[i], NULL);
	double elapsed = (double)(util_mono_us() - b.t0_us) / 1e6;
	long answered = 0;
	for (long i = 0; i < b.total; i++)
		answered += b.client_us[i] >= 0;
	printf("bench: %.0f turns/s offered for %d s: %ld sent, %ld answered, %ld errors, %.1f turns/s achieved\n",
	       bc->rate, bc->duration_s, b.total, answered, (long)b.errors, (double)answered / elapsed);
	printf("  %-40s %9s %9s %9s %9s\n", "latency (ms)", "p50", "p99", "p99.9", "max");
	row("client, from scheduled send", b.client_us, b.total);
	row("gateway-to-gateway", b.gw_us, b.total);
	for (int i = 0; i < b.nhops; i++) {
		char name[96];
		snprintf(name, sizeof(name), "  %s", b.hops[i].name);
		row(name, b.hops[i].us, b.hops[i].n);
		free(b.hops[i].us);
	}
	free(tids);
	free(b.client_us);
	free(b.gw_us);
	free(b.sids);
	pthread_mutex_destroy(&b.hop_lock);
	return answered == b.total ? 0 : 1;
}
