/* ratelimit: with Redis unreachable the configured choice applies (the
 * bucket logic itself runs against the real Redis in
 * tests/integration/test_ratelimit.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "../../testutil.h"
#include "services/gateway/ratelimit.h"

TestSuite(ratelimit, .fini = tu_leak_check);

/* Nothing listens on port 1 of the loopback. */
static struct credis *unreachable(void)
{
	char err[128];
	struct credis *r = credis_new("redis://127.0.0.1:1/0", 100, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	return r;
}

Test(ratelimit, redis_down_fails_open_when_configured)
{
	struct credis *r = unreachable();
	struct gw_ratelimit_conf c = { 1, 1, 1, 1, 1, 1, 1, "t:" };
	struct gw_ratelimit *rl = gw_ratelimit_new(&r, 1, &c);
	long ms = 0;
	cr_assert_eq(gw_ratelimit_take(rl, "s-1", "127.0.0.1", &ms), GW_RL_UNAVAILABLE);
	int retry = 0;
	for (int i = 0; i < 5; i++)
		cr_assert_eq(gw_ratelimit_allow(rl, "s-1", "127.0.0.1", &retry), 1);
	gw_ratelimit_free(rl);
	credis_free(r);
}

Test(ratelimit, redis_down_fails_closed_when_configured)
{
	struct credis *r = unreachable();
	struct gw_ratelimit_conf c = { 1, 1, 1, 1, 1, 1, 0, "t:" };
	struct gw_ratelimit *rl = gw_ratelimit_new(&r, 1, &c);
	int retry = 0;
	cr_assert_eq(gw_ratelimit_allow(rl, "s-1", "127.0.0.1", &retry), 0);
	cr_assert_geq(retry, 1);
	gw_ratelimit_free(rl);
	credis_free(r);
}

Test(ratelimit, new_sessions_follow_the_same_choice_when_redis_is_down)
{
	struct credis *r = unreachable();
	struct gw_ratelimit_conf c = { 1, 1, 1, 1, 1, 1, 1, "t:" };
	struct gw_ratelimit *rl = gw_ratelimit_new(&r, 1, &c);
	long ms = 0;
	int retry = 0;
	cr_assert_eq(gw_ratelimit_take_open(rl, "127.0.0.1", &ms), GW_RL_UNAVAILABLE);
	cr_assert_eq(gw_ratelimit_allow_open(rl, "127.0.0.1", &retry), 1);
	gw_ratelimit_free(rl);
	c.fail_open = 0;
	rl = gw_ratelimit_new(&r, 1, &c);
	cr_assert_eq(gw_ratelimit_allow_open(rl, "127.0.0.1", &retry), 0);
	cr_assert_geq(retry, 1);
	gw_ratelimit_free(rl);
	credis_free(r);
}
