/* cpg: a PostgreSQL connection that reconnects by itself. */
#include "cpg.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

#define CPG_RETRY_US 1000000LL
#define CPG_MAX_PREPARED 32 /* statements kept prepared per connection; more run unprepared */

/* A statement prepared on the current connection, named "cpg<index>". */
struct cpg_stmt {
	uint64_t hash;
	char *sql;
	int nparams;
};

struct cpg {
	char *url;
	PGconn *conn;
	int up;
	int64_t last_try_us;
	struct cpg_stmt stmts[CPG_MAX_PREPARED];
	int nstmts;
};

static PGconn *open_conn(const char *url)
{
	const char *keys[] = { "dbname", "connect_timeout", "application_name", NULL };
	const char *vals[] = { url, "2", "retail-assistant", NULL };
	return PQconnectdbParams(keys, vals, 1);
}

struct cpg *cpg_new(const char *url)
{
	struct cpg *pg = xcalloc(1, sizeof(*pg));
	pg->url = xstrdup(url);
	pg->up = 1;
	return pg;
}

/* Prepared statements live and die with their connection. */
static void forget_prepared(struct cpg *pg)
{
	for (int i = 0; i < pg->nstmts; i++)
		free(pg->stmts[i].sql);
	pg->nstmts = 0;
}

static void close_conn(struct cpg *pg)
{
	PQfinish(pg->conn);
	pg->conn = NULL;
	forget_prepared(pg);
}

void cpg_free(struct cpg *pg)
{
	if (!pg)
		return;
	if (pg->conn)
		close_conn(pg);
	free(pg->url);
	free(pg);
}

static uint64_t sql_hash(const char *sql)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h;
}

/* The name of sql's prepared statement on the current connection, preparing
 * it first if needed: "" when it runs unprepared (the table is full, or the
 * server refused to prepare it: the unprepared run then reports why). */
static const char *prepared_name(struct cpg *pg, const char *sql, int nparams, char *name, size_t len)
{
	uint64_t h = sql_hash(sql);
	for (int i = 0; i < pg->nstmts; i++) {
		if (pg->stmts[i].hash == h && pg->stmts[i].nparams == nparams && !strcmp(pg->stmts[i].sql, sql)) {
			snprintf(name, len, "cpg%d", i);
			return name;
		}
	}
	if (pg->nstmts == CPG_MAX_PREPARED)
		return "";
	snprintf(name, len, "cpg%d", pg->nstmts);
	PGresult *res = PQprepare(pg->conn, name, sql, nparams, NULL);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (!ok)
		return "";
	pg->stmts[pg->nstmts++] = (struct cpg_stmt){ h, xstrdup(sql), nparams };
	return name;
}

/* A prepared statement's plan can go stale when a migration changes a
 * table under it ("cached plan must not change result type"): then every
 * prepared statement of the connection is dropped, to be prepared afresh.
 * 1 when res was such a failure (outside a transaction, which a failed
 * statement would have aborted). */
static int drop_stale(struct cpg *pg, const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (!state || strcmp(state, "0A000") || PQtransactionStatus(pg->conn) != PQTRANS_IDLE)
		return 0;
	PQclear(PQexec(pg->conn, "DEALLOCATE ALL"));
	forget_prepared(pg);
	return 1;
}

static void first_line(char *s)
{
	s[strcspn(s, "\n")] = '\0';
}

static void set_state(struct cpg *pg, int up, const char *why)
{
	if (up == pg->up)
		return;
	pg->up = up;
	if (up) {
		log_info("postgresql reachable again");
	} else {
		char w[256];
		util_strlcpy(w, why ? why : "", sizeof(w));
		first_line(w);
		log_warn("postgresql unreachable: %s; continuing without it and retrying", w);
	}
}

static int ensure(struct cpg *pg)
{
	if (pg->conn && PQstatus(pg->conn) == CONNECTION_OK)
		return 0;
	if (pg->conn)
		close_conn(pg);
	int64_t now = util_mono_us();
	if (pg->last_try_us && now - pg->last_try_us < CPG_RETRY_US)
		return -1;
	pg->last_try_us = now;
	pg->conn = open_conn(pg->url);
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		set_state(pg, 0, PQerrorMessage(pg->conn));
		PQfinish(pg->conn);
		pg->conn = NULL;
		return -1;
	}
	set_state(pg, 1, NULL);
	return 0;
}

/* The server went away mid-statement: report it as down. */
static void lost(struct cpg *pg)
{
	set_state(pg, 0, PQerrorMessage(pg->conn));
	close_conn(pg);
	pg->last_try_us = util_mono_us();
}

static int send_stmt(struct cpg *pg, const char *sql, int nparams, const char *const *params, int prepare)
{
	if (ensure(pg))
		return -1;
	char name[16];
	const char *stmt = prepare ? prepared_name(pg, sql, nparams, name, sizeof(name)) : "";
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		lost(pg);
		return -1;
	}
	int sent = *stmt ? PQsendQueryPrepared(pg->conn, stmt, nparams, params, NULL, NULL, 0)
			 : PQsendQueryParams(pg->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (!sent) {
		lost(pg);
		return -1;
	}
	return 0;
}

/* Statements run prepared (parsed and planned once per connection, which
 * halves the server's work for a short query); PostgreSQL still plans a
 * statement for its parameters where that pays (plan_cache_mode auto). */
int cpg_send(struct cpg *pg, const char *sql, int nparams, const char *const *params)
{
	return send_stmt(pg, sql, nparams, params, 1);
}

int cpg_send_oneshot(struct cpg *pg, const char *sql, int nparams, const char *const *params)
{
	return send_stmt(pg, sql, nparams, params, 0);
}

PGresult *cpg_wait(struct cpg *pg)
{
	if (!pg->conn)
		return NULL;
	/* The first result is the statement's; drain to the end so the
	 * connection is free for the next one. */
	PGresult *res = PQgetResult(pg->conn), *more;
	while ((more = PQgetResult(pg->conn)))
		PQclear(more);
	if (!res || PQstatus(pg->conn) != CONNECTION_OK) {
		PQclear(res);
		lost(pg);
		return NULL;
	}
	drop_stale(pg, res); /* this statement fails; the next one is prepared afresh */
	return res;
}

PGresult *cpg_exec(struct cpg *pg, const char *sql, int nparams, const char *const *params)
{
	if (ensure(pg))
		return NULL;
	char name[16];
	const char *stmt = prepared_name(pg, sql, nparams, name, sizeof(name));
	PGresult *res = NULL;
	if (*stmt && PQstatus(pg->conn) == CONNECTION_OK) {
		res = PQexecPrepared(pg->conn, stmt, nparams, params, NULL, NULL, 0);
		if (drop_stale(pg, res)) {
			PQclear(res); /* run once more, unprepared */
			res = NULL;
		}
	}
	if (!res && PQstatus(pg->conn) == CONNECTION_OK)
		res = PQexecParams(pg->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		/* The server went away mid-statement: report it as down. */
		PQclear(res);
		lost(pg);
		return NULL;
	}
	return res;
}

int cpg_run(struct cpg *pg, const char *sql, int nparams, const char *const *params, int *rows, char *errstr,
	    size_t errlen)
{
	PGresult *res = cpg_exec(pg, sql, nparams, params);
	if (!res)
		return -1;
	int rc = 0;
	if (!cpg_ok(res)) {
		snprintf(errstr, errlen, "%s", PQresultErrorMessage(res));
		first_line(errstr);
		rc = -2;
	} else if (rows) {
		*rows = PQntuples(res);
	}
	PQclear(res);
	return rc;
}

int cpg_ok(const PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

int cpg_up(const struct cpg *pg)
{
	return pg->conn && PQstatus(pg->conn) == CONNECTION_OK;
}

int cpg_check(void *url, char *detail, size_t len)
{
	PGconn *c = open_conn(url);
	int rc = -1;
	if (PQstatus(c) != CONNECTION_OK) {
		snprintf(detail, len, "postgresql unreachable: %s", PQerrorMessage(c));
		first_line(detail);
		goto out;
	}
	PGresult *res = PQexec(c, "SELECT 1");
	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		rc = 0;
		snprintf(detail, len, "ok");
	} else {
		snprintf(detail, len, "postgresql: %s", PQerrorMessage(c));
		first_line(detail);
	}
	PQclear(res);
out:
	PQfinish(c);
	return rc;
}
