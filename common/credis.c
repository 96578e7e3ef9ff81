/* credis: a Redis connection that reconnects by itself. */
#include "credis.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

#define CREDIS_RETRY_US 1000000LL
#define CREDIS_SCRIPTS 16 /* Lua scripts whose SHA1 is remembered; more run as plain EVAL */

struct credis_script {
	char *body;
	size_t len;
	char sha[41];
};

struct credis {
	char host[256];
	int port;
	int db;
	char password[128];
	int timeout_ms;
	redisContext *ctx;
	int up;             /* state last logged */
	int64_t last_try_us;
	struct credis_script scripts[CREDIS_SCRIPTS];
	int nscripts;
};

static int parse_url(struct credis *r, const char *url, char *errstr, size_t errlen)
{
	const char *p = url;
	if (strncmp(p, "redis://", 8)) {
		snprintf(errstr, errlen, "Redis URL \"%s\" must start with redis://", url);
		return -1;
	}
	p += 8;
	const char *at = strchr(p, '@');
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		const char *pw = colon ? colon + 1 : p;
		size_t n = (size_t)(at - pw);
		if (n >= sizeof(r->password)) {
			snprintf(errstr, errlen, "Redis password is too long");
			return -1;
		}
		memcpy(r->password, pw, n);
		r->password[n] = '\0';
		p = at + 1;
	}
	size_t hl = strcspn(p, ":/");
	if (hl == 0 || hl >= sizeof(r->host)) {
		snprintf(errstr, errlen, "Redis URL \"%s\" has no host", url);
		return -1;
	}
	memcpy(r->host, p, hl);
	r->host[hl] = '\0';
	p += hl;
	r->port = 6379;
	if (*p == ':') {
		char port[8];
		size_t pl = strcspn(p + 1, "/");
		long v;
		if (pl == 0 || pl >= sizeof(port)) {
			snprintf(errstr, errlen, "Redis URL \"%s\" has a bad port", url);
			return -1;
		}
		memcpy(port, p + 1, pl);
		port[pl] = '\0';
		if (util_parse_long(port, 1, 65535, &v)) {
			snprintf(errstr, errlen, "Redis URL \"%s\" has a bad port", url);
			return -1;
		}
		r->port = (int)v;
		p += 1 + pl;
	}
	if (*p == '/' && p[1]) {
		long v;
		if (util_parse_long(p + 1, 0, 1000, &v)) {
			snprintf(errstr, errlen, "Redis URL \"%s\" has a bad database number", url);
			return -1;
		}
		r->db = (int)v;
	}
	return 0;
}

struct credis *credis_new(const char *url, int timeout_ms, char *errstr, size_t errlen)
{
	struct credis *r = xcalloc(1, sizeof(*r));
	r->timeout_ms = timeout_ms > 0 ? timeout_ms : 500;
	r->up = 1; /* so the first failure is logged */
	if (parse_url(r, url, errstr, errlen)) {
		free(r);
		return NULL;
	}
	return r;
}

void credis_free(struct credis *r)
{
	if (!r)
		return;
	if (r->ctx)
		redisFree(r->ctx);
	for (int i = 0; i < r->nscripts; i++)
		free(r->scripts[i].body);
	free(r);
}

static void set_state(struct credis *r, int up, const char *why)
{
	if (up == r->up)
		return;
	r->up = up;
	if (up)
		log_info("redis %s:%d reachable again", r->host, r->port);
	else
		log_warn("redis %s:%d unreachable: %s; continuing without it and retrying", r->host, r->port, why);
}

static redisContext *open_ctx(const char *host, int port, int timeout_ms, const char *password, int db,
			      char *why, size_t whylen)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	redisContext *c = redisConnectWithTimeout(host, port, tv);
	if (!c || c->err) {
		snprintf(why, whylen, "%s", c ? c->errstr : "cannot allocate context");
		goto fail;
	}
	redisSetTimeout(c, tv);
	if (*password) {
		redisReply *rep = redisCommand(c, "AUTH %s", password);
		int bad = !rep || rep->type == REDIS_REPLY_ERROR;
		snprintf(why, whylen, "AUTH failed: %s", rep && rep->str ? rep->str : c->errstr);
		if (rep)
			freeReplyObject(rep);
		if (bad)
			goto fail;
	}
	if (db) {
		redisReply *rep = redisCommand(c, "SELECT %d", db);
		int bad = !rep || rep->type == REDIS_REPLY_ERROR;
		snprintf(why, whylen, "SELECT %d failed", db);
		if (rep)
			freeReplyObject(rep);
		if (bad)
			goto fail;
	}
	return c;
fail:
	if (c)
		redisFree(c);
	return NULL;
}

static int ensure(struct credis *r)
{
	if (r->ctx)
		return 0;
	int64_t now = util_mono_us();
	if (r->last_try_us && now - r->last_try_us < CREDIS_RETRY_US)
		return -1;
	r->last_try_us = now;
	char why[256];
	r->ctx = open_ctx(r->host, r->port, r->timeout_ms, r->password, r->db, why, sizeof(why));
	if (!r->ctx) {
		set_state(r, 0, why);
		return -1;
	}
	set_state(r, 1, NULL);
	return 0;
}

static redisReply *finish(struct credis *r, redisReply *rep)
{
	if (!rep) {
		/* I/O error: the context is unusable from here on. */
		set_state(r, 0, r->ctx->errstr);
		redisFree(r->ctx);
		r->ctx = NULL;
		r->last_try_us = util_mono_us();
	}
	return rep;
}

redisReply *credis_cmd(struct credis *r, const char *fmt, ...)
{
	if (ensure(r))
		return NULL;
	va_list ap;
	va_start(ap, fmt);
	redisReply *rep = redisvCommand(r->ctx, fmt, ap);
	va_end(ap);
	return finish(r, rep);
}

/* The SHA1 (hex) of a script body, remembered; NULL when the table is full. */
static const char *script_sha(struct credis *r, const char *body, size_t len)
{
	for (int i = 0; i < r->nscripts; i++)
		if (r->scripts[i].len == len && !memcmp(r->scripts[i].body, body, len))
			return r->scripts[i].sha;
	if (r->nscripts == CREDIS_SCRIPTS)
		return NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!EVP_Digest(body, len, md, &mdlen, EVP_sha1(), NULL) || mdlen != 20)
		return NULL;
	struct credis_script *sc = &r->scripts[r->nscripts++];
	sc->body = xmalloc(len + 1);
	memcpy(sc->body, body, len);
	sc->body[len] = '\0';
	sc->len = len;
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(sc->sha + 2 * i, 3, "%02x", md[i]);
	return sc->sha;
}

/* EVAL runs as EVALSHA: Redis neither receives nor hashes the script's body
 * on every call. When Redis does not have the script (its first use, or
 * after a restart or SCRIPT FLUSH) the command goes again as EVAL. */
redisReply *credis_cmdargv(struct credis *r, int argc, const char **argv, const size_t *lens)
{
	if (ensure(r))
		return NULL;
	const char *sha = NULL;
	if (argc >= 3 && argc <= CREDIS_MAX_ARGS && !strcmp(argv[0], "EVAL"))
		sha = script_sha(r, argv[1], lens ? lens[1] : strlen(argv[1]));
	if (!sha)
		return finish(r, redisCommandArgv(r->ctx, argc, argv, lens));
	const char *av[CREDIS_MAX_ARGS];
	size_t lv[CREDIS_MAX_ARGS];
	for (int i = 0; i < argc; i++) {
		av[i] = argv[i];
		lv[i] = lens ? lens[i] : strlen(argv[i]);
	}
	av[0] = "EVALSHA";
	lv[0] = 7;
	av[1] = sha;
	lv[1] = 40;
	redisReply *rep = finish(r, redisCommandArgv(r->ctx, argc, av, lv));
	if (rep && rep->type == REDIS_REPLY_ERROR && !strncmp(rep->str, "NOSCRIPT", 8)) {
		freeReplyObject(rep);
		if (ensure(r))
			return NULL;
		rep = finish(r, redisCommandArgv(r->ctx, argc, argv, lens));
	}
	return rep;
}

int credis_up(const struct credis *r)
{
	return r->ctx != NULL;
}

int credis_check(void *url, char *detail, size_t len)
{
	char errstr[256];
	struct credis *r = credis_new(url, 500, errstr, sizeof(errstr));
	if (!r) {
		snprintf(detail, len, "%s", errstr);
		return -1;
	}
	char why[256];
	redisContext *c = open_ctx(r->host, r->port, r->timeout_ms, r->password, r->db, why, sizeof(why));
	int rc = -1;
	if (!c) {
		snprintf(detail, len, "redis %s:%d unreachable: %s", r->host, r->port, why);
		goto out;
	}
	redisReply *rep = redisCommand(c, "PING");
	if (rep && rep->type == REDIS_REPLY_STATUS) {
		rc = 0;
		snprintf(detail, len, "ok");
	} else {
		snprintf(detail, len, "redis %s:%d did not answer PING", r->host, r->port);
	}
	if (rep)
		freeReplyObject(rep);
	redisFree(c);
out:
	credis_free(r);
	return rc;
}
