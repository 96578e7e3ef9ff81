/* http: the gateway's REST API on libmicrohttpd. */
#include "http.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "util.h"
#include "web/web.h"

struct gw_http {
	struct gw *gw;
	struct gw_http_conf conf;
	struct gw_http_io io;
	struct MHD_Daemon *mhd;
};

struct req {
	char *body;
	size_t len;
	int too_large;
};

static void count(unsigned status)
{
	char labels[32];
	snprintf(labels, sizeof(labels), "code=\"%u\"", status);
	metrics_inc(metrics_counter("gateway_http_requests_total", "REST requests by status", labels), 1);
}

/* Respond with body (heap string, taken). */
static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, char *body)
{
	size_t len = strlen(body);
	struct MHD_Response *rsp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(rsp, "Content-Type", "application/json");
	MHD_add_response_header(rsp, "Cache-Control", "no-store");
	enum MHD_Result r = MHD_queue_response(conn, status, rsp);
	MHD_destroy_response(rsp);
	count(status);
	return r;
}

static enum MHD_Result respond_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	json_t *j = json_pack("{s:s}", "error", msg);
	char *body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return respond(conn, status, body);
}

/* Parse a query parameter as a number in [0, max]; def when absent. */
static int query_long(struct MHD_Connection *conn, const char *name, long def, long max, long *out)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
	if (!v) {
		*out = def;
		return 0;
	}
	return util_parse_long(v, 0, max, out);
}

/* "/v1/sessions/{id}/{what}" -> id and what; -1 when the path is not that. */
static int split_path(const char *url, char *sid, size_t sidlen, const char **what)
{
	static const char prefix[] = "/v1/sessions/";
	if (strncmp(url, prefix, sizeof(prefix) - 1))
		return -1;
	const char *p = url + sizeof(prefix) - 1;
	const char *slash = strchr(p, '/');
	if (!slash || (size_t)(slash - p) >= sidlen)
		return -1;
	memcpy(sid, p, (size_t)(slash - p));
	sid[slash - p] = '\0';
	*what = slash + 1;
	return 0;
}

static enum MHD_Result post_message(struct gw_http *h, struct MHD_Connection *conn, const char *sid,
				    struct req *rq)
{
	char errstr[256];
	long wait_ms;
	struct gw_msg msg;
	if (rq->too_large) {
		snprintf(errstr, sizeof(errstr), "body is over the %ld-byte limit", h->conf.max_body);
		return respond_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, errstr);
	}
	if (query_long(conn, "wait", 0, h->conf.max_wait_ms, &wait_ms)) {
		snprintf(errstr, sizeof(errstr), "\"wait\" must be milliseconds from 0 to %ld", h->conf.max_wait_ms);
		return respond_error(conn, MHD_HTTP_BAD_REQUEST, errstr);
	}
	if (gw_parse_message(rq->body ? rq->body : "", rq->len, &msg, errstr, sizeof(errstr)))
		return respond_error(conn, MHD_HTTP_BAD_REQUEST, errstr);

	Chat__Turn *turn = gw_build_turn(h->gw, sid, &msg);
	gw_msg_release(&msg);
	gw_touch_session(h->gw, sid);
	enum MHD_Result r;
	if (h->io.enqueue(h->io.arg, turn, errstr, sizeof(errstr))) {
		log_write(LOG_WARN, turn->trace_id, sid, "message not enqueued: %s", errstr);
		r = respond_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "the assistant cannot take messages right now; try again shortly");
		goto out;
	}
	if (wait_ms > 0) {
		char *event = NULL;
		if (gw_wait_reply(h->gw, sid, turn->turn_id, (int)wait_ms, &event) == 0) {
			r = respond(conn, MHD_HTTP_OK, event);
			goto out;
		}
		json_t *j = json_pack("{s:s,s:s,s:s}", "error", "no reply yet; fetch it from the events endpoint",
				      "turn_id", turn->turn_id, "session_id", sid);
		r = respond(conn, MHD_HTTP_GATEWAY_TIMEOUT, json_dumps(j, JSON_COMPACT));
		json_decref(j);
		goto out;
	}
	json_t *j = json_pack("{s:s,s:s,s:s}", "turn_id", turn->turn_id, "session_id", sid, "trace_id",
			      turn->trace_id);
	r = respond(conn, MHD_HTTP_ACCEPTED, json_dumps(j, JSON_COMPACT));
	json_decref(j);
out:
	turn_free(turn);
	return r;
}

static enum MHD_Result get_events(struct gw_http *h, struct MHD_Connection *conn, const char *sid)
{
	long after, wait_ms;
	char errstr[128];
	if (query_long(conn, "after", 0, INT32_MAX, &after)) {
		snprintf(errstr, sizeof(errstr), "\"after\" must be a sequence number of 0 or more");
		return respond_error(conn, MHD_HTTP_BAD_REQUEST, errstr);
	}
	if (query_long(conn, "wait", 0, h->conf.max_wait_ms, &wait_ms)) {
		snprintf(errstr, sizeof(errstr), "\"wait\" must be milliseconds from 0 to %ld", h->conf.max_wait_ms);
		return respond_error(conn, MHD_HTTP_BAD_REQUEST, errstr);
	}
	char *json = NULL;
	if (gw_events(h->gw, sid, (uint64_t)after, (int)wait_ms, &json))
		return respond_error(conn, MHD_HTTP_NOT_FOUND, "unknown session: send a message to start one");
	return respond(conn, MHD_HTTP_OK, json);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_len, void **req_cls)
{
	struct gw_http *h = cls;
	struct req *rq = *req_cls;
	(void)version;
	if (!rq) {
		rq = xcalloc(1, sizeof(*rq));
		*req_cls = rq;
		return MHD_YES;
	}
	if (*upload_len) {
		if (rq->len + *upload_len > (size_t)h->conf.max_body) {
			rq->too_large = 1;
		} else {
			rq->body = xrealloc(rq->body, rq->len + *upload_len + 1);
			memcpy(rq->body + rq->len, upload, *upload_len);
			rq->len += *upload_len;
			rq->body[rq->len] = '\0';
		}
		*upload_len = 0;
		return MHD_YES;
	}

	char sid[GW_MAX_SESSION_ID + 2];
	const char *what;
	enum MHD_Result web;
	if (gw_web_serve(conn, method, url, &web))
		return web;
	if (!strcmp(url, "/v1")) {
		return respond(conn, MHD_HTTP_OK,
			       xstrdup("{\"service\":\"retail-assistant gateway\",\"endpoints\":["
				       "\"POST /v1/sessions/{id}/messages\",\"GET /v1/sessions/{id}/events\"]}"));
	}
	if (split_path(url, sid, sizeof(sid), &what))
		return respond_error(conn, MHD_HTTP_NOT_FOUND, "no such endpoint");
	if (!util_valid_id(sid, GW_MAX_SESSION_ID))
		return respond_error(conn, MHD_HTTP_BAD_REQUEST,
				     "session id must be 1..128 characters of letters, digits and . _ : -");
	if (!strcmp(what, "messages")) {
		if (strcmp(method, "POST"))
			return respond_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST to send a message");
		return post_message(h, conn, sid, rq);
	}
	if (!strcmp(what, "events")) {
		if (strcmp(method, "GET"))
			return respond_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET to read events");
		return get_events(h, conn, sid);
	}
	return respond_error(conn, MHD_HTTP_NOT_FOUND, "no such endpoint");
}

static void completed(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *req_cls;
	(void)cls;
	(void)conn;
	(void)toe;
	if (rq) {
		free(rq->body);
		free(rq);
		*req_cls = NULL;
	}
}

struct gw_http *gw_http_start(struct gw *gw, const struct gw_http_conf *conf, struct gw_http_io io, char *errstr,
			      size_t errlen)
{
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)conf->port);
	if (inet_pton(AF_INET, conf->addr, &sa.sin_addr) != 1) {
		snprintf(errstr, errlen, "GATEWAY_HTTP_ADDR \"%s\" is not an IPv4 address", conf->addr);
		return NULL;
	}
	struct gw_http *h = xcalloc(1, sizeof(*h));
	h->gw = gw;
	h->conf = *conf;
	h->io = io;
	h->mhd = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
				      MHD_USE_ERROR_LOG,
				  (uint16_t)conf->port, NULL, NULL, handle, h, MHD_OPTION_SOCK_ADDR,
				  (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT, (unsigned)conf->max_connections,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_THREAD_STACK_SIZE,
				  (size_t)(256 * 1024), MHD_OPTION_NOTIFY_COMPLETED, completed, h, MHD_OPTION_END);
	if (!h->mhd) {
		snprintf(errstr, errlen, "cannot listen on %s:%d for the REST API (port in use?)", conf->addr,
			 conf->port);
		free(h);
		return NULL;
	}
	return h;
}

void gw_http_stop(struct gw_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->mhd);
	free(h);
}
