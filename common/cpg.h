/* cpg: a PostgreSQL connection that reconnects by itself, at most once a
 * second, so a database that is down costs callers nothing but a NULL. */
#ifndef COMMON_CPG_H
#define COMMON_CPG_H

#include <libpq-fe.h>
#include <stddef.h>

struct cpg;

/* url is a libpq connection URI or key=value string; copied. */
struct cpg *cpg_new(const char *url);
void cpg_free(struct cpg *pg);

/* Run one parameterized statement (text parameters, NULL entries are SQL
 * NULL). Returns the result (caller PQclear()s) when the server answered,
 * even with an SQL error; NULL when the database is unreachable.
 * Statements run prepared: parsed once per connection, and planned once
 * where PostgreSQL's plan cache finds a generic plan as good as one for
 * the values (plan_cache_mode auto). */
PGresult *cpg_exec(struct cpg *pg, const char *sql, int nparams, const char *const *params);
/* cpg_exec in two halves, so the caller works while the server runs the
 * statement: cpg_send returns 0 once it is sent (-1: unreachable; then
 * cpg_wait must not be called), cpg_wait blocks for its result with
 * cpg_exec's contract. At most one statement in flight per connection. */
int cpg_send(struct cpg *pg, const char *sql, int nparams, const char *const *params);
/* cpg_send, unprepared: planned for these parameters' values every time,
 * for a statement whose best plan depends on them (cpg_wait collects it). */
int cpg_send_oneshot(struct cpg *pg, const char *sql, int nparams, const char *const *params);
PGresult *cpg_wait(struct cpg *pg);
/* Run a statement whose result is only "how many rows": 0 with *rows set
 * (rows may be NULL), -1 when the database is unreachable, -2 when it
 * refused the statement (errstr gets the first line of its message). */
int cpg_run(struct cpg *pg, const char *sql, int nparams, const char *const *params, int *rows, char *errstr,
	    size_t errlen);
/* 1 when the result is a success (command ok or rows). */
int cpg_ok(const PGresult *res);
int cpg_up(const struct cpg *pg);

/* admin_check_fn over a URL string: its own connection and SELECT 1. */
int cpg_check(void *url, char *detail, size_t len);

#endif
