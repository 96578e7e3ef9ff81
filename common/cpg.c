/* cpg: a PostgreSQL connection that reconnects by itself. */
#include "cpg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

#define CPG_RETRY_US 1000000LL

struct cpg {
	char *url;
	PGconn *conn;
	int up;
	int64_t last_try_us;
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

void cpg_free(struct cpg *pg)
{
	if (!pg)
		return;
	if (pg->conn)
		PQfinish(pg->conn);
	free(pg->url);
	free(pg);
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
	if (pg->conn) {
		PQfinish(pg->conn);
		pg->conn = NULL;
	}
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
	PQfinish(pg->conn);
	pg->conn = NULL;
	pg->last_try_us = util_mono_us();
}

int cpg_send(struct cpg *pg, const char *sql, int nparams, const char *const *params)
{
	if (ensure(pg))
		return -1;
	if (!PQsendQueryParams(pg->conn, sql, nparams, NULL, params, NULL, NULL, 0)) {
		lost(pg);
		return -1;
	}
	return 0;
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
	return res;
}

PGresult *cpg_exec(struct cpg *pg, const char *sql, int nparams, const char *const *params)
{
	if (ensure(pg))
		return NULL;
	PGresult *res = PQexecParams(pg->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		/* The server went away mid-statement: report it as down. */
		set_state(pg, 0, PQerrorMessage(pg->conn));
		PQclear(res);
		PQfinish(pg->conn);
		pg->conn = NULL;
		pg->last_try_us = util_mono_us();
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
