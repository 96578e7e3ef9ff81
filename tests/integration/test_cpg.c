/* cpg against the stack's PostgreSQL: statements run prepared, survive a
 * dropped connection (prepared again on the new one) and a migration that
 * changes a table under a prepared statement. */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpg.h"
#include "helpers.h"
#include "log.h"
#include "util.h"

static void quiet(void)
{
	log_init("it-cpg", LOG_ERROR);
}

TestSuite(cpg, .init = quiet);

/* The first column of the first row, as a heap string ("" when none). */
static char *value(struct cpg *pg, const char *sql, int n, const char *const *params)
{
	PGresult *res = cpg_exec(pg, sql, n, params);
	cr_assert_not_null(res, "PostgreSQL unreachable");
	cr_assert(cpg_ok(res), "%s: %s", sql, PQresultErrorMessage(res));
	char *v = xstrdup(PQntuples(res) ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);
	return v;
}

static const char by_name[] = "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1";

Test(cpg, statements_run_prepared_and_give_the_same_results)
{
	struct cpg *pg = cpg_new(it_database_url());
	static const char sql[] = "SELECT $1::int * 2";
	for (int i = 0; i < 8; i++) {
		char in[16], want[16];
		snprintf(in, sizeof(in), "%d", i);
		snprintf(want, sizeof(want), "%d", 2 * i);
		const char *p[] = { in };
		char *got = value(pg, sql, 1, p);
		cr_assert_str_eq(got, want);
		free(got);
	}
	const char *p[] = { sql };
	char *n = value(pg, by_name, 1, p);
	cr_assert_str_eq(n, "1", "the statement is prepared once on the connection");
	free(n);

	/* the asynchronous half too */
	const char *q[] = { "21" };
	cr_assert_eq(cpg_send(pg, sql, 1, q), 0);
	PGresult *res = cpg_wait(pg);
	cr_assert_not_null(res);
	cr_assert_str_eq(PQgetvalue(res, 0, 0), "42");
	PQclear(res);

	/* and one planned for its values each time: never prepared */
	static const char once[] = "SELECT $1::int * 3";
	cr_assert_eq(cpg_send_oneshot(pg, once, 1, q), 0);
	res = cpg_wait(pg);
	cr_assert_not_null(res);
	cr_assert_str_eq(PQgetvalue(res, 0, 0), "63");
	PQclear(res);
	const char *op[] = { once };
	n = value(pg, by_name, 1, op);
	cr_assert_str_eq(n, "0", "a one-shot statement is not prepared");
	free(n);
	cpg_free(pg);
}

Test(cpg, a_dropped_connection_prepares_again_on_the_next_one)
{
	struct cpg *pg = cpg_new(it_database_url());
	static const char sql[] = "SELECT pg_backend_pid()::text || '/' || $1";
	const char *p[] = { "x" };
	char *first = value(pg, sql, 1, p);
	char pid[32];
	snprintf(pid, sizeof(pid), "%.*s", (int)strcspn(first, "/"), first);

	/* another connection ends this one */
	PGconn *admin = PQconnectdb(it_database_url());
	cr_assert_eq(PQstatus(admin), CONNECTION_OK, "%s", PQerrorMessage(admin));
	const char *ap[] = { pid };
	PGresult *r = PQexecParams(admin, "SELECT pg_terminate_backend($1::int)", 1, NULL, ap, NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(admin);

	/* the next statement finds the connection gone; within a few seconds
	 * one runs on a new connection, where the statement is prepared anew */
	char *again = NULL;
	for (int i = 0; i < 50 && !again; i++) {
		PGresult *res = cpg_exec(pg, sql, 1, p);
		if (res && cpg_ok(res))
			again = xstrdup(PQgetvalue(res, 0, 0));
		else
			usleep(100000);
		PQclear(res);
	}
	cr_assert_not_null(again, "no statement ran after the connection was dropped");
	cr_assert_str_neq(again, first, "a new backend answers");
	const char *sp[] = { sql };
	char *n = value(pg, by_name, 1, sp);
	cr_assert_str_eq(n, "1", "prepared on the new connection");
	free(n);
	free(first);
	free(again);
	cpg_free(pg);
}

Test(cpg, a_table_changed_under_a_prepared_statement_still_answers)
{
	struct cpg *pg = cpg_new(it_database_url());
	char *v = value(pg, "CREATE TEMP TABLE cpg_t (a int)", 0, NULL);
	free(v);
	v = value(pg, "INSERT INTO cpg_t VALUES (7)", 0, NULL);
	free(v);
	static const char sql[] = "SELECT * FROM cpg_t";
	v = value(pg, sql, 0, NULL);
	cr_assert_str_eq(v, "7");
	free(v);
	/* a migration changes the result type: the cached plan is stale */
	v = value(pg, "ALTER TABLE cpg_t ALTER a TYPE text USING a::text || 'x'", 0, NULL);
	free(v);
	v = value(pg, sql, 0, NULL);
	cr_assert_str_eq(v, "7x", "run again, unprepared, after the stale plan");
	free(v);
	v = value(pg, sql, 0, NULL);
	cr_assert_str_eq(v, "7x", "and prepared afresh");
	free(v);
	cpg_free(pg);
}
