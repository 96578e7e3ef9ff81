/* http: the gateway's REST API on libmicrohttpd (see docs/api.md):
 *   POST /v1/sessions/{id}/messages[?wait=MS]   enqueue a message
 *   GET  /v1/sessions/{id}/events?after=SEQ[&wait=MS]   long-poll replies
 * Each connection has its own thread, so a request may block while it waits
 * for the broker's acknowledgement or for the reply. */
#ifndef SERVICES_GATEWAY_HTTP_H
#define SERVICES_GATEWAY_HTTP_H

#include "gateway.h"

struct gw_http_io {
	/* Put turn on chat.inbound.v1 and wait for the broker to acknowledge
	 * it. 0, or -1 with errstr (the message was not accepted). */
	int (*enqueue)(void *arg, const Chat__Turn *turn, char *errstr, size_t errlen);
	void *arg;
	struct wa *wa; /* WhatsApp webhook (whatsapp.h); NULL: answers 404 */
};

struct gw_http_conf {
	const char *addr;
	int port;
	long max_body;
	long max_wait_ms;
	long max_connections;
};

struct gw_http;

struct gw_http *gw_http_start(struct gw *gw, const struct gw_http_conf *conf, struct gw_http_io io, char *errstr,
			      size_t errlen);
/* Stop accepting, finish open requests, free. */
void gw_http_stop(struct gw_http *h);

#endif
