/* admin: the HTTP server every service runs for probes and metrics:
 * /healthz (the process loop is alive), /readyz (every dependency answers),
 * /metrics (Prometheus text). */
#ifndef COMMON_ADMIN_H
#define COMMON_ADMIN_H

#include <stddef.h>

/* A readiness check: 0 when ready, else negative with detail filled in.
 * Called from the admin server's thread, so it must not touch state owned
 * by the service's loop (open its own short-lived connection instead). */
typedef int (*admin_check_fn)(void *arg, char *detail, size_t detaillen);

struct admin;

/* Start listening on addr:port. Returns NULL with errstr on failure. */
struct admin *admin_start(const char *addr, int port, char *errstr, size_t errlen);
/* Register a named readiness check; name is copied. Register before the
 * service starts its loop. */
void admin_add_check(struct admin *adm, const char *name, admin_check_fn fn, void *arg);
/* Run every check once, logging one warning for each that fails (so an
 * operator sees at start what is missing). Returns how many failed. */
int admin_log_unready(struct admin *adm);
/* The loop calls this at least every few seconds; /healthz fails when the
 * last beat is older than 30 s (a stuck loop). */
void admin_heartbeat(struct admin *adm);
void admin_stop(struct admin *adm);

#endif
