/* A dependency missing at start: one clear log line, a not-ready probe, no
 * crash; ready once it appears; SIGTERM drains and exits 0. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "util.h"

/* Ports away from the stack's own, shifted by PORT_OFFSET like the stack. */
static char ADMIN_PORT[24], REDIS_PORT[24];

static void pick_ports(void)
{
	long off = it_env_long("PORT_OFFSET", 0);
	snprintf(ADMIN_PORT, sizeof(ADMIN_PORT), "%ld", 9198 + off);
	snprintf(REDIS_PORT, sizeof(REDIS_PORT), "%ld", 6391 + off);
}

static pid_t spawn(const char *const argv[], const char *const env[], const char *log_path)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		for (const char *const *e = env; e && *e; e++)
			putenv((char *)*e);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* GET readyz: the status code, or 0 when nothing answers. */
static long readyz(char **body)
{
	struct cc_http h;
	char errstr[256];
	long status = 0;
	*body = NULL;
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/readyz", ADMIN_PORT);
	cc_http_init(&h, url);
	if (cc_get(&h, url, &status, body, errstr, sizeof(errstr)))
		status = 0;
	cc_http_release(&h);
	return status;
}

static long wait_status(long want, char **body, int timeout_ms)
{
	long st = 0;
	int64_t deadline = util_mono_us() + (int64_t)timeout_ms * 1000;
	for (;;) {
		st = readyz(body);
		if (st == want || util_mono_us() > deadline)
			return st;
		free(*body);
		util_sleep_ms(200, NULL);
	}
}

static int count_lines(const char *path, const char *a, const char *b)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	int n = 0;
	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, a) && strstr(line, b);
	if (f)
		fclose(f);
	return n;
}

Test(startup, missing_redis_is_not_ready_then_recovers_and_sigterm_exits_0, .timeout = 90)
{
	char group[64], env_group[96], env_admin[48], env_redis[80], want[96], log_path[] = "/tmp/it-startup-XXXXXX";
	pick_ports();
	snprintf(env_admin, sizeof(env_admin), "ADMIN_PORT=%s", ADMIN_PORT);
	snprintf(env_redis, sizeof(env_redis), "REDIS_URL=redis://127.0.0.1:%s/0", REDIS_PORT);
	snprintf(want, sizeof(want), "redis 127.0.0.1:%s unreachable", REDIS_PORT);
	int fd = mkstemp(log_path);
	cr_assert_geq(fd, 0);
	close(fd);
	it_session(group, sizeof(group), "ingestion");
	snprintf(env_group, sizeof(env_group), "KAFKA_GROUP_ID=%s", group);
	const char *env[] = { env_admin, env_redis, env_group, NULL };
	char bin[512];
	snprintf(bin, sizeof(bin), "%s/build/bin/ingestion", getenv("REPO_DIR") ? getenv("REPO_DIR") : ".");
	const char *argv[] = { bin, NULL };
	pid_t svc = spawn(argv, env, log_path);

	char *body = NULL;
	long st = wait_status(503, &body, 15000);
	cr_assert_eq(st, 503, "readyz answered %ld, expected 503 without Redis", st);
	cr_assert(strstr(body, want), "readyz does not say why: %s", body);
	free(body);
	util_sleep_ms(1000, NULL);
	cr_assert_eq(waitpid(svc, NULL, WNOHANG), 0, "the service exited without Redis");
	cr_assert_eq(count_lines(log_path, "not ready", "redis"), 1, "expected one clear log line about Redis");

	const char *rargv[] = { "redis-server", "--port", REDIS_PORT, "--bind", "127.0.0.1", "--save", "",
			  "--appendonly", "no", NULL };
	char rlog[] = "/tmp/it-startup-redis-XXXXXX";
	close(mkstemp(rlog));
	pid_t redis = spawn(rargv, NULL, rlog);
	st = wait_status(200, &body, 15000);
	free(body);
	kill(redis, SIGTERM);
	waitpid(redis, NULL, 0);
	unlink(rlog);
	cr_assert_eq(st, 200, "not ready after Redis appeared (readyz %ld)", st);

	kill(svc, SIGTERM);
	int status = 0;
	int64_t deadline = util_mono_us() + 30 * 1000000LL;
	pid_t w = 0;
	while ((w = waitpid(svc, &status, WNOHANG)) == 0 && util_mono_us() < deadline)
		util_sleep_ms(100, NULL);
	if (w == 0)
		kill(svc, SIGKILL);
	cr_assert_eq(w, svc, "no exit within 30 s of SIGTERM");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "SIGTERM exit status %d", status);
	unlink(log_path);
}
