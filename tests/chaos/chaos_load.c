/* chaos-load: steady open-loop load through the gateway that survives the
 * faults tests/chaos/chaos.sh injects, and counts what came back.
 *
 *   chaos-load --rate R --stop-file PATH [--sessions N] [--drain S]
 *
 * Sends R turns/s, each with its own client_msg_id, until PATH exists. A
 * POST that fails (gateway or broker down) is retried with the same
 * client_msg_id, so the gateway derives the same turn id: a turn is "sent"
 * once accepted. Then waits up to S seconds for every reply.
 *
 * Counts, printed as `key value` lines:
 *   turns       turns accepted by the gateway
 *   replies     distinct turns with a reply on chat.outbound.v1
 *   topic_dups  extra copies of replies on chat.outbound.v1 (at-least-once
 *               redelivery after a kill; the gateway must absorb them)
 *   delivered   distinct turns whose reply a client read from the gateway
 *   duplicates  replies a client read twice from the same gateway process
 *               (answered twice)
 *   redelivered_after_gateway_restart
 *               replies a restarted gateway delivered again (it keeps
 *               sessions and delivered turn ids in memory)
 *   dlq         messages dead-lettered to chat.dlq.v1 during the run
 * The gateway process is told apart by its pidfile (--gateway-pidfile).
 * Exit 0 when replies == turns and duplicates == 0 (and, with --strict,
 * redelivered_after_gateway_restart == 0). */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "../../tools/chatctl/client.h"
#include "hmap.h"
#include "kstage.h"
#include "topics.h"
#include "turn.h"
#include "util.h"

#define MAX_TURNS 2000000
#define SENDERS 16

static const char *gateway_url, *brokers, *stop_file, *gw_pidfile;
static int strict;
static double rate = 20;
static int sessions = 400, drain_s = 240;
static char run[16];
static char (*sids)[64]; /* the run's sessions, opened at the gateway before the load starts */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct hmap *turns;     /* turn_id -> struct tstate, every turn accepted */
static struct hmap *seen_evs;  /* "gwpid|sid|seq" -> turn_id (heap) of a gateway event read */
static _Atomic long next_k, nsent, retries;
static _Atomic int sending_done;
static long dlq;

struct tstate {
	int sent;         /* accepted by the gateway */
	int on_topic;     /* copies on chat.outbound.v1 */
	int to_client;    /* times a client read it */
	long gw_pid;      /* gateway process that delivered it last */
	int dup_same;     /* read again from the same gateway process */
	int dup_restart;  /* delivered again by a restarted gateway */
};

/* The state of turn id, created on first sight (caller holds lock). */
static struct tstate *tstate_of(const char *id)
{
	struct tstate *t = hmap_get(turns, id);
	if (!t) {
		t = xcalloc(1, sizeof(*t));
		hmap_put(turns, id, t);
	}
	return t;
}

static long gateway_pid(void)
{
	FILE *f = gw_pidfile ? fopen(gw_pidfile, "r") : NULL;
	long pid = 0;
	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return pid;
}

struct totals {
	long sent, replies, topic_dups, delivered, duplicates, redelivered;
};

static int add_up(void *arg, const char *key, void *value)
{
	(void)key;
	struct totals *t = arg;
	const struct tstate *s = value;
	if (!s->sent)
		return 0;
	t->sent++;
	t->replies += s->on_topic > 0;
	t->topic_dups += s->on_topic > 1 ? s->on_topic - 1 : 0;
	t->delivered += s->to_client > 0;
	t->duplicates += s->dup_same;
	t->redelivered += s->dup_restart;
	return 0;
}

static struct totals totals(void)
{
	struct totals t = { 0 };
	pthread_mutex_lock(&lock);
	hmap_sweep(turns, add_up, &t);
	pthread_mutex_unlock(&lock);
	return t;
}

static const char *env_or(const char *n, const char *d)
{
	const char *v = getenv(n);
	return v && *v ? v : d;
}

static int stopping(void)
{
	return access(stop_file, F_OK) == 0;
}

static void *sender(void *arg)
{
	(void)arg;
	struct cc_http h;
	char errstr[256], sid[64], cmid[64], text[96];
	cc_http_init(&h, gateway_url);
	int64_t t0 = util_mono_us();
	for (;;) {
		long k = atomic_fetch_add(&next_k, 1);
		int64_t sched = t0 + (int64_t)((double)k * 1e6 / rate);
		int64_t now = util_mono_us();
		if (sched > now)
			util_sleep_ms((int)((sched - now) / 1000), NULL);
		if (stopping() || k >= MAX_TURNS)
			break;
		snprintf(sid, sizeof(sid), "%s", sids[k % sessions]);
		snprintf(cmid, sizeof(cmid), "chaos-%s-%ld", run, k);
		snprintf(text, sizeof(text), "Do you deliver to Penang? (%ld)", k);
		for (int attempt = 0;; attempt++) {
			long status = 0;
			json_t *resp = NULL;
			int rc = cc_post_message(&h, sid, text, cmid, 0, &status, &resp, errstr, sizeof(errstr));
			const char *id = resp ? json_string_value(json_object_get(resp, "turn_id")) : NULL;
			if (rc == 0 && (status == 202 || status == 200) && id) {
				pthread_mutex_lock(&lock);
				struct tstate *st = tstate_of(id);
				if (!st->sent) {
					st->sent = 1;
					atomic_fetch_add(&nsent, 1);
				}
				pthread_mutex_unlock(&lock);
				json_decref(resp);
				break;
			}
			json_decref(resp);
			atomic_fetch_add(&retries, 1);
			/* A fresh connection after a gateway restart. */
			cc_http_release(&h);
			util_sleep_ms(200, NULL);
			cc_http_init(&h, gateway_url);
			if (attempt > 3000) { /* ten minutes: the stack is gone */
				fprintf(stderr, "chaos-load: gave up on %s: %s (HTTP %ld)\n", cmid, errstr, status);
				break;
			}
		}
	}
	cc_http_release(&h);
	return NULL;
}

static rd_kafka_t *tail(const char *topic)
{
	char errstr[512], group[64];
	snprintf(group, sizeof(group), "chaos-tail-%s", run);
	rd_kafka_conf_t *conf = kstage_base_conf(brokers, errstr, sizeof(errstr));
	if (!conf || kstage_conf_set(conf, "group.id", group, errstr, sizeof(errstr)) ||
	    kstage_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof(errstr))) {
		fprintf(stderr, "chaos-load: %s\n", errstr);
		exit(2);
	}
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "chaos-load: %s\n", errstr);
		exit(2);
	}
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) || md->topic_cnt < 1) {
		fprintf(stderr, "chaos-load: no metadata for %s\n", topic);
		exit(2);
	}
	int parts = md->topics[0].partition_cnt;
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(parts);
	for (int p = 0; p < parts; p++) {
		int64_t lo, hi;
		if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 10000)) {
			fprintf(stderr, "chaos-load: no watermarks for %s[%d]\n", topic, p);
			exit(2);
		}
		rd_kafka_topic_partition_list_add(l, topic, p)->offset = hi;
	}
	rd_kafka_assign(rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
	return rk;
}

static _Atomic int stop_threads;

static void *outbound_reader(void *arg)
{
	rd_kafka_t *rk = arg;
	char errstr[256];
	while (!atomic_load(&stop_threads)) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
		if (!m)
			continue;
		if (!m->err) {
			Chat__Turn *t = turn_decode(m->payload, m->len, errstr, sizeof(errstr));
			if (t && t->turn_id) {
				pthread_mutex_lock(&lock);
				tstate_of(t->turn_id)->on_topic++;
				pthread_mutex_unlock(&lock);
			}
			if (t)
				turn_free(t);
		}
		rd_kafka_message_destroy(m);
	}
	return NULL;
}

static void *dlq_reader(void *arg)
{
	rd_kafka_t *rk = arg;
	while (!atomic_load(&stop_threads)) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
		if (!m)
			continue;
		if (!m->err) {
			pthread_mutex_lock(&lock);
			dlq++;
			pthread_mutex_unlock(&lock);
		}
		rd_kafka_message_destroy(m);
	}
	return NULL;
}

/* Reads every session's events from the start of the gateway's ring (after=0),
 * as a client that resumes by seq would see them: an event is new when its
 * (session, seq) was not seen with the same turn id (a restarted gateway
 * rebuilds a session's events from Redis with their seqs; one that could
 * not starts again at 1, and its events are new). A reply is a duplicate
 * when its turn's final shows up as a new event again; one shown by a
 * different gateway process than the first time counts as delivered again
 * after a restart. A response is used only when the gateway's pid was the
 * same before and after the request. */
static void *client_reader(void *arg)
{
	(void)arg;
	struct cc_http h;
	char errstr[256], sid[64], key[96];
	cc_http_init(&h, gateway_url);
	while (!atomic_load(&stop_threads)) {
		long upto = atomic_load(&next_k);
		for (long s = 0; s < sessions && s < upto && !atomic_load(&stop_threads); s++) {
			snprintf(sid, sizeof(sid), "%s", sids[s]);
			long status = 0;
			json_t *doc = NULL;
			long pid = gateway_pid();
			if (cc_get_events(&h, sid, 0, 0, &status, &doc, errstr, sizeof(errstr)) || status != 200 ||
			    pid != gateway_pid()) {
				json_decref(doc);
				if (status == 0) { /* gateway down: reconnect later */
					cc_http_release(&h);
					util_sleep_ms(200, NULL);
					cc_http_init(&h, gateway_url);
				}
				continue;
			}
			size_t i;
			json_t *ev;
			pthread_mutex_lock(&lock);
			json_array_foreach(json_object_get(doc, "events"), i, ev)
			{
				/* Streamed deltas share the turn id: the reply is the final event. */
				const char *type = json_string_value(json_object_get(ev, "type"));
				if (type && strcmp(type, "final"))
					continue;
				const char *id = json_string_value(json_object_get(ev, "turn_id"));
				if (!id)
					continue;
				snprintf(key, sizeof(key), "%s|%lld", sid,
					 (long long)json_integer_value(json_object_get(ev, "seq")));
				char *prev = hmap_get(seen_evs, key);
				if (prev && !strcmp(prev, id))
					continue;
				free(hmap_put(seen_evs, key, xstrdup(id)));
				struct tstate *st = tstate_of(id);
				if (st->to_client++ > 0) {
					if (st->gw_pid == pid)
						st->dup_same++;
					else
						st->dup_restart++;
				}
				st->gw_pid = pid;
			}
			pthread_mutex_unlock(&lock);
			json_decref(doc);
		}
		util_sleep_ms(100, NULL);
	}
	cc_http_release(&h);
	return NULL;
}

static const char usage[] =
	"usage: chaos-load --rate R --stop-file PATH [--sessions N] [--drain S] [--gateway-pidfile F] [--strict 0|1]\n";

/* A whole-number option in [min, max], or exit 2 with the usage. */
static int int_arg(const char *name, const char *s, long min, long max)
{
	long v;
	if (util_parse_long(s, min, max, &v)) {
		fprintf(stderr, "chaos-load: %s must be a whole number in [%ld, %ld], got \"%s\"\n%s", name, min, max, s,
			usage);
		exit(2);
	}
	return (int)v;
}

int main(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--rate"))
			rate = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--stop-file"))
			stop_file = argv[i + 1];
		else if (!strcmp(argv[i], "--sessions"))
			sessions = int_arg("--sessions", argv[i + 1], 1, 100000);
		else if (!strcmp(argv[i], "--drain"))
			drain_s = int_arg("--drain", argv[i + 1], 0, 86400);
		else if (!strcmp(argv[i], "--gateway-pidfile"))
			gw_pidfile = argv[i + 1];
		else if (!strcmp(argv[i], "--strict"))
			strict = int_arg("--strict", argv[i + 1], 0, 1);
		else {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (!stop_file || rate <= 0 || sessions < 1) {
		fputs(usage, stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	gateway_url = env_or("GATEWAY_URL", "http://127.0.0.1:8080");
	brokers = env_or("KAFKA_BROKERS", "127.0.0.1:9092");
	char uuid[37];
	util_uuid(uuid);
	util_strlcpy(run, uuid, 9);
	turns = hmap_new(1 << 16);
	seen_evs = hmap_new(1 << 16);

	/* Sessions are issued by the gateway (each with its token, which the
	 * client remembers for every later call). */
	sids = calloc((size_t)sessions, sizeof(*sids));
	{
		struct cc_http h;
		char errstr[256];
		cc_http_init(&h, gateway_url);
		for (long s = 0; s < sessions; s++) {
			long status = 0;
			json_t *resp = NULL;
			if (cc_open_session(&h, NULL, NULL, sids[s], sizeof(sids[s]), &status, &resp, errstr, sizeof(errstr)) ||
			    status != 201) {
				fprintf(stderr, "chaos-load: cannot open a session at %s (HTTP %ld): %s\n", gateway_url, status,
					errstr);
				return 1;
			}
			json_decref(resp);
		}
		cc_http_release(&h);
	}

	rd_kafka_t *out = tail(TOPIC_OUTBOUND), *dl = tail(TOPIC_DLQ);
	pthread_t ot, dt, ct, st[SENDERS];
	pthread_create(&ot, NULL, outbound_reader, out);
	pthread_create(&dt, NULL, dlq_reader, dl);
	pthread_create(&ct, NULL, client_reader, NULL);
	for (int i = 0; i < SENDERS; i++)
		pthread_create(&st[i], NULL, sender, NULL);
	for (int i = 0; i < SENDERS; i++)
		pthread_join(st[i], NULL);
	atomic_store(&sending_done, 1);
	fprintf(stderr, "chaos-load: sending stopped: %ld turns accepted (%ld retried POSTs); waiting up to %d s for replies\n",
		atomic_load(&nsent), atomic_load(&retries), drain_s);

	/* Until every turn is answered and read, or nothing changed for 30 s
	 * once the pipeline answered all, or drain_s passed. */
	int64_t deadline = util_mono_us() + (int64_t)drain_s * 1000000, still_since = util_mono_us();
	struct totals last = totals();
	for (;;) {
		util_sleep_ms(500, NULL);
		struct totals t = totals();
		if (t.replies != last.replies || t.delivered != last.delivered)
			still_since = util_mono_us();
		last = t;
		if ((t.replies >= t.sent && t.delivered >= t.sent) || util_mono_us() > deadline ||
		    (t.replies >= t.sent && util_mono_us() - still_since > 30000000))
			break;
	}
	util_sleep_ms(2000, NULL); /* late duplicates */
	atomic_store(&stop_threads, 1);
	pthread_join(ot, NULL);
	pthread_join(dt, NULL);
	pthread_join(ct, NULL);
	rd_kafka_consumer_close(out);
	rd_kafka_destroy(out);
	rd_kafka_consumer_close(dl);
	rd_kafka_destroy(dl);

	struct totals t = totals();
	printf("turns %ld\nreplies %ld\ntopic_dups %ld\ndelivered %ld\nduplicates %ld\nredelivered_after_gateway_restart %ld\n"
	       "dlq %ld\nretried_posts %ld\n",
	       t.sent, t.replies, t.topic_dups, t.delivered, t.duplicates, t.redelivered, dlq, atomic_load(&retries));
	return t.sent > 0 && t.replies == t.sent && t.duplicates == 0 && (!strict || t.redelivered == 0) ? 0 : 1;
}
