/* config: loading a table from the environment. Each Criterion test runs in
 * its own process, so setenv does not leak between tests. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "../testutil.h"

static const char *s_name;
static long s_port;
static int s_flag;
static const char *s_token;

static const struct cfg_entry tab[] = {
	{ "UT_CFG_NAME", CFG_STR, "default-name", 0, 0, "a name", &s_name },
	{ "UT_CFG_PORT", CFG_INT, "8080", 1, 65535, "a port", &s_port },
	{ "UT_CFG_FLAG", CFG_BOOL, "0", 0, 0, "a flag", &s_flag },
};

static const struct cfg_entry tab_required[] = {
	{ "UT_CFG_NAME", CFG_STR, "default-name", 0, 0, "a name", &s_name },
	{ "UT_CFG_TOKEN", CFG_STR, NULL, 0, 0, "the API token", &s_token },
};

static char prog[] = "ut";
static char *argv0[] = { prog, NULL };

static int load(const struct cfg_entry *t, size_t n, char *err, size_t errlen)
{
	return cfg_load(t, n, "ut", "unit test", 1, argv0, err, errlen);
}

static void clear_env(void)
{
	unsetenv("UT_CFG_NAME");
	unsetenv("UT_CFG_PORT");
	unsetenv("UT_CFG_FLAG");
	unsetenv("UT_CFG_TOKEN");
}

TestSuite(config, .init = clear_env, .fini = tu_leak_check);

Test(config, defaults)
{
	char err[256] = "";
	cr_assert_eq(load(tab, 3, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(s_name, "default-name");
	cr_assert_eq(s_port, 8080);
	cr_assert_eq(s_flag, 0);
}

Test(config, env_overrides)
{
	char err[256] = "";
	setenv("UT_CFG_NAME", "from-env", 1);
	setenv("UT_CFG_PORT", "9090", 1);
	setenv("UT_CFG_FLAG", "1", 1);
	cr_assert_eq(load(tab, 3, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(s_name, "from-env");
	cr_assert_eq(s_port, 9090);
	cr_assert_eq(s_flag, 1);
}

Test(config, empty_env_means_default)
{
	char err[256] = "";
	setenv("UT_CFG_PORT", "", 1);
	cr_assert_eq(load(tab, 3, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(s_port, 8080);
}

Test(config, int_out_of_bounds_names_the_variable)
{
	char err[256] = "";
	setenv("UT_CFG_PORT", "70000", 1);
	cr_assert_eq(load(tab, 3, err, sizeof(err)), -1);
	cr_assert(strstr(err, "UT_CFG_PORT") != NULL, "%s", err);
	cr_assert(strstr(err, "70000") != NULL, "%s", err);
	cr_assert(strstr(err, "1..65535") != NULL, "bounds in message: %s", err);

	setenv("UT_CFG_PORT", "0", 1);
	cr_assert_eq(load(tab, 3, err, sizeof(err)), -1, "below min");
	setenv("UT_CFG_PORT", "80x", 1);
	cr_assert_eq(load(tab, 3, err, sizeof(err)), -1, "garbage");
	cr_assert(strstr(err, "UT_CFG_PORT") != NULL, "%s", err);
}

Test(config, bool_parsing)
{
	static const char *const yes[] = { "1", "true", "TRUE", "yes", "On" };
	static const char *const no[] = { "0", "false", "No", "off" };
	char err[256] = "";
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		s_flag = 0;
		setenv("UT_CFG_FLAG", yes[i], 1);
		cr_assert_eq(load(tab, 3, err, sizeof(err)), 0, "%s: %s", yes[i], err);
		cr_assert_eq(s_flag, 1, "%s", yes[i]);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		s_flag = 1;
		setenv("UT_CFG_FLAG", no[i], 1);
		cr_assert_eq(load(tab, 3, err, sizeof(err)), 0, "%s: %s", no[i], err);
		cr_assert_eq(s_flag, 0, "%s", no[i]);
	}
	setenv("UT_CFG_FLAG", "maybe", 1);
	cr_assert_eq(load(tab, 3, err, sizeof(err)), -1);
	cr_assert(strstr(err, "UT_CFG_FLAG") != NULL, "%s", err);
}

Test(config, required_missing)
{
	char err[256] = "";
	cr_assert_eq(load(tab_required, 2, err, sizeof(err)), -1);
	cr_assert(strstr(err, "UT_CFG_TOKEN") != NULL, "%s", err);
	cr_assert(strstr(err, "required") != NULL, "%s", err);

	setenv("UT_CFG_TOKEN", "s3cret", 1);
	cr_assert_eq(load(tab_required, 2, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(s_token, "s3cret");
}

Test(config, help_returns_1_and_prints_table, .init = cr_redirect_stdout)
{
	char err[256] = "";
	char help[] = "--help";
	char *argv[] = { prog, help, NULL };
	setenv("UT_CFG_PORT", "not-checked-with-help", 1);
	cr_assert_eq(cfg_load(tab, 3, "ut", "unit test", 2, argv, err, sizeof(err)), 1);
	fflush(stdout);
	FILE *f = cr_get_redirected_stdout();
	char buf[4096];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	cr_assert(strstr(buf, "UT_CFG_PORT") != NULL, "%s", buf);
	cr_assert(strstr(buf, "[1..65535]") != NULL, "%s", buf);
	cr_assert(strstr(buf, "default-name") != NULL, "%s", buf);
}
