/* http: the gateway's REST API on libmicrohttpd. */
#include "http.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "feedback.h"
#include "log.h"
#include "metrics.h"
#include "util.h"
#include "whatsapp.h"
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

/* The request's Origin when it is allowed to read the answer from a page
 * on another origin, else NULL. */
static const char *cors_origin(struct gw_http *h, struct MHD_Connection *conn)
{
	const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ORIGIN);
	if (!origin || !h->conf.origins)
		return NULL;
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	return gw_origin_allowed(h->conf.origins, origin, host) ? origin : NULL;
}

/* Let an allowed page read rsp, and its Retry-After (the widget waits
 * that long after a 429). The origin is echoed, never "*", so a cache
 * keeps one answer per origin (Vary). */
static void add_cors(struct gw_http *h, struct MHD_Connection *conn, struct MHD_Response *rsp)
{
	const char *origin = cors_origin(h, conn);
	if (!origin)
		return;
	MHD_add_response_header(rsp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, origin);
	MHD_add_response_header(rsp, MHD_HTTP_HEADER_ACCESS_CONTROL_EXPOSE_HEADERS, MHD_HTTP_HEADER_RETRY_AFTER);
	MHD_add_response_header(rsp, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ORIGIN);
}

/* Respond with body (heap string, taken) and an optional extra header. */
static enum MHD_Result respond_hdr(struct gw_http *h, struct MHD_Connection *conn, unsigned status, char *body,
				   const char *hname, const char *hval)
{
	size_t len = strlen(body);
	struct MHD_Response *rsp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(rsp, "Content-Type", "application/json");
	MHD_add_response_header(rsp, "Cache-Control", "no-store");
	if (hname)
		MHD_add_response_header(rsp, hname, hval);
	add_cors(h, conn, rsp);
	enum MHD_Result r = MHD_queue_response(conn, status, rsp);
	MHD_destroy_response(rsp);
	count(status);
	return r;
}

static enum MHD_Result respond(struct gw_http *h, struct MHD_Connection *conn, unsigned status, char *body)
{
	return respond_hdr(h, conn, status, body, NULL, NULL);
}

static enum MHD_Result respond_error_hdr(struct gw_http *h, struct MHD_Connection *conn, unsigned status,
					 const char *msg, const char *hname, const char *hval)
{
	json_t *j = json_pack("{s:s}", "error", msg);
	char *body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return respond_hdr(h, conn, status, body, hname, hval);
}

static enum MHD_Result respond_error(struct gw_http *h, struct MHD_Connection *conn, unsigned status,
				     const char *msg)
{
	return respond_error_hdr(h, conn, status, msg, NULL, NULL);
}

static enum MHD_Result body_too_large(struct gw_http *h, struct MHD_Connection *conn)
{
	char errstr[96];
	snprintf(errstr, sizeof(errstr), "body is over the %ld-byte limit", h->conf.max_body);
	return respond_error(h, conn, MHD_HTTP_CONTENT_TOO_LARGE, errstr);
}

/* The client's address as text ("?" when unknown). */
static void client_addr(struct MHD_Connection *conn, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	util_strlcpy(out, "?", len);
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, (socklen_t)len);
}

/* Check the Bearer token against session sid: 0 with *id, or the response
 * already queued in *r (401, 403 or 404). */
static int authorize(struct gw_http *h, struct MHD_Connection *conn, const char *sid, struct gw_identity *id,
		     enum MHD_Result *r)
{
	char why[192], msg[256];
	const char *tok = gw_auth_bearer(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"));
	if (!tok) {
		*r = respond_error_hdr(h, conn, MHD_HTTP_UNAUTHORIZED,
				       "an Authorization: Bearer <token> header is required (POST /v1/sessions issues one)",
				       "WWW-Authenticate", "Bearer");
		return -1;
	}
	if (gw_auth_verify(h->conf.auth, tok, util_now_us() / 1000000, id, why, sizeof(why))) {
		snprintf(msg, sizeof(msg), "invalid token: %s", why);
		*r = respond_error_hdr(h, conn, MHD_HTTP_UNAUTHORIZED, msg, "WWW-Authenticate",
				       "Bearer error=\"invalid_token\"");
		return -1;
	}
	if (strcmp(id->sid, sid)) {
		*r = respond_error(h, conn, MHD_HTTP_FORBIDDEN, "this token belongs to another session");
		return -1;
	}
	if (gw_session_alive(h->gw, sid) && (!h->io.restore || h->io.restore(h->io.arg, sid) || gw_session_alive(h->gw, sid))) {
		*r = respond_error(h, conn, MHD_HTTP_NOT_FOUND,
				   "unknown or expired session: open a new one with POST /v1/sessions");
		return -1;
	}
	return 0;
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
				    const struct gw_identity *id, struct req *rq)
{
	char errstr[256];
	long wait_ms;
	struct gw_msg msg;
	if (rq->too_large)
		return body_too_large(h, conn);
	if (query_long(conn, "wait", 0, h->conf.max_wait_ms, &wait_ms)) {
		snprintf(errstr, sizeof(errstr), "\"wait\" must be milliseconds from 0 to %ld", h->conf.max_wait_ms);
		return respond_error(h, conn, MHD_HTTP_BAD_REQUEST, errstr);
	}
	if (gw_parse_message(rq->body ? rq->body : "", rq->len, &msg, errstr, sizeof(errstr)))
		return respond_error(h, conn, MHD_HTTP_BAD_REQUEST, errstr);
	int retry_after = 1;
	char addr[64];
	client_addr(conn, addr, sizeof(addr));
	if (h->io.allow && !h->io.allow(h->io.arg, sid, addr, &retry_after)) {
		gw_msg_release(&msg);
		char ra[16];
		snprintf(ra, sizeof(ra), "%d", retry_after);
		snprintf(errstr, sizeof(errstr), "too many messages; retry in %d s", retry_after);
		return respond_error_hdr(h, conn, MHD_HTTP_TOO_MANY_REQUESTS, errstr, "Retry-After", ra);
	}

	Chat__Turn *turn = gw_build_turn(h->gw, sid, &msg);
	gw_msg_release(&msg);
	gw_auth_stamp_turn(turn, &id->customer);
	enum MHD_Result r;
	if (h->io.enqueue(h->io.arg, turn, errstr, sizeof(errstr))) {
		log_write(LOG_WARN, turn->trace_id, sid, "message not enqueued: %s", errstr);
		r = respond_error(h, conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "the assistant cannot take messages right now; try again shortly");
		goto out;
	}
	if (wait_ms > 0) {
		char *event = NULL;
		if (gw_wait_reply(h->gw, sid, turn->turn_id, (int)wait_ms, &event) == 0) {
			r = respond(h, conn, MHD_HTTP_OK, event);
			goto out;
		}
		json_t *j = json_pack("{s:s,s:s,s:s}", "error", "no reply yet; fetch it from the events endpoint",
				      "turn_id", turn->turn_id, "session_id", sid);
		r = respond(h, conn, MHD_HTTP_GATEWAY_TIMEOUT, json_dumps(j, JSON_COMPACT));
		json_decref(j);
		goto out;
	}
	json_t *j = json_pack("{s:s,s:s,s:s}", "turn_id", turn->turn_id, "session_id", sid, "trace_id",
			      turn->trace_id);
	r = respond(h, conn, MHD_HTTP_ACCEPTED, json_dumps(j, JSON_COMPACT));
	json_decref(j);
out:
	turn_free(turn);
	return r;
}

/* One Server-Sent Events stream: its own connection thread blocks in the
 * reader while it waits for the session's next events. */
struct sse {
	struct gw_http *h;
	char sid[GW_MAX_SESSION_ID + 1];
	uint64_t after;
	char *buf;
	size_t len, off;
	int first;
};

/* Format the events of a gw_events document as SSE records into s->buf. */
static void sse_fill(struct sse *s, const char *doc_json)
{
	json_t *doc = json_loads(doc_json, 0, NULL);
	json_t *ev;
	size_t i;
	size_t cap = 0;
	free(s->buf);
	s->buf = NULL;
	s->len = s->off = 0;
	json_array_foreach(json_object_get(doc, "events"), i, ev)
	{
		const char *type = json_string_value(json_object_get(ev, "type"));
		uint64_t seq = (uint64_t)json_integer_value(json_object_get(ev, "seq"));
		char *data = json_dumps(ev, JSON_COMPACT);
		char *rec = xasprintf("id: %llu\nevent: %s\ndata: %s\n\n", (unsigned long long)seq,
				      type ? type : "final", data);
		free(data);
		size_t n = strlen(rec);
		if (s->len + n + 1 > cap) {
			cap = (s->len + n + 1) * 2;
			s->buf = xrealloc(s->buf, cap);
		}
		memcpy(s->buf + s->len, rec, n + 1);
		s->len += n;
		free(rec);
		if (seq > s->after)
			s->after = seq;
	}
	json_decref(doc);
}

static ssize_t sse_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct sse *s = cls;
	(void)pos;
	while (s->off >= s->len) {
		if (s->first) {
			s->first = 0;
			free(s->buf);
			s->buf = xstrdup("retry: 2000\n\n");
			s->len = strlen(s->buf);
			s->off = 0;
			break;
		}
		char *doc = NULL;
		if (gw_events(s->h->gw, s->sid, s->after, (int)s->h->conf.sse_keepalive_s * 1000, &doc))
			return MHD_CONTENT_READER_END_OF_STREAM; /* session gone */
		sse_fill(s, doc);
		free(doc);
		if (s->len == 0) {
			if (gw_stopping(s->h->gw))
				return MHD_CONTENT_READER_END_OF_STREAM;
			free(s->buf);
			s->buf = xstrdup(": keep-alive\n\n");
			s->len = strlen(s->buf);
		}
	}
	size_t n = s->len - s->off < max ? s->len - s->off : max;
	memcpy(out, s->buf + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static void sse_free(void *cls)
{
	struct sse *s = cls;
	free(s->buf);
	free(s);
}

static enum MHD_Result sse_start(struct gw_http *h, struct MHD_Connection *conn, const char *sid, uint64_t after)
{
	struct sse *s = xcalloc(1, sizeof(*s));
	s->h = h;
	s->after = after;
	s->first = 1;
	util_strlcpy(s->sid, sid, sizeof(s->sid));
	struct MHD_Response *rsp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_read, s, sse_free);
	MHD_add_response_header(rsp, "Content-Type", "text/event-stream");
	MHD_add_response_header(rsp, "Cache-Control", "no-store");
	MHD_add_response_header(rsp, "X-Accel-Buffering", "no");
	add_cors(h, conn, rsp);
	enum MHD_Result r = MHD_queue_response(conn, MHD_HTTP_OK, rsp);
	MHD_destroy_response(rsp);
	count(MHD_HTTP_OK);
	return r;
}

/* OPTIONS on /v1/...: a browser asks whether a page on its Origin may send
 * the request it is about to (CORS preflight). Without an Origin it is a
 * plain OPTIONS: the methods. */
static enum MHD_Result preflight(struct gw_http *h, struct MHD_Connection *conn)
{
	const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ORIGIN);
	if (origin && !cors_origin(h, conn)) {
		char msg[256];
		snprintf(msg, sizeof(msg), "origin \"%.128s\" may not call this API (GATEWAY_ALLOWED_ORIGINS does not list it)",
			 origin);
		return respond_error(h, conn, MHD_HTTP_FORBIDDEN, msg);
	}
	struct MHD_Response *rsp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(rsp, MHD_HTTP_HEADER_ALLOW, "GET, POST, OPTIONS");
	if (origin) {
		add_cors(h, conn, rsp);
		MHD_add_response_header(rsp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS");
		MHD_add_response_header(rsp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_HEADERS, "Authorization, Content-Type");
		MHD_add_response_header(rsp, MHD_HTTP_HEADER_ACCESS_CONTROL_MAX_AGE, "600");
	}
	enum MHD_Result r = MHD_queue_response(conn, MHD_HTTP_NO_CONTENT, rsp);
	MHD_destroy_response(rsp);
	count(MHD_HTTP_NO_CONTENT);
	return r;
}

static enum MHD_Result create_session(struct gw_http *h, struct MHD_Connection *conn, struct req *rq)
{
	char errstr[256], sid[37];
	struct gw_customer cust;
	int status;
	if (rq->too_large)
		return body_too_large(h, conn);
	int retry_after = 1;
	char addr[64];
	client_addr(conn, addr, sizeof(addr));
	if (h->io.allow_open && !h->io.allow_open(h->io.arg, addr, &retry_after)) {
		char ra[16];
		snprintf(ra, sizeof(ra), "%d", retry_after);
		snprintf(errstr, sizeof(errstr), "too many new sessions from this address; retry in %d s", retry_after);
		return respond_error_hdr(h, conn, MHD_HTTP_TOO_MANY_REQUESTS, errstr, "Retry-After", ra);
	}
	int64_t now = util_now_us() / 1000000;
	if (gw_auth_session_request(h->conf.auth, rq->body ? rq->body : "", rq->len, now, &cust, &status, errstr,
				    sizeof(errstr)))
		return status == 401 ? respond_error_hdr(h, conn, MHD_HTTP_UNAUTHORIZED, errstr, "WWW-Authenticate", "Bearer")
				     : respond_error(h, conn, MHD_HTTP_BAD_REQUEST, errstr);
	util_uuid(sid);
	gw_touch_session(h->gw, sid);
	if (h->io.opened)
		h->io.opened(h->io.arg, sid);
	return respond(h, conn, MHD_HTTP_CREATED, gw_auth_issue(h->conf.auth, sid, &cust, now));
}

static enum MHD_Result refresh_token(struct gw_http *h, struct MHD_Connection *conn, const struct gw_identity *id)
{
	return respond(h, conn, MHD_HTTP_OK, gw_auth_issue(h->conf.auth, id->sid, &id->customer, util_now_us() / 1000000));
}

static enum MHD_Result post_feedback(struct gw_http *h, struct MHD_Connection *conn, struct req *rq)
{
	char errstr[256];
	struct gw_feedback fb;
	if (rq->too_large)
		return body_too_large(h, conn);
	if (gw_parse_feedback(rq->body ? rq->body : "", rq->len, &fb, errstr, sizeof(errstr)))
		return respond_error(h, conn, MHD_HTTP_BAD_REQUEST, errstr);
	struct gw_identity id;
	enum MHD_Result r;
	if (authorize(h, conn, fb.session_id, &id, &r)) {
		gw_feedback_release(&fb);
		return r;
	}
	Chat__Feedback *msg = gw_build_feedback(gw_tenant(h->gw), &fb, util_now_us());
	gw_feedback_release(&fb);
	if (!h->io.feedback || h->io.feedback(h->io.arg, msg, errstr, sizeof(errstr))) {
		log_write(LOG_WARN, NULL, msg->session_id, "feedback not published: %s", h->io.feedback ? errstr : "no sink");
		r = respond_error(h, conn, MHD_HTTP_SERVICE_UNAVAILABLE, "feedback cannot be recorded right now; try again shortly");
	} else {
		json_t *j = json_pack("{s:s,s:s}", "session_id", msg->session_id, "turn_id", msg->turn_id);
		r = respond(h, conn, MHD_HTTP_ACCEPTED, json_dumps(j, JSON_COMPACT));
		json_decref(j);
	}
	gw_feedback_free(msg);
	return r;
}

static enum MHD_Result get_events(struct gw_http *h, struct MHD_Connection *conn, const char *sid)
{
	long after, wait_ms;
	char errstr[128];
	if (query_long(conn, "after", 0, INT32_MAX, &after)) {
		snprintf(errstr, sizeof(errstr), "\"after\" must be a sequence number of 0 or more");
		return respond_error(h, conn, MHD_HTTP_BAD_REQUEST, errstr);
	}
	if (query_long(conn, "wait", 0, h->conf.max_wait_ms, &wait_ms)) {
		snprintf(errstr, sizeof(errstr), "\"wait\" must be milliseconds from 0 to %ld", h->conf.max_wait_ms);
		return respond_error(h, conn, MHD_HTTP_BAD_REQUEST, errstr);
	}
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
	if (accept && strstr(accept, "text/event-stream")) {
		const char *last = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Last-Event-ID");
		if (last && util_parse_long(last, 0, INT32_MAX, &after))
			return respond_error(h, conn, MHD_HTTP_BAD_REQUEST, "Last-Event-ID must be a sequence number");
		return sse_start(h, conn, sid, (uint64_t)after);
	}
	char *json = NULL;
	if (gw_events(h->gw, sid, (uint64_t)after, (int)wait_ms, &json))
		return respond_error(h, conn, MHD_HTTP_NOT_FOUND,
				     "unknown or expired session: open a new one with POST /v1/sessions");
	return respond(h, conn, MHD_HTTP_OK, json);
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
		size_t limit = wa_is_webhook(url) ? wa_max_body(h->io.wa) : (size_t)h->conf.max_body;
		if (rq->len + *upload_len > limit) {
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
	if (!strcmp(method, "OPTIONS") && (!strcmp(url, "/v1") || !strncmp(url, "/v1/", 4)))
		return preflight(h, conn);
	if (!strcmp(url, "/v1")) {
		return respond(h, conn, MHD_HTTP_OK,
			       xstrdup("{\"service\":\"retail-assistant gateway\",\"endpoints\":["
				       "\"POST /v1/sessions\",\"POST /v1/sessions/{id}/token\","
				       "\"POST /v1/sessions/{id}/messages\",\"GET /v1/sessions/{id}/events\","
				       "\"POST /v1/feedback\"]}"));
	}
	if (!strcmp(url, "/v1/sessions")) {
		if (strcmp(method, "POST"))
			return respond_error(h, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST to open a session");
		return create_session(h, conn, rq);
	}
	if (!strcmp(url, "/v1/feedback")) {
		if (strcmp(method, "POST"))
			return respond_error(h, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST to send feedback");
		return post_feedback(h, conn, rq);
	}
	if (wa_is_webhook(url))
		return wa_http_handle(h->io.wa, conn, method, rq->body, rq->len, rq->too_large);
	if (split_path(url, sid, sizeof(sid), &what))
		return respond_error(h, conn, MHD_HTTP_NOT_FOUND, "no such endpoint");
	if (!util_valid_id(sid, GW_MAX_SESSION_ID))
		return respond_error(h, conn, MHD_HTTP_BAD_REQUEST,
				     "session id must be 1..128 characters of letters, digits and . _ : -");
	if (strcmp(what, "messages") && strcmp(what, "events") && strcmp(what, "token"))
		return respond_error(h, conn, MHD_HTTP_NOT_FOUND, "no such endpoint");
	struct gw_identity id;
	enum MHD_Result r;
	if (authorize(h, conn, sid, &id, &r))
		return r;
	if (!strcmp(what, "token")) {
		if (strcmp(method, "POST"))
			return respond_error(h, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST to refresh the token");
		return refresh_token(h, conn, &id);
	}
	if (!strcmp(what, "messages")) {
		if (strcmp(method, "POST"))
			return respond_error(h, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST to send a message");
		return post_message(h, conn, sid, &id, rq);
	}
	if (!strcmp(what, "events")) {
		if (strcmp(method, "GET"))
			return respond_error(h, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET to read events");
		return get_events(h, conn, sid);
	}
	return respond_error(h, conn, MHD_HTTP_NOT_FOUND, "no such endpoint");
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
	h->mhd = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
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
