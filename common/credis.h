/* credis: a Redis connection that reconnects by itself. A command on a
 * connection that is down tries one reconnect (at most once a second) and
 * otherwise returns NULL at once, so callers degrade instead of blocking. */
#ifndef COMMON_CREDIS_H
#define COMMON_CREDIS_H

#include <hiredis/hiredis.h>
#include <stddef.h>

struct credis;

/* Parse redis://[:password@]host[:port][/db]. NULL with errstr on a bad
 * URL; no connection is made yet. */
struct credis *credis_new(const char *url, int timeout_ms, char *errstr, size_t errlen);
void credis_free(struct credis *r);

/* Run one command (hiredis format string). Returns the reply (caller frees
 * with freeReplyObject) or NULL when Redis is unreachable. A reply of type
 * REDIS_REPLY_ERROR is returned as is. */
redisReply *credis_cmd(struct credis *r, const char *fmt, ...);
/* The same with an argument vector (lens NULL: NUL-terminated strings).
 * "EVAL" goes out as EVALSHA (EVAL when Redis lacks the script) for up to
 * CREDIS_MAX_ARGS arguments. */
#define CREDIS_MAX_ARGS 32
redisReply *credis_cmdargv(struct credis *r, int argc, const char **argv, const size_t *lens);
/* 1 when the last command reached Redis. */
int credis_up(const struct credis *r);

/* admin_check_fn over a URL string: opens its own connection and PINGs. */
int credis_check(void *url, char *detail, size_t len);

#endif
