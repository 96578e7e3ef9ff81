/* svc: what every service's main.c shares: the common part of the config
 * table, logging, signals, the admin server and running the stage. */
#ifndef COMMON_SVC_H
#define COMMON_SVC_H

#include <signal.h>
#include <stddef.h>

#include "admin.h"
#include "config.h"
#include "kstage.h"

struct svc_base {
	const char *name;
	const char *brokers;
	const char *group_id;
	const char *instance_id;
	const char *dlq_topic;
	const char *admin_addr;
	const char *log_level;
	long admin_port;
	long max_attempts;
	long retry_backoff_ms;
	long session_timeout_ms;
};

/* The config entries every service has; put first in its table. */
#define SVC_BASE_CFG(b, port, group)                                                                           \
	{ "KAFKA_BROKERS", CFG_STR, "127.0.0.1:9092", 0, 0, "Kafka bootstrap servers (host:port,...)",          \
	  &(b).brokers },                                                                                       \
	    { "KAFKA_GROUP_ID", CFG_STR, group, 0, 0, "consumer group of this service", &(b).group_id },         \
	    { "KAFKA_GROUP_INSTANCE_ID", CFG_STR, "", 0, 0,                                                      \
	      "static group membership id (e.g. the pod name); a restart then rejoins without a rebalance",     \
	      &(b).instance_id },                                                                               \
	    { "DLQ_TOPIC", CFG_STR, "chat.dlq.v1", 0, 0, "dead-letter topic", &(b).dlq_topic },                  \
	    { "STAGE_MAX_ATTEMPTS", CFG_INT, "3", 1, 100, "tries before a message is dead-lettered",            \
	      &(b).max_attempts },                                                                              \
	    { "STAGE_RETRY_BACKOFF_MS", CFG_INT, "100", 0, 60000, "backoff between tries (times the attempt)",  \
	      &(b).retry_backoff_ms },                                                                          \
	    { "KAFKA_SESSION_TIMEOUT_MS", CFG_INT, "10000", 6000, 300000,                                        \
	      "consumer session timeout (how long a dead replica keeps its partitions)",                         \
	      &(b).session_timeout_ms },                                                                        \
	    { "ADMIN_ADDR", CFG_STR, "127.0.0.1", 0, 0, "address of /healthz, /readyz and /metrics",            \
	      &(b).admin_addr },                                                                                \
	    { "ADMIN_PORT", CFG_INT, port, 1, 65535, "port of /healthz, /readyz and /metrics",                  \
	      &(b).admin_port },                                                                                \
	{                                                                                                       \
		"LOG_LEVEL", CFG_STR, "info", 0, 0, "debug, info, warn or error", &(b).log_level                 \
	}

/* Set by SIGTERM/SIGINT. */
extern volatile sig_atomic_t svc_stop;

/* Load the table, set up logging and signals. Returns 0 to go on, 1 when
 * --help was printed (exit 0), -1 after logging a config error (exit 2). */
int svc_init(struct svc_base *b, const char *name, const char *summary, const struct cfg_entry *tab, size_t n,
	     int argc, char **argv);

/* Start the admin server; NULL after logging why. */
struct admin *svc_admin(const struct svc_base *b);

/* Build the stage runner from the base config and routes. */
struct kstage *svc_kstage(const struct svc_base *b, const struct kstage_route *routes, int nroutes);

#endif

#ifndef COMMON_SVC_RUN
#define COMMON_SVC_RUN
#define SVC_MAX_STAGES 4

struct svc_check {
	const char *name;
	admin_check_fn fn;
	void *arg;
};

/* One consumer group of a service: its own Kafka consumer and producer. */
struct svc_stage {
	const char *group_id; /* NULL: the service's KAFKA_GROUP_ID */
	const struct kstage_route *routes;
	int nroutes;
};

/* Start the admin server (with a "kafka" check plus checks), run every
 * stage (each but the first on a thread of its own) until SIGTERM/SIGINT,
 * then shut down in order. tick (may be NULL) runs at least every 100 ms on
 * the first stage's thread. Returns the process exit code. */
int svc_run_stages(const struct svc_base *b, const struct svc_stage *stages, int nstages,
		   const struct svc_check *checks, int nchecks, void (*tick)(void *arg), void *tick_arg);
/* svc_run_stages with one stage in the service's own group. */
int svc_run(const struct svc_base *b, const struct kstage_route *routes, int nroutes,
	    const struct svc_check *checks, int nchecks, void (*tick)(void *arg), void *tick_arg);
#endif
