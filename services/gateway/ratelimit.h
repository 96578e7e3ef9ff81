/* ratelimit: token buckets in Redis, one per session and one per client
 * address, checked and taken together by one Lua script (atomic across
 * gateway instances). A message is allowed only when both buckets hold a
 * token; then one is taken from each. Buckets refill continuously at
 * rate_per_min and hold at most burst tokens; an idle bucket expires.
 * Opening a session (POST /v1/sessions) takes from a third bucket per
 * client address, open_per_min / open_burst, so a client cannot mint
 * sessions (each with a fresh per-session bucket) faster than that.
 * When Redis cannot be reached the limiter fails open (the message is
 * allowed, counted and logged once per outage) unless fail_open is 0. */
#ifndef SERVICES_GATEWAY_RATELIMIT_H
#define SERVICES_GATEWAY_RATELIMIT_H

#include "credis.h"

struct gw_ratelimit_conf {
	long session_per_min, session_burst;
	long addr_per_min, addr_burst;
	long open_per_min, open_burst; /* new sessions per client address */
	int fail_open;
	const char *prefix; /* key prefix, e.g. "gw:rl:" */
};

struct gw_ratelimit;

/* Use the n connections of r[] (the caller keeps them), each serialized
 * inside, so up to n checks run at once. */
struct gw_ratelimit *gw_ratelimit_new(struct credis **r, int n, const struct gw_ratelimit_conf *conf);
void gw_ratelimit_free(struct gw_ratelimit *rl);

enum gw_rl_result { GW_RL_ALLOW, GW_RL_LIMITED, GW_RL_UNAVAILABLE };

/* Take one token for (sid, addr). GW_RL_LIMITED with *retry_after_ms (>=
 * 1) when either bucket is empty; GW_RL_UNAVAILABLE when Redis did not
 * answer (the caller applies fail_open through gw_ratelimit_allow). */
enum gw_rl_result gw_ratelimit_take(struct gw_ratelimit *rl, const char *sid, const char *addr, long *retry_after_ms);

/* Take one token of addr's new-session bucket; results as above. */
enum gw_rl_result gw_ratelimit_take_open(struct gw_ratelimit *rl, const char *addr, long *retry_after_ms);

/* 1 allowed, 0 limited with *retry_after_s (whole seconds, >= 1), for
 * gw_http_io.allow; applies the fail-open choice. */
int gw_ratelimit_allow(void *rl, const char *sid, const char *addr, int *retry_after_s);
/* The same for opening a session from addr, for gw_http_io.allow_open. */
int gw_ratelimit_allow_open(void *rl, const char *addr, int *retry_after_s);

#endif
