/* Scaling one stage: a second replica of a service joins the consumer group
 * of the stack's replica. Under load both consume (their /metrics counters
 * grow), and when the second one is SIGKILLed mid-load its partitions move
 * to the survivor: every turn is answered, none twice.
 *
 * IT_SCALE_SERVICE picks the stage (default intent-classifier, which sees
 * every turn); the extra replica's admin port is 20010 + PORT_OFFSET. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "hmap.h"
#include "helpers.h"
#include "util.h"

#define SESSIONS 60
#define SENDERS 6
#define BATCH 120
#define MAX_BATCHES 10
#define KILL_TURNS 400
#define KILL_AFTER 100

struct load {
	char prefix[48];
	char sids[SESSIONS][64]; /* sessions opened at the gateway */
	char **turn_ids;
	int n;
	_Atomic int next;
	_Atomic int sent;
	_Atomic int errors;
};

static void *sender(void *arg)
{
	struct load *l = arg;
	struct cc_http h;
	char errstr[256], sid[96], text[64];
	cc_http_init(&h, it_gateway_url());
	for (;;) {
		int k = atomic_fetch_add(&l->next, 1);
		if (k >= l->n)
			break;
		snprintf(sid, sizeof(sid), "%s", l->sids[k % SESSIONS]);
		snprintf(text, sizeof(text), "do you have rice cookers? (%d)", k);
		long status = 0;
		json_t *resp = NULL;
		if (cc_post_message(&h, sid, text, NULL, 0, &status, &resp, errstr, sizeof(errstr)) == 0 &&
		    status == 202) {
			l->turn_ids[k] = xstrdup(json_string_value(json_object_get(resp, "turn_id")));
			atomic_fetch_add(&l->sent, 1);
		} else {
			atomic_fetch_add(&l->errors, 1);
		}
		json_decref(resp);
	}
	cc_http_release(&h);
	return NULL;
}

static void load_start(struct load *l, pthread_t *tids, const char *tag, int n)
{
	memset(l, 0, sizeof(*l));
	it_session(l->prefix, sizeof(l->prefix), tag);
	for (int s = 0; s < SESSIONS; s++)
		it_open_session(l->sids[s], sizeof(l->sids[s]));
	l->n = n;
	l->turn_ids = calloc((size_t)n, sizeof(char *));
	for (int i = 0; i < SENDERS; i++)
		pthread_create(&tids[i], NULL, sender, l);
}

static void load_join(struct load *l, pthread_t *tids)
{
	for (int i = 0; i < SENDERS; i++)
		pthread_join(tids[i], NULL);
	cr_assert_eq(atomic_load(&l->errors), 0, "the gateway refused %d turns", atomic_load(&l->errors));
}

/* Poll every session's events until each turn of l is answered (or
 * timeout_s passes); counts answers, duplicates and unknown turn ids. */
static int collect(struct load *l, int timeout_s, int *duplicates, int *unknown)
{
	struct hmap *index = hmap_new((size_t)l->n);
	for (int k = 0; k < l->n; k++)
		if (l->turn_ids[k])
			hmap_put(index, l->turn_ids[k], (void *)(uintptr_t)(k + 1));
	int *seen = calloc((size_t)l->n, sizeof(int));
	uint64_t after[SESSIONS] = { 0 };
	int answered = 0;
	*duplicates = *unknown = 0;
	struct cc_http h;
	char errstr[256], sid[96];
	cc_http_init(&h, it_gateway_url());
	int64_t deadline = util_mono_us() + (int64_t)timeout_s * 1000000;
	while (answered < l->n && util_mono_us() < deadline) {
		for (int s = 0; s < SESSIONS; s++) {
			snprintf(sid, sizeof(sid), "%s", l->sids[s]);
			long status = 0;
			json_t *doc = NULL;
			if (cc_get_events(&h, sid, after[s], 0, &status, &doc, errstr, sizeof(errstr)) || status != 200) {
				json_decref(doc);
				continue;
			}
			size_t i;
			json_t *ev;
			json_array_foreach(json_object_get(doc, "events"), i, ev)
			{
				/* Streamed deltas share the turn id: the reply is the final event. */
				const char *type = json_string_value(json_object_get(ev, "type"));
				if (type && strcmp(type, "final"))
					continue;
				const char *id = json_string_value(json_object_get(ev, "turn_id"));
				uintptr_t k1 = id ? (uintptr_t)hmap_get(index, id) : 0;
				if (!k1)
					(*unknown)++;
				else if (seen[k1 - 1]++)
					(*duplicates)++;
				else
					answered++;
			}
			after[s] = (uint64_t)json_integer_value(json_object_get(doc, "next"));
			json_decref(doc);
		}
		if (answered < l->n)
			util_sleep_ms(250, NULL);
	}
	cc_http_release(&h);
	free(seen);
	hmap_free(index);
	return answered;
}

static void load_free(struct load *l)
{
	for (int k = 0; k < l->n; k++)
		free(l->turn_ids[k]);
	free(l->turn_ids);
}

static const char *stage(void)
{
	const char *v = getenv("IT_SCALE_SERVICE");
	return v && *v ? v : "intent-classifier";
}

static pid_t extra = -1;

static void reap_extra(void)
{
	if (extra > 0) {
		kill(extra, SIGKILL);
		waitpid(extra, NULL, 0);
		extra = -1;
	}
}

Test(scale, two_replicas_share_the_load_and_survive_a_kill, .timeout = 600, .fini = reap_extra)
{
	const char *svc = stage();
	int port0 = it_admin_port(svc);
	cr_assert_gt(port0, 0, "unknown service %s", svc);
	int port1 = 20010 + (int)it_env_long("PORT_OFFSET", 0);
	char instance[64];
	snprintf(instance, sizeof(instance), "%s-scale-1", svc);
	extra = it_spawn_replica(svc, port1, instance);
	cr_assert_eq(it_wait_ready(port1, 90000), 0, "the second %s (admin :%d) never got ready: see .run/logs/%s.log",
		     svc, port1, instance);

	/* 1. Load shared: batches of turns over many sessions (keys spread over
	 * every partition) until both replicas have consumed some. The group
	 * rebalances when the second member joins, so the first batch may all
	 * go to the first replica. */
	double base0 = it_metric_sum(port0, "kstage_messages_in_total");
	double base1 = it_metric_sum(port1, "kstage_messages_in_total");
	cr_assert_geq(base0, 0, "no /metrics on :%d", port0);
	cr_assert_geq(base1, 0, "no /metrics on :%d", port1);
	double got0 = 0, got1 = 0;
	for (int b = 0; b < MAX_BATCHES && (got0 <= 0 || got1 <= 0); b++) {
		struct load l;
		pthread_t tids[SENDERS];
		load_start(&l, tids, "scale", BATCH);
		load_join(&l, tids);
		int dups, unknown;
		int answered = collect(&l, 180, &dups, &unknown);
		cr_assert_eq(answered, BATCH, "batch %d: %d of %d turns never answered", b, BATCH - answered, BATCH);
		cr_assert_eq(dups, 0, "batch %d: %d turns answered twice", b, dups);
		load_free(&l);
		got0 = it_metric_sum(port0, "kstage_messages_in_total") - base0;
		got1 = it_metric_sum(port1, "kstage_messages_in_total") - base1;
		fprintf(stderr, "scale: after batch %d, %s replica 0 consumed %.0f, replica 1 consumed %.0f\n", b, svc,
			got0, got1);
	}
	cr_assert_gt(got0, 0, "replica 0 of %s consumed nothing: the load was not shared", svc);
	cr_assert_gt(got1, 0, "replica 1 of %s consumed nothing: the load was not shared", svc);

	/* 2. SIGKILL the second replica mid-load: its partitions go back to
	 * the first once the group notices (session timeout), from the last
	 * committed offsets; the gateway answers each turn once. */
	struct load l;
	pthread_t tids[SENDERS];
	load_start(&l, tids, "scalekill", KILL_TURNS);
	while (atomic_load(&l.sent) + atomic_load(&l.errors) < KILL_AFTER)
		util_sleep_ms(1, NULL);
	double before_kill = it_metric_sum(port1, "kstage_messages_in_total") - base1;
	cr_assert_eq(kill(extra, SIGKILL), 0);
	waitpid(extra, NULL, 0);
	extra = -1;
	fprintf(stderr, "scale: SIGKILLed replica 1 of %s after %d turns were sent (it had consumed %.0f)\n", svc,
		atomic_load(&l.sent), before_kill);
	load_join(&l, tids);
	int dups, unknown;
	int answered = collect(&l, 240, &dups, &unknown);
	fprintf(stderr, "scale: turns %d, answered %d, duplicates %d, unknown %d\n", KILL_TURNS, answered, dups,
		unknown);
	cr_assert_eq(answered, KILL_TURNS, "%d of %d turns never answered", KILL_TURNS - answered, KILL_TURNS);
	cr_assert_eq(dups, 0, "%d turns answered twice", dups);
	cr_assert_eq(unknown, 0, "%d replies for turns never sent", unknown);
	load_free(&l);
}
