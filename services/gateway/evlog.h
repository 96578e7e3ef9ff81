/* evlog: each session's events in Redis, so a session outlives a gateway
 * restart: gw:session:{sid} marks an open session (TTL = the session TTL)
 * and gw:events:{sid} is a list of its last events' JSON (bounded length,
 * short TTL). Appends go through a queue to one writer thread, so the
 * Kafka consumer never waits for Redis; a session this instance does not
 * hold in memory is restored from Redis on first use. With Redis down the
 * gateway keeps working from memory (appends are dropped and counted). */
#ifndef SERVICES_GATEWAY_EVLOG_H
#define SERVICES_GATEWAY_EVLOG_H

#include <stdint.h>

#include "credis.h"
#include "gateway.h"

struct gw_evlog_conf {
	const char *prefix; /* "gw:" */
	long max_events;    /* kept per session */
	long events_ttl_s;
	long session_ttl_s;
	long max_queue;     /* appends waiting for Redis before they are dropped */
};

struct gw_evlog;

/* r is used by the writer thread and by restore (serialized inside). */
struct gw_evlog *gw_evlog_new(struct credis *r, const struct gw_evlog_conf *conf);
void gw_evlog_free(struct gw_evlog *l);

/* Record that session sid is open (synchronous). 0, or -1 when Redis did
 * not answer. */
int gw_evlog_open(struct gw_evlog *l, const char *sid);
/* Queue one event for the session's list (from any thread, never blocks). */
void gw_evlog_append(struct gw_evlog *l, const char *sid, uint64_t seq, const char *json);
/* When sid is open in Redis, rebuild it in gw from its logged events: 0;
 * -1 when Redis does not know it (or is down). */
int gw_evlog_restore(struct gw_evlog *l, struct gw *gw, const char *sid);

#endif
