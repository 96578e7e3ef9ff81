/* ws: the WebSocket channel on libwebsockets (see docs/api.md):
 *   ws://host:GATEWAY_WS_PORT/v1/ws?token=<session token>[&after=SEQ]
 * A bad or missing token is refused with HTTP 401 before the upgrade, and
 * an upgrade whose Origin header names a page that may not call the
 * gateway (origin.h) with 403; one without an Origin (apps) is not checked.
 * Client frames: {"type":"message","text","client_msg_id"?} and
 * {"type":"resume","after":SEQ}; server frames: the session's events
 * (delta, final) in seq order, none twice on one connection, and error
 * frames {"type":"error","code","message"}.
 *
 * Threads: lws runs its own service thread, which alone touches sockets
 * and connection state (with libev, the thread runs a libev loop of ours
 * that lws joins, and gw_ws_stop breaks it through an ev_async). The gateway's event listener (called on the Kafka
 * consumer thread) and the message workers hand events over through a
 * locked inbox and lws_cancel_service(). A message from a client goes to a
 * small worker pool, because enqueueing waits for the broker. */
#ifndef SERVICES_GATEWAY_WS_H
#define SERVICES_GATEWAY_WS_H

#include "auth.h"
#include "gateway.h"
#include "http.h"
#include "origin.h"

struct gw_ws_conf {
	const char *addr;
	int port;
	const struct gw_auth_conf *auth;
	long ping_s;       /* ping an idle client this often */
	long idle_s;       /* close after this long without a frame either way */
	long max_frame;    /* largest client message in bytes */
	long max_queue;    /* frames queued for one slow client before it is dropped */
	int workers;       /* threads enqueueing client messages */
	int event_lib;     /* 1: libev (epoll) event loop; 0: poll() */
	const struct gw_origins *origins; /* pages allowed besides the gateway's own host */
};

struct gw_ws;

/* Listen and start the service thread. NULL with errstr. Feed it the
 * session events with gw_ws_event (a gw_event_fn; arg is the gw_ws), and
 * remove that listener before gw_ws_stop. */
struct gw_ws *gw_ws_start(struct gw *gw, const struct gw_ws_conf *conf, struct gw_http_io io, char *errstr,
			  size_t errlen);
void gw_ws_event(void *ws, const char *sid, uint64_t seq, const char *json);
/* Close every connection, stop the threads, free. */
void gw_ws_stop(struct gw_ws *ws);
/* Open connections now. */
long gw_ws_connections(struct gw_ws *ws);

#endif
