/* evlog: session events in Redis. */
#include "evlog.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "util.h"

/* KEYS[1] events list, KEYS[2] session key; ARGV: event JSON, max length,
 * list TTL ms, session TTL ms. */
static const char append_script[] = "redis.call('RPUSH', KEYS[1], ARGV[1])\n"
				    "redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)\n"
				    "redis.call('PEXPIRE', KEYS[1], ARGV[3])\n"
				    "redis.call('PEXPIRE', KEYS[2], ARGV[4])\n"
				    "return 1\n";

struct pending {
	struct pending *next;
	char *sid;
	char *json;
};

struct gw_evlog {
	struct credis *r;
	struct gw_evlog_conf conf;
	pthread_mutex_t r_lock; /* the connection */
	pthread_mutex_t q_lock;
	pthread_cond_t q_cond;
	struct pending *head, *tail;
	long queued;
	int stop, down;
	pthread_t tid;
	struct metric *m_written, *m_dropped, *m_restored;
};

static redisReply *cmd_locked(struct gw_evlog *l, int argc, const char **argv)
{
	size_t lens[16];
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	pthread_mutex_lock(&l->r_lock);
	redisReply *rep = credis_cmdargv(l->r, argc, argv, lens);
	pthread_mutex_unlock(&l->r_lock);
	return rep;
}

static void write_one(struct gw_evlog *l, struct pending *p)
{
	char *k1 = xasprintf("%sevents:%s", l->conf.prefix, p->sid);
	char *k2 = xasprintf("%ssession:%s", l->conf.prefix, p->sid);
	char maxlen[24], ttl1[24], ttl2[24];
	snprintf(maxlen, sizeof(maxlen), "%ld", l->conf.max_events);
	snprintf(ttl1, sizeof(ttl1), "%ld", l->conf.events_ttl_s * 1000);
	snprintf(ttl2, sizeof(ttl2), "%ld", l->conf.session_ttl_s * 1000);
	const char *argv[] = { "EVAL", append_script, "2", k1, k2, p->json, maxlen, ttl1, ttl2 };
	redisReply *rep = cmd_locked(l, 9, argv);
	int ok = rep && rep->type == REDIS_REPLY_INTEGER;
	if (ok) {
		metrics_inc(l->m_written, 1);
		if (l->down)
			log_info("event log: Redis answers again");
		l->down = 0;
	} else {
		metrics_inc(l->m_dropped, 1);
		if (!l->down)
			log_warn("event log: Redis unavailable (%s); sessions live in memory only until it is back",
				 rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "no connection");
		l->down = 1;
	}
	if (rep)
		freeReplyObject(rep);
	free(k1);
	free(k2);
}

static void *writer_main(void *arg)
{
	struct gw_evlog *l = arg;
	for (;;) {
		pthread_mutex_lock(&l->q_lock);
		while (!l->head && !l->stop)
			pthread_cond_wait(&l->q_cond, &l->q_lock);
		struct pending *p = l->head;
		if (p) {
			l->head = p->next;
			if (!l->head)
				l->tail = NULL;
			l->queued--;
		}
		pthread_mutex_unlock(&l->q_lock);
		if (!p)
			return NULL;
		write_one(l, p);
		free(p->sid);
		free(p->json);
		free(p);
	}
}

struct gw_evlog *gw_evlog_new(struct credis *r, const struct gw_evlog_conf *conf)
{
	struct gw_evlog *l = xcalloc(1, sizeof(*l));
	l->r = r;
	l->conf = *conf;
	pthread_mutex_init(&l->r_lock, NULL);
	pthread_mutex_init(&l->q_lock, NULL);
	pthread_cond_init(&l->q_cond, NULL);
	l->m_written = metrics_counter("gateway_event_log_total", "Session events written to Redis", "result=\"written\"");
	l->m_dropped = metrics_counter("gateway_event_log_total", "Session events written to Redis", "result=\"dropped\"");
	l->m_restored = metrics_counter("gateway_sessions_restored_total", "Sessions rebuilt from Redis", "");
	pthread_create(&l->tid, NULL, writer_main, l);
	return l;
}

void gw_evlog_free(struct gw_evlog *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->q_lock);
	l->stop = 1;
	pthread_cond_broadcast(&l->q_cond);
	pthread_mutex_unlock(&l->q_lock);
	pthread_join(l->tid, NULL); /* the writer drains the queue first */
	pthread_mutex_destroy(&l->r_lock);
	pthread_mutex_destroy(&l->q_lock);
	pthread_cond_destroy(&l->q_cond);
	free(l);
}

int gw_evlog_open(struct gw_evlog *l, const char *sid)
{
	char *k = xasprintf("%ssession:%s", l->conf.prefix, sid);
	char ttl[24];
	snprintf(ttl, sizeof(ttl), "%ld", l->conf.session_ttl_s);
	const char *argv[] = { "SET", k, "1", "EX", ttl };
	redisReply *rep = cmd_locked(l, 5, argv);
	int rc = rep && rep->type == REDIS_REPLY_STATUS ? 0 : -1;
	if (rep)
		freeReplyObject(rep);
	free(k);
	return rc;
}

void gw_evlog_append(struct gw_evlog *l, const char *sid, uint64_t seq, const char *json)
{
	(void)seq;
	struct pending *p = xmalloc(sizeof(*p));
	p->next = NULL;
	p->sid = xstrdup(sid);
	p->json = xstrdup(json);
	pthread_mutex_lock(&l->q_lock);
	if (l->queued >= l->conf.max_queue) {
		pthread_mutex_unlock(&l->q_lock);
		metrics_inc(l->m_dropped, 1);
		free(p->sid);
		free(p->json);
		free(p);
		return;
	}
	if (l->tail)
		l->tail->next = p;
	else
		l->head = p;
	l->tail = p;
	l->queued++;
	pthread_cond_signal(&l->q_cond);
	pthread_mutex_unlock(&l->q_lock);
}

int gw_evlog_restore(struct gw_evlog *l, struct gw *gw, const char *sid)
{
	char *ks = xasprintf("%ssession:%s", l->conf.prefix, sid);
	char *ke = xasprintf("%sevents:%s", l->conf.prefix, sid);
	int rc = -1;
	const char *a1[] = { "EXISTS", ks };
	redisReply *rep = cmd_locked(l, 2, a1);
	int exists = rep && rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
	if (rep)
		freeReplyObject(rep);
	if (exists) {
		const char *a2[] = { "LRANGE", ke, "0", "-1" };
		rep = cmd_locked(l, 4, a2);
		if (rep && rep->type == REDIS_REPLY_ARRAY) {
			const char **events = xcalloc(rep->elements + 1, sizeof(char *));
			size_t n = 0;
			for (size_t i = 0; i < rep->elements; i++)
				if (rep->element[i]->type == REDIS_REPLY_STRING)
					events[n++] = rep->element[i]->str;
			gw_session_restore(gw, sid, events, n);
			free(events);
			metrics_inc(l->m_restored, 1);
			rc = 0;
		}
		if (rep)
			freeReplyObject(rep);
	}
	free(ks);
	free(ke);
	return rc;
}
