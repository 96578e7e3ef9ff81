/* http: the gateway's REST API on libmicrohttpd (see docs/api.md):
 *   POST /v1/sessions                            open a session, get a token
 *   POST /v1/sessions/{id}/token                 refresh the token
 *   POST /v1/sessions/{id}/messages[?wait=MS]    enqueue a message
 *   GET  /v1/sessions/{id}/events?after=SEQ[&wait=MS]   long-poll or SSE
 *   POST /v1/feedback                            rate a reply
 *   OPTIONS /v1/...                              CORS preflight
 * Everything under /v1/sessions/{id}/ needs the session's Bearer token.
 * A page on an allowed origin (origin.h) gets Access-Control-Allow-Origin
 * on every answer; a preflight from any other is refused (403).
 * Each connection has its own thread, so a request may block while it waits
 * for the broker's acknowledgement or for the reply. */
#ifndef SERVICES_GATEWAY_HTTP_H
#define SERVICES_GATEWAY_HTTP_H

#include "auth.h"
#include "gateway.h"
#include "origin.h"

struct gw_http_io {
	/* Put turn on chat.inbound.v1 and wait for the broker to acknowledge
	 * it. 0, or -1 with errstr (the message was not accepted). */
	int (*enqueue)(void *arg, const Chat__Turn *turn, char *errstr, size_t errlen);
	/* Put turn on chat.inbound.v1 without waiting: cb runs later (on the
	 * producer's thread) with NULL or why the broker refused it. 0, or -1
	 * with errstr when it could not even be queued (cb is not called). */
	int (*enqueue_async)(void *arg, const Chat__Turn *turn, void (*cb)(void *cbarg, const char *errstr),
			     void *cbarg, char *errstr, size_t errlen);
	/* Publish a rating to chat.feedback.v1; 0 or -1 with errstr. */
	int (*feedback)(void *arg, const Chat__Feedback *fb, char *errstr, size_t errlen);
	/* Rate limit: 1 when the session sid from client address addr may
	 * send one more message, 0 when over the limit with *retry_after_s
	 * set. NULL: no limit. */
	int (*allow)(void *arg, const char *sid, const char *addr, int *retry_after_s);
	/* Rate limit of POST /v1/sessions: 1 when client address addr may
	 * open one more session, else 0 with *retry_after_s. NULL: no limit. */
	int (*allow_open)(void *arg, const char *addr, int *retry_after_s);
	/* A session was opened here (record it beyond this process); and a
	 * session this process does not hold: 0 when it could be restored.
	 * Either may be NULL. */
	void (*opened)(void *arg, const char *sid);
	int (*restore)(void *arg, const char *sid);
	void *arg;
	struct wa *wa; /* WhatsApp webhook (whatsapp.h); NULL: answers 404 */
};

struct gw_http_conf {
	const char *addr;
	int port;
	long max_body;
	long max_wait_ms;
	long max_connections;
	const struct gw_auth_conf *auth;
	long sse_keepalive_s; /* comment line on an idle event stream */
	const struct gw_origins *origins; /* pages allowed to call from other origins (origin.h) */
};

struct gw_http;

struct gw_http *gw_http_start(struct gw *gw, const struct gw_http_conf *conf, struct gw_http_io io, char *errstr,
			      size_t errlen);
/* Stop accepting, finish open requests, free. */
void gw_http_stop(struct gw_http *h);

#endif
