/* api: agent and admin HTTP endpoints of the handoff service. */
#include "api.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "topics.h"
#include "turn.h"
#include "util.h"

#define BODY_MAX 16384
#define REPLY_TIMEOUT_MS 10000

struct hapi {
	struct hapi_conf conf;
	struct MHD_Daemon *mhd;
};

struct req {
	char *body;
	size_t len;
	int too_big;
};

const char *hapi_closing_text(const char *lang)
{
	if (lang && !strcmp(lang, "ms"))
		return "Kakitangan kami telah menutup perbualan ini. Saya pembantu kedai semula; apa lagi yang boleh saya bantu?";
	if (lang && !strcmp(lang, "zh"))
		return "我们的客服人员已结束此对话。我是商店的智能助理，还有什么可以帮您？";
	return "Our team member has closed this conversation. I'm the store's assistant again; is there anything else I can help with?";
}

static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, json_t *body)
{
	char *s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	return send_json(conn, status, json_pack("{s:s}", "error", msg));
}

/* Store errors as HTTP answers. */
static enum MHD_Result send_store_error(struct MHD_Connection *conn, int rc)
{
	switch (rc) {
	case -1: return send_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "ticket database unreachable");
	case -3: return send_error(conn, MHD_HTTP_NOT_FOUND, "no such ticket");
	case -4: return send_error(conn, MHD_HTTP_CONFLICT, "the ticket is closed");
	default: return send_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "the ticket database refused the request");
	}
}

/* The token of "Authorization: Bearer <token>", or NULL. */
static const char *bearer(struct MHD_Connection *conn)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	return h && !strncmp(h, "Bearer ", 7) ? h + 7 : NULL;
}

/* Constant-time comparison of the bearer token. */
static int authorized(struct MHD_Connection *conn, const char *token)
{
	const char *h = bearer(conn);
	if (!*token || !h)
		return 0;
	size_t a = strlen(h), b = strlen(token);
	unsigned char diff = a != b;
	for (size_t i = 0; i < b; i++)
		diff |= (unsigned char)(h[i < a ? i : 0] ^ token[i]);
	return diff == 0;
}

void hapi_delivery_report(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
	(void)rk;
	(void)opaque;
	int *done = rkm->_private;
	if (done) {
		if (*done == 2) /* the request gave up waiting: nobody reads it */
			free(done);
		else
			*done = rkm->err ? -1 : 1;
	}
}

/* Send text to the ticket's session through the formatter, so every
 * channel renders it like the assistant's replies, and wait until the
 * broker has it. 0, or -1. */
static int deliver(struct hapi *api, const json_t *route, const char *turn_id, const char *text)
{
	Chat__Turn *turn = turn_new();
	turn_set_str(&turn->tenant_id, json_string_value(json_object_get(route, "tenant_id")));
	turn_set_str(&turn->session_id, json_string_value(json_object_get(route, "session_id")));
	turn_set_str(&turn->turn_id, turn_id);
	turn_set_str(&turn->trace_id, turn_id);
	turn_set_str(&turn->language, json_string_value(json_object_get(route, "language")));
	turn->channel = (Chat__Channel)json_integer_value(json_object_get(route, "channel"));
	turn->reply_partition = (int32_t)json_integer_value(json_object_get(route, "reply_partition"));
	turn->received_at_us = util_now_us();
	Chat__Draft *dr = turn_draft(turn);
	dr->action = CHAT__ACTION__ACTION_ANSWER;
	turn_set_str(&dr->text, text);
	turn_set_str(&dr->producer, "agent");
	turn_stamp(turn, "handoff");
	size_t len;
	void *buf = turn_encode(turn, &len);
	/* On the heap: a delivery report that comes after we stop waiting must
	 * not write into a stack frame that is gone. */
	int *done = xcalloc(1, sizeof(*done));
	rd_kafka_resp_err_t err = rd_kafka_producev(
	    api->conf.producer, RD_KAFKA_V_TOPIC(TOPIC_CHECKED),
	    RD_KAFKA_V_KEY(turn->session_id, strlen(turn->session_id)), RD_KAFKA_V_VALUE(buf, len),
	    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE), RD_KAFKA_V_OPAQUE(done), RD_KAFKA_V_END);
	turn_free(turn);
	if (err) {
		free(buf);
		free(done);
		log_warn("agent reply not queued: %s", rd_kafka_err2str(err));
		return -1;
	}
	int64_t deadline = util_mono_us() + (int64_t)REPLY_TIMEOUT_MS * 1000;
	while (!*done && util_mono_us() < deadline)
		rd_kafka_poll(api->conf.producer, 50);
	int rc = *done == 1 ? 0 : -1;
	if (*done == 0)
		*done = 2; /* the report frees it when it comes */
	else
		free(done);
	if (rc)
		log_warn("agent reply not acknowledged by the broker in time");
	return rc;
}

static json_t *parse_body(const struct req *rq)
{
	if (!rq->body || !rq->len)
		return json_object();
	return json_loadb(rq->body, rq->len, 0, NULL);
}

/* /v1/tickets/{id}[/action] -> id and action ("" for none). 0 or -1. */
static int parse_ticket_path(const char *url, long long *id, const char **action)
{
	const char *p = url + strlen("/v1/tickets/");
	char *end;
	long long v = strtoll(p, &end, 10);
	if (end == p || v <= 0)
		return -1;
	if (*end == '\0') {
		*action = "";
	} else if (*end == '/') {
		*action = end + 1;
	} else {
		return -1;
	}
	*id = v;
	return 0;
}

/* One ticket: read it or act on it. tenant: the caller's (NULL: the
 * operator); another tenant's ticket is answered like a missing one, so a
 * tenant learns nothing of the others'. */
static enum MHD_Result ticket_action(struct hapi *api, struct MHD_Connection *conn, const char *tenant,
				     const char *method, const char *url, const struct req *rq)
{
	long long id;
	const char *action;
	json_t *out = NULL;
	if (parse_ticket_path(url, &id, &action))
		return send_error(conn, MHD_HTTP_NOT_FOUND, "no such endpoint");
	if (!*action) {
		if (strcmp(method, "GET"))
			return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET");
		int rc = hs_get(api->conf.st, tenant, id, &out);
		return rc ? send_store_error(conn, rc) : send_json(conn, MHD_HTTP_OK, out);
	}
	if (strcmp(method, "POST"))
		return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST");
	json_t *body = parse_body(rq);
	if (!json_is_object(body)) {
		json_decref(body);
		return send_error(conn, MHD_HTTP_BAD_REQUEST, "the body is not a JSON object");
	}
	const char *agent = json_string_value(json_object_get(body, "agent"));
	if (!agent || !*agent)
		agent = "agent";
	if (strlen(agent) > 64) {
		json_decref(body);
		return send_error(conn, MHD_HTTP_BAD_REQUEST, "agent is longer than 64 characters");
	}
	enum MHD_Result ret;
	if (!strcmp(action, "claim")) {
		int rc = hs_claim(api->conf.st, tenant, id, agent, &out);
		ret = rc ? send_store_error(conn, rc) : send_json(conn, MHD_HTTP_OK, out);
	} else if (!strcmp(action, "reply")) {
		const char *text = json_string_value(json_object_get(body, "text"));
		size_t tl = text ? strlen(text) : 0;
		if (!tl || tl > TURN_MAX_TEXT) {
			ret = send_error(conn, MHD_HTTP_BAD_REQUEST, "text must be 1 to 8192 bytes");
		} else {
			char uuid[37], key[64];
			util_uuid(uuid);
			snprintf(key, sizeof(key), "agent-%s", uuid);
			int rc = hs_reply(api->conf.st, tenant, id, key, agent, text, &out);
			if (rc) {
				ret = send_store_error(conn, rc);
			} else if (deliver(api, out, key, text)) {
				json_decref(out);
				ret = send_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
						 "reply saved on the ticket but not delivered: Kafka unreachable");
			} else {
				json_object_set_new(out, "turn_id", json_string(key));
				json_object_set_new(out, "delivered", json_true());
				ret = send_json(conn, MHD_HTTP_OK, out);
			}
		}
	} else if (!strcmp(action, "close")) {
		int rc = hs_close(api->conf.st, tenant, id, &out);
		if (rc) {
			ret = send_store_error(conn, rc);
		} else {
			char uuid[37], key[64];
			util_uuid(uuid);
			snprintf(key, sizeof(key), "agent-close-%s", uuid);
			int sent = deliver(api, out, key,
					   hapi_closing_text(json_string_value(json_object_get(out, "language")))) == 0;
			json_object_set_new(out, "status", json_string("closed"));
			json_object_set_new(out, "customer_told", json_boolean(sent));
			ret = send_json(conn, MHD_HTTP_OK, out);
		}
	} else {
		ret = send_error(conn, MHD_HTTP_NOT_FOUND, "no such action (claim, reply, close)");
	}
	json_decref(body);
	return ret;
}

static enum MHD_Result route(struct hapi *api, struct MHD_Connection *conn, const char *method, const char *url,
			     const struct req *rq)
{
	if (!strncmp(url, "/v1/customers/", 14)) {
		if (!authorized(conn, api->conf.admin_token))
			return send_error(conn, MHD_HTTP_UNAUTHORIZED, "admin bearer token required");
		if (strcmp(method, "DELETE"))
			return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use DELETE");
		const char *id = url + 14;
		const char *tenant = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "tenant");
		if (!util_valid_id(id, 64))
			return send_error(conn, MHD_HTTP_BAD_REQUEST, "malformed customer id");
		if (tenant && !util_valid_id(tenant, 64))
			return send_error(conn, MHD_HTTP_BAD_REQUEST, "malformed tenant");
		json_t *out = NULL;
		char errstr[256] = "";
		int rc = hs_erase(api->conf.st, turn_tenant(tenant), id, &out, errstr, sizeof(errstr));
		if (rc)
			return send_error(conn, rc == -1 ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_INTERNAL_SERVER_ERROR,
					  errstr);
		log_info("customer data erased (%lld transcript rows, %lld tickets)",
			 (long long)json_integer_value(json_object_get(out, "transcripts")),
			 (long long)json_integer_value(json_object_get(out, "tickets")));
		json_object_set_new(out, "customer_id", json_string(id));
		return send_json(conn, MHD_HTTP_OK, out);
	}
	if (strncmp(url, "/v1/tickets", 11))
		return send_error(conn, MHD_HTTP_NOT_FOUND, "no such endpoint");
	const char *tenant;
	if (htok_match(api->conf.tokens, bearer(conn), &tenant) == HTOK_NONE)
		return send_error(conn, MHD_HTTP_UNAUTHORIZED, "agent bearer token required");
	if (!strcmp(url, "/v1/tickets") || !strcmp(url, "/v1/tickets/")) {
		if (strcmp(method, "GET"))
			return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET");
		const char *status = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "status");
		if (!status)
			status = "active";
		static const char *const ok[] = { "active", "all", "open", "assigned", "closed" };
		int valid = 0;
		for (size_t i = 0; i < ARRAY_LEN(ok); i++)
			valid |= !strcmp(status, ok[i]);
		if (!valid)
			return send_error(conn, MHD_HTTP_BAD_REQUEST, "status must be active, all, open, assigned or closed");
		/* ?tenant= narrows the operator's list; a tenant's token lists
		 * its own tickets only, so naming another tenant lists none. */
		const char *want = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "tenant");
		if (want && !util_valid_id(want, 64))
			return send_error(conn, MHD_HTTP_BAD_REQUEST, "malformed tenant");
		if (tenant && want && strcmp(want, tenant))
			return send_json(conn, MHD_HTTP_OK, json_pack("{s:[]}", "tickets"));
		json_t *out = NULL;
		int rc = hs_list(api->conf.st, tenant ? tenant : want, status, &out);
		return rc ? send_store_error(conn, rc) : send_json(conn, MHD_HTTP_OK, json_pack("{s:o}", "tickets", out));
	}
	return ticket_action(api, conn, tenant, method, url, rq);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_len, void **con_cls)
{
	struct hapi *api = cls;
	(void)version;
	struct req *rq = *con_cls;
	if (!rq) {
		rq = xcalloc(1, sizeof(*rq));
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_len) {
		if (rq->len + *upload_len > BODY_MAX) {
			rq->too_big = 1;
		} else {
			rq->body = xrealloc(rq->body, rq->len + *upload_len + 1);
			memcpy(rq->body + rq->len, upload, *upload_len);
			rq->len += *upload_len;
			rq->body[rq->len] = '\0';
		}
		*upload_len = 0;
		return MHD_YES;
	}
	if (rq->too_big)
		return send_error(conn, 413, "body larger than 16384 bytes");
	return route(api, conn, method, url, rq);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	struct req *rq = *con_cls;
	if (rq) {
		free(rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

struct hapi *hapi_start(const struct hapi_conf *conf, char *errstr, size_t errlen)
{
	struct hapi *api = xcalloc(1, sizeof(*api));
	api->conf = *conf;
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)conf->port);
	if (inet_pton(AF_INET, conf->addr, &sa.sin_addr) != 1) {
		snprintf(errstr, errlen, "HANDOFF_API_ADDR \"%s\" is not an IPv4 address", conf->addr);
		free(api);
		return NULL;
	}
	/* One thread: the store's connections are not shared. */
	api->mhd = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, (uint16_t)conf->port, NULL,
				    NULL, handle, api, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
				    (unsigned)30, MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_END);
	if (!api->mhd) {
		snprintf(errstr, errlen, "cannot listen on %s:%d for the agent API (port in use?)", conf->addr,
			 conf->port);
		free(api);
		return NULL;
	}
	return api;
}

void hapi_stop(struct hapi *api)
{
	if (!api)
		return;
	MHD_stop_daemon(api->mhd);
	free(api);
}
