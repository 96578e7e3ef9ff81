/* svc: what every service's main.c shares. */
#include "svc.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

volatile sig_atomic_t svc_stop;

static void on_signal(int sig)
{
	(void)sig;
	svc_stop = 1;
}

int svc_init(struct svc_base *b, const char *name, const char *summary, const struct cfg_entry *tab, size_t n,
	     int argc, char **argv)
{
	char errstr[256];
	b->name = name;
	/* librdkafka and libmicrohttpd start many threads; glibc would give
	 * each busy one its own heap arena, which only inflates resident
	 * memory for a service this size. */
	mallopt(M_ARENA_MAX, 2);
	log_init(name, LOG_INFO);
	int rc = cfg_load(tab, n, name, summary, argc, argv, errstr, sizeof(errstr));
	if (rc == 1)
		return 1;
	if (rc < 0) {
		log_error("configuration: %s (see %s --help)", errstr, name);
		return -1;
	}
	enum log_level lvl;
	if (log_level_parse(b->log_level, &lvl)) {
		log_error("configuration: LOG_LEVEL=\"%s\" is not debug, info, warn or error", b->log_level);
		return -1;
	}
	log_init(name, lvl);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

struct admin *svc_admin(const struct svc_base *b)
{
	char errstr[256];
	struct admin *adm = admin_start(b->admin_addr, (int)b->admin_port, errstr, sizeof(errstr));
	if (!adm)
		log_error("%s", errstr);
	return adm;
}

struct kstage *svc_kstage(const struct svc_base *b, const struct kstage_route *routes, int nroutes)
{
	char errstr[512];
	struct kstage_conf kc = {
		.service = b->name,
		.brokers = b->brokers,
		.group_id = b->group_id,
		.instance_id = b->instance_id,
		.dlq_topic = b->dlq_topic,
		.routes = routes,
		.nroutes = nroutes,
		.max_attempts = (int)b->max_attempts,
		.retry_backoff_ms = (int)b->retry_backoff_ms,
		.session_timeout_ms = (int)b->session_timeout_ms,
	};
	struct kstage *ks = kstage_new(&kc, errstr, sizeof(errstr));
	if (!ks)
		log_error("cannot set up Kafka: %s", errstr);
	return ks;
}

struct svc_tick {
	struct admin *adm;
	void (*fn)(void *arg);
	void *arg;
};

static void svc_tick(void *arg)
{
	struct svc_tick *t = arg;
	admin_heartbeat(t->adm);
	if (t->fn)
		t->fn(t->arg);
}

struct svc_thread {
	struct kstage *ks;
	pthread_t tid;
	int rc;
};

static void *svc_thread_main(void *arg)
{
	struct svc_thread *t = arg;
	t->rc = kstage_run(t->ks, &svc_stop, NULL, NULL);
	if (t->rc)
		svc_stop = 1; /* one group failing stops the service */
	return NULL;
}

int svc_run_stages(const struct svc_base *b, const struct svc_stage *stages, int nstages,
		   const struct svc_check *checks, int nchecks, void (*tick)(void *arg), void *tick_arg)
{
	struct svc_thread th[SVC_MAX_STAGES];
	int rc = 1, made = 0;
	if (nstages < 1 || nstages > SVC_MAX_STAGES)
		return 1;
	struct admin *adm = svc_admin(b);
	if (!adm)
		return 1;
	for (; made < nstages; made++) {
		struct svc_base sb = *b;
		if (stages[made].group_id)
			sb.group_id = stages[made].group_id;
		th[made].ks = svc_kstage(&sb, stages[made].routes, stages[made].nroutes);
		th[made].rc = 0;
		if (!th[made].ks)
			goto out;
		admin_add_check(adm, nstages == 1 ? "kafka" : sb.group_id, kstage_check_broker, th[made].ks);
	}
	for (int i = 0; i < nchecks; i++)
		admin_add_check(adm, checks[i].name, checks[i].fn, checks[i].arg);
	log_info("started: admin on %s:%ld, brokers %s", b->admin_addr, b->admin_port, b->brokers);
	admin_log_unready(adm);
	for (int i = 1; i < nstages; i++)
		pthread_create(&th[i].tid, NULL, svc_thread_main, &th[i]);
	struct svc_tick t = { adm, tick, tick_arg };
	rc = kstage_run(th[0].ks, &svc_stop, svc_tick, &t);
	svc_stop = 1;
	for (int i = 1; i < nstages; i++) {
		pthread_join(th[i].tid, NULL);
		rc |= th[i].rc;
	}
	rc = rc ? 1 : 0;
	log_info("stopped%s", rc ? " after a fatal error" : "");
out:
	admin_stop(adm);
	for (int i = 0; i < made; i++)
		kstage_free(th[i].ks);
	return rc;
}

int svc_run(const struct svc_base *b, const struct kstage_route *routes, int nroutes,
	    const struct svc_check *checks, int nchecks, void (*tick)(void *arg), void *tick_arg)
{
	struct svc_stage st = { NULL, routes, nroutes };
	return svc_run_stages(b, &st, 1, checks, nchecks, tick, tick_arg);
}
