/* cpg: behaviour when PostgreSQL is unreachable. */
#include <criterion/criterion.h>
#include <string.h>

#include "cpg.h"
#include "log.h"
#include "util.h"
#include "../testutil.h"

#define DEAD_PG "postgresql://x:y@127.0.0.1:1/none?connect_timeout=1"

/* The expected "unreachable" warnings would only clutter the test output. */
static void quiet(void)
{
	log_init("unit-test", LOG_ERROR);
}

TestSuite(cpg, .init = quiet, .fini = tu_leak_check);

Test(cpg, check_unreachable)
{
	char url[] = DEAD_PG;
	char detail[256] = "";
	int64_t t0 = util_mono_us();
	cr_assert_eq(cpg_check(url, detail, sizeof(detail)), -1);
	cr_assert_lt(util_mono_us() - t0, 3000000);
	cr_assert(strstr(detail, "postgresql unreachable") != NULL, "%s", detail);
	cr_assert_gt(strlen(detail), strlen("postgresql unreachable: "), "with the reason: %s", detail);
	cr_assert_null(strchr(detail, '\n'), "one line: %s", detail);
}

Test(cpg, exec_unreachable_returns_null)
{
	struct cpg *pg = cpg_new(DEAD_PG);
	const char *params[] = { "1" };
	cr_assert_null(cpg_exec(pg, "SELECT $1", 1, params));
	cr_assert_eq(cpg_up(pg), 0);
	int64_t t0 = util_mono_us();
	cr_assert_null(cpg_exec(pg, "SELECT 1", 0, NULL), "no reconnect within a second");
	cr_assert_lt(util_mono_us() - t0, 100000);
	cpg_free(pg);
}

Test(cpg, send_unreachable_fails_and_wait_is_null)
{
	struct cpg *pg = cpg_new(DEAD_PG);
	const char *params[] = { "1" };
	cr_assert_eq(cpg_send(pg, "SELECT $1", 1, params), -1);
	cr_assert_null(cpg_wait(pg), "nothing in flight");
	cr_assert_eq(cpg_up(pg), 0);
	cpg_free(pg);
}
