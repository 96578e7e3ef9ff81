/* credis: URL parsing and behaviour when Redis is unreachable. A tiny fake
 * Redis (one thread, one connection) records the commands credis sends, so
 * host, port, password and database number are checked end to end. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "credis.h"
#include "log.h"
#include "util.h"
#include "../testutil.h"

#define DEAD_URL "redis://127.0.0.1:1"

/* The expected "unreachable" warnings would only clutter the test output. */
static void quiet(void)
{
	log_init("unit-test", LOG_ERROR);
}

TestSuite(credis, .init = quiet, .fini = tu_leak_check);

struct fake_redis {
	int lfd;
	int port;
	pthread_t th;
	char log[1024]; /* commands seen, "AUTH pw|SELECT 3|PING|" */
	int has_script; /* an EVAL was seen: EVALSHA finds the script */
};

/* Parse complete RESP arrays from buf; answer each. Returns bytes used. */
static size_t serve_commands(struct fake_redis *f, int fd, const char *buf, size_t len, int *quit)
{
	size_t used = 0;
	for (;;) {
		const char *p = buf + used, *end = buf + len;
		if (p >= end || *p != '*')
			return used;
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return used;
		int argc = (int)strtol(p + 1, NULL, 10);
		p = nl + 1;
		char cmd[256] = "";
		for (int i = 0; i < argc; i++) {
			if (p >= end || *p != '$' || !(nl = memchr(p, '\n', (size_t)(end - p))))
				return used;
			int alen = (int)strtol(p + 1, NULL, 10);
			p = nl + 1;
			if (end - p < alen + 2)
				return used;
			size_t cl = strlen(cmd);
			snprintf(cmd + cl, sizeof(cmd) - cl, "%s%.*s", i ? " " : "", alen, p);
			p += alen + 2;
		}
		used = (size_t)(p - buf);
		size_t ll = strlen(f->log);
		snprintf(f->log + ll, sizeof(f->log) - ll, "%s|", cmd);
		const char *reply = strncmp(cmd, "PING", 4) ? "+OK\r\n" : "+PONG\r\n";
		if (!strncmp(cmd, "EVALSHA ", 8))
			reply = f->has_script ? ":1\r\n" : "-NOSCRIPT No matching script. Please use EVAL.\r\n";
		else if (!strncmp(cmd, "EVAL ", 5))
			reply = (f->has_script = 1) ? ":1\r\n" : "";
		if (write(fd, reply, strlen(reply)) < 0)
			*quit = 1;
		if (!strncmp(cmd, "PING", 4))
			*quit = 1;
	}
}

static void *fake_main(void *arg)
{
	struct fake_redis *f = arg;
	int fd = accept(f->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	char buf[2048];
	size_t have = 0;
	int quit = 0;
	while (!quit) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		size_t used = serve_commands(f, fd, buf, have, &quit);
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	close(fd);
	return NULL;
}

static void fake_start(struct fake_redis *f)
{
	memset(f, 0, sizeof(*f));
	f->lfd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(f->lfd, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(f->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(f->lfd, 1), 0);
	socklen_t al = sizeof(a);
	getsockname(f->lfd, (struct sockaddr *)&a, &al);
	f->port = ntohs(a.sin_port);
	pthread_create(&f->th, NULL, fake_main, f);
}

static void fake_stop(struct fake_redis *f)
{
	pthread_join(f->th, NULL);
	close(f->lfd);
}

static void ping_through(const char *url_fmt, struct fake_redis *f)
{
	char url[128], err[256] = "";
	fake_start(f);
	snprintf(url, sizeof(url), url_fmt, f->port);
	struct credis *r = credis_new(url, 1000, err, sizeof(err));
	cr_assert_not_null(r, "%s: %s", url, err);
	redisReply *rep = credis_cmd(r, "PING");
	cr_assert_not_null(rep, "%s: PING through the fake", url);
	cr_assert_eq(rep->type, REDIS_REPLY_STATUS);
	cr_assert_str_eq(rep->str, "PONG");
	cr_assert_eq(credis_up(r), 1);
	freeReplyObject(rep);
	fake_stop(f);
	credis_free(r);
}

Test(credis, url_host_and_port)
{
	struct fake_redis f;
	ping_through("redis://127.0.0.1:%d", &f);
	cr_assert_str_eq(f.log, "PING|", "no AUTH, no SELECT: %s", f.log);
}

Test(credis, url_password_and_db)
{
	struct fake_redis f;
	ping_through("redis://:s3cret@127.0.0.1:%d/3", &f);
	cr_assert_str_eq(f.log, "AUTH s3cret|SELECT 3|PING|", "%s", f.log);
}

Test(credis, url_user_password)
{
	struct fake_redis f;
	ping_through("redis://user:pw@127.0.0.1:%d/", &f);
	cr_assert_str_eq(f.log, "AUTH pw|PING|", "password after the colon, trailing / is db 0: %s", f.log);
}

Test(credis, eval_goes_as_evalsha_and_as_eval_when_redis_lacks_the_script)
{
	struct fake_redis f;
	char url[128], err[256] = "";
	fake_start(&f);
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", f.port);
	struct credis *r = credis_new(url, 1000, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	const char *argv[] = { "EVAL", "return 1", "1", "k", "a" };
	for (int i = 0; i < 2; i++) {
		redisReply *rep = credis_cmdargv(r, 5, argv, NULL);
		cr_assert_not_null(rep);
		cr_assert_eq(rep->type, REDIS_REPLY_INTEGER, "call %d: the script's answer, not NOSCRIPT", i);
		freeReplyObject(rep);
	}
	redisReply *rep = credis_cmd(r, "PING");
	freeReplyObject(rep);
	fake_stop(&f);
	credis_free(r);
	/* SHA1("return 1") */
	cr_assert_str_eq(f.log,
			 "EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 1 k a|EVAL return 1 1 k a|"
			 "EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 1 k a|PING|",
			 "%s", f.log);
}

Test(credis, url_accepted_forms)
{
	static const char *const ok[] = { "redis://localhost", "redis://h:6380", "redis://h:6380/2", "redis://h/15",
					  "redis://:pw@h", "redis://pw@h:1" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char err[256] = "";
		struct credis *r = credis_new(ok[i], 100, err, sizeof(err));
		cr_assert_not_null(r, "%s rejected: %s", ok[i], err);
		credis_free(r);
	}
}

Test(credis, url_rejected_forms)
{
	static const char *const bad[] = { "http://h:6379", "h:6379", "", "redis://", "redis://:6379",
					   "redis://h:", "redis://h:abc", "redis://h:0", "redis://h:65536",
					   "redis://h:123456789", "redis://h/x", "redis://h/1001", "redis://h:80x/1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[256] = "";
		struct credis *r = credis_new(bad[i], 100, err, sizeof(err));
		cr_assert_null(r, "\"%s\" must be rejected", bad[i]);
		cr_assert_neq(err[0], '\0', "\"%s\": errstr says why", bad[i]);
	}
	char err[256] = "";
	cr_assert_null(credis_new("http://h", 100, err, sizeof(err)));
	cr_assert(strstr(err, "redis://") != NULL, "%s", err);
}

Test(credis, unreachable_cmd_returns_null_quickly)
{
	char err[256] = "";
	struct credis *r = credis_new(DEAD_URL, 200, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	int64_t t0 = util_mono_us();
	cr_assert_null(credis_cmd(r, "PING"));
	cr_assert_eq(credis_up(r), 0);
	const char *argv[] = { "GET", "k" };
	cr_assert_null(credis_cmdargv(r, 2, argv, NULL), "no reconnect within a second: NULL at once");
	cr_assert_null(credis_cmd(r, "GET %s", "k"));
	cr_assert_lt(util_mono_us() - t0, 1000000, "a dead Redis must not block callers");
	cr_assert_eq(credis_up(r), 0);
	credis_free(r);
}

Test(credis, check_unreachable_names_host)
{
	char detail[256] = "";
	char url[] = DEAD_URL;
	cr_assert_eq(credis_check(url, detail, sizeof(detail)), -1);
	cr_assert(strstr(detail, "127.0.0.1:1") != NULL, "%s", detail);

	char bad[] = "http://nope";
	cr_assert_eq(credis_check(bad, detail, sizeof(detail)), -1);
	cr_assert(strstr(detail, "redis://") != NULL, "%s", detail);
}

Test(credis, check_reachable)
{
	struct fake_redis f;
	fake_start(&f);
	char url[64], detail[256] = "";
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", f.port);
	cr_assert_eq(credis_check(url, detail, sizeof(detail)), 0, "%s", detail);
	cr_assert_str_eq(detail, "ok");
	fake_stop(&f);
}
