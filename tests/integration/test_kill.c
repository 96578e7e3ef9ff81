/* SIGKILL of one service while 500 turns are in flight, then a restart:
 * every turn is answered, none twice. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "helpers.h"
#include "util.h"

#define TURNS 500
#define SESSIONS 50
#define SENDERS 8
#define KILL_AFTER 150

struct run {
	char sids[SESSIONS][64];
	char *turn_ids[TURNS];
	_Atomic int next;
	_Atomic int sent;
	_Atomic int send_errors;
};

static void *sender(void *arg)
{
	struct run *r = arg;
	struct cc_http h;
	char errstr[256];
	cc_http_init(&h, it_gateway_url());
	for (;;) {
		int k = atomic_fetch_add(&r->next, 1);
		if (k >= TURNS)
			break;
		const char *sid = r->sids[k % SESSIONS];
		char text[64];
		snprintf(text, sizeof(text), "in-flight message %d", k);
		long status = 0;
		json_t *resp = NULL;
		if (cc_post_message(&h, sid, text, NULL, 0, &status, &resp, errstr, sizeof(errstr)) == 0 &&
		    status == 202) {
			r->turn_ids[k] = xstrdup(json_string_value(json_object_get(resp, "turn_id")));
			atomic_fetch_add(&r->sent, 1);
		} else {
			atomic_fetch_add(&r->send_errors, 1);
		}
		json_decref(resp);
	}
	cc_http_release(&h);
	return NULL;
}

static const char *victim(void)
{
	const char *v = getenv("IT_KILL_SERVICE");
	return v && *v ? v : "orchestrator";
}

Test(kill, sigkill_mid_load_loses_nothing_and_answers_once, .timeout = 240)
{
	static struct run r;
	memset(&r, 0, sizeof(r));
	for (int s = 0; s < SESSIONS; s++)
		it_open_session(r.sids[s], sizeof(r.sids[s]));
	pthread_t tids[SENDERS];
	for (int i = 0; i < SENDERS; i++)
		pthread_create(&tids[i], NULL, sender, &r);
	while (atomic_load(&r.sent) < KILL_AFTER)
		util_sleep_ms(1, NULL);
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "kill %s", victim());
	cr_assert_eq(it_stack(cmd), 0, "could not SIGKILL %s", victim());
	fprintf(stderr, "killed %s after %d turns were sent\n", victim(), atomic_load(&r.sent));
	for (int i = 0; i < SENDERS; i++)
		pthread_join(tids[i], NULL);
	cr_assert_eq(atomic_load(&r.send_errors), 0, "the gateway refused %d turns", atomic_load(&r.send_errors));
	snprintf(cmd, sizeof(cmd), "start %s", victim());
	cr_assert_eq(it_stack(cmd), 0, "could not restart %s", victim());

	/* Collect every session's replies until all turns are answered. */
	struct hmap *index = hmap_new(TURNS); /* turn_id -> k + 1 */
	for (int k = 0; k < TURNS; k++)
		hmap_put(index, r.turn_ids[k], (void *)(uintptr_t)(k + 1));
	int times_seen[TURNS] = { 0 };
	int answered = 0, duplicates = 0, unknown = 0;
	uint64_t after[SESSIONS] = { 0 };
	struct cc_http h;
	char errstr[256];
	cc_http_init(&h, it_gateway_url());
	int64_t deadline = util_mono_us() + 180 * 1000000LL;
	while (answered < TURNS && util_mono_us() < deadline) {
		for (int s = 0; s < SESSIONS; s++) {
			const char *sid = r.sids[s];
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
					unknown++;
				else if (times_seen[k1 - 1]++)
					duplicates++;
				else
					answered++;
			}
			after[s] = (uint64_t)json_integer_value(json_object_get(doc, "next"));
			json_decref(doc);
		}
		if (answered < TURNS)
			util_sleep_ms(250, NULL);
	}
	cc_http_release(&h);
	fprintf(stderr, "turns %d, answered %d, duplicates %d, unknown %d\n", TURNS, answered, duplicates, unknown);
	cr_assert_eq(answered, TURNS, "%d of %d turns never answered", TURNS - answered, TURNS);
	cr_assert_eq(duplicates, 0, "%d turns answered twice", duplicates);
	cr_assert_eq(unknown, 0, "%d replies for turns never sent", unknown);
	for (int k = 0; k < TURNS; k++)
		free(r.turn_ids[k]);
	hmap_free(index);
}
