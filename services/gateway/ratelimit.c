/* ratelimit: token buckets in Redis by Lua. */
#include "ratelimit.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "util.h"

/* KEYS: the buckets. ARGV[1]: now in ms (the script reads Redis's clock
 * so instances with skewed clocks share one notion of time; ARGV[1] is
 * unused when 0), then per key rate (tokens per minute) and burst. Returns
 * 0 when a token was taken from every bucket, else the milliseconds until
 * all of them hold one (nothing is taken). Bucket hash: t = tokens, ts =
 * last update in ms. */
static const char script[] =
    "local now = tonumber(ARGV[1])\n"
    "if now == 0 then local t = redis.call('TIME'); now = t[1] * 1000 + math.floor(t[2] / 1000) end\n"
    "local wait, tokens = 0, {}\n"
    "for i, key in ipairs(KEYS) do\n"
    "  local rate = tonumber(ARGV[2 * i]) / 60000\n"
    "  local burst = tonumber(ARGV[2 * i + 1])\n"
    "  local s = redis.call('HMGET', key, 't', 'ts')\n"
    "  local t, ts = tonumber(s[1]), tonumber(s[2])\n"
    "  if t == nil or ts == nil then t, ts = burst, now end\n"
    "  if now > ts then t = math.min(burst, t + (now - ts) * rate) end\n"
    "  tokens[i] = t\n"
    "  if t < 1 then\n"
    "    local w = math.ceil((1 - t) / rate)\n"
    "    if w > wait then wait = w end\n"
    "  end\n"
    "end\n"
    "if wait > 0 then return wait end\n"
    "for i, key in ipairs(KEYS) do\n"
    "  local rate = tonumber(ARGV[2 * i]) / 60000\n"
    "  local burst = tonumber(ARGV[2 * i + 1])\n"
    "  redis.call('HSET', key, 't', tostring(tokens[i] - 1), 'ts', now)\n"
    "  redis.call('PEXPIRE', key, math.ceil(burst / rate) + 1000)\n"
    "end\n"
    "return 0\n";

#define GW_RL_MAX_CONNS 32

struct gw_ratelimit {
	struct credis *r[GW_RL_MAX_CONNS];
	pthread_mutex_t conn_lock[GW_RL_MAX_CONNS];
	int nconns;
	_Atomic unsigned next;
	struct gw_ratelimit_conf conf;
	pthread_mutex_t lock; /* the outage flag */
	int down; /* logged the current outage */
	struct metric *m_allowed, *m_limited, *m_unavailable, *m_seconds;
};

struct gw_ratelimit *gw_ratelimit_new(struct credis **r, int n, const struct gw_ratelimit_conf *conf)
{
	struct gw_ratelimit *rl = xcalloc(1, sizeof(*rl));
	rl->nconns = n < 1 ? 1 : n > GW_RL_MAX_CONNS ? GW_RL_MAX_CONNS : n;
	for (int i = 0; i < rl->nconns; i++) {
		rl->r[i] = r[i];
		pthread_mutex_init(&rl->conn_lock[i], NULL);
	}
	rl->conf = *conf;
	pthread_mutex_init(&rl->lock, NULL);
	rl->m_allowed = metrics_counter("gateway_ratelimit_total", "Rate-limit decisions", "result=\"allowed\"");
	rl->m_limited = metrics_counter("gateway_ratelimit_total", "Rate-limit decisions", "result=\"limited\"");
	rl->m_unavailable =
	    metrics_counter("gateway_ratelimit_total", "Rate-limit decisions", "result=\"redis_unavailable\"");
	rl->m_seconds = metrics_histogram("gateway_ratelimit_seconds",
					  "A message's rate-limit check: the Redis round trip of the bucket script", "");
	return rl;
}

void gw_ratelimit_free(struct gw_ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	for (int i = 0; i < rl->nconns; i++)
		pthread_mutex_destroy(&rl->conn_lock[i]);
	free(rl);
}

/* The bucket script on connection r (caller holds its lock); credis sends
 * it as EVALSHA. */
static redisReply *run(struct credis *r, int nkeys, const char **keys, const char **args, int nargs)
{
	const char *argv[16];
	char nk[8];
	snprintf(nk, sizeof(nk), "%d", nkeys);
	int argc = 0;
	argv[argc++] = "EVAL";
	argv[argc++] = script;
	argv[argc++] = nk;
	for (int i = 0; i < nkeys; i++)
		argv[argc++] = keys[i];
	for (int i = 0; i < nargs; i++)
		argv[argc++] = args[i];
	return credis_cmdargv(r, argc, argv, NULL);
}

/* Run the script on buckets keys[0..nkeys) with their (rate, burst) in
 * args: one token from each, or none and the wait. */
static enum gw_rl_result take(struct gw_ratelimit *rl, int nkeys, const char **keys, const long *rates,
			      long *retry_after_ms)
{
	char a[5][24];
	const char *args[5];
	assert(nkeys >= 1 && nkeys <= 2);
	snprintf(a[0], sizeof(a[0]), "0");
	for (int k = 0; k < 2 * nkeys; k++)
		snprintf(a[k + 1], sizeof(a[k + 1]), "%ld", rates[k]);
	for (int k = 0; k < 2 * nkeys + 1; k++)
		args[k] = a[k];
	int i = (int)(atomic_fetch_add(&rl->next, 1) % (unsigned)rl->nconns);
	pthread_mutex_lock(&rl->conn_lock[i]);
	redisReply *rep = run(rl->r[i], nkeys, keys, args, 2 * nkeys + 1);
	pthread_mutex_unlock(&rl->conn_lock[i]);
	enum gw_rl_result res = GW_RL_UNAVAILABLE;
	pthread_mutex_lock(&rl->lock);
	if (rep && rep->type == REDIS_REPLY_INTEGER) {
		res = rep->integer > 0 ? GW_RL_LIMITED : GW_RL_ALLOW;
		*retry_after_ms = (long)rep->integer;
		if (rl->down)
			log_info("rate limiter: Redis answers again; limits are enforced");
		rl->down = 0;
	} else if (!rl->down) {
		rl->down = 1;
		log_warn("rate limiter: Redis unavailable (%s); %s until it is back",
			 rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "no connection",
			 rl->conf.fail_open ? "messages and new sessions are allowed without limits"
						   : "messages and new sessions are refused");
	}
	pthread_mutex_unlock(&rl->lock);
	if (rep)
		freeReplyObject(rep);
	return res;
}

enum gw_rl_result gw_ratelimit_take(struct gw_ratelimit *rl, const char *sid, const char *addr, long *retry_after_ms)
{
	char *k1 = xasprintf("%ss:%s", rl->conf.prefix, sid), *k2 = xasprintf("%sa:%s", rl->conf.prefix, addr);
	const char *keys[2] = { k1, k2 };
	long rates[4] = { rl->conf.session_per_min, rl->conf.session_burst, rl->conf.addr_per_min, rl->conf.addr_burst };
	enum gw_rl_result res = take(rl, 2, keys, rates, retry_after_ms);
	free(k1);
	free(k2);
	return res;
}

enum gw_rl_result gw_ratelimit_take_open(struct gw_ratelimit *rl, const char *addr, long *retry_after_ms)
{
	char *k = xasprintf("%so:%s", rl->conf.prefix, addr);
	const char *keys[1] = { k };
	long rates[2] = { rl->conf.open_per_min, rl->conf.open_burst };
	enum gw_rl_result res = take(rl, 1, keys, rates, retry_after_ms);
	free(k);
	return res;
}

/* A take's result as allowed (1) or not (0) with *retry_after_s, counted. */
static int decide(struct gw_ratelimit *rl, enum gw_rl_result res, long ms, int *retry_after_s)
{
	switch (res) {
	case GW_RL_ALLOW:
		metrics_inc(rl->m_allowed, 1);
		return 1;
	case GW_RL_LIMITED:
		metrics_inc(rl->m_limited, 1);
		*retry_after_s = (int)((ms + 999) / 1000);
		if (*retry_after_s < 1)
			*retry_after_s = 1;
		return 0;
	case GW_RL_UNAVAILABLE:
	default:
		metrics_inc(rl->m_unavailable, 1);
		*retry_after_s = 1;
		return rl->conf.fail_open;
	}
}

int gw_ratelimit_allow(void *arg, const char *sid, const char *addr, int *retry_after_s)
{
	struct gw_ratelimit *rl = arg;
	long ms = 0;
	int64_t t0 = util_mono_us();
	enum gw_rl_result res = gw_ratelimit_take(rl, sid, addr, &ms);
	metrics_observe_us(rl->m_seconds, util_mono_us() - t0);
	return decide(rl, res, ms, retry_after_s);
}

int gw_ratelimit_allow_open(void *arg, const char *addr, int *retry_after_s)
{
	struct gw_ratelimit *rl = arg;
	long ms = 0;
	enum gw_rl_result res = gw_ratelimit_take_open(rl, addr, &ms);
	return decide(rl, res, ms, retry_after_s);
}
