/* admin: probes and metrics over libmicrohttpd. */
#include "admin.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "util.h"

#define ADMIN_MAX_CHECKS 8
#define ADMIN_STUCK_US (30 * 1000000LL)

struct admin_check {
	char *name;
	admin_check_fn fn;
	void *arg;
};

struct admin {
	struct MHD_Daemon *mhd;
	struct admin_check checks[ADMIN_MAX_CHECKS];
	int nchecks;
	_Atomic int64_t last_beat_us;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *ctype, char *body,
			     size_t len)
{
	struct MHD_Response *rsp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(rsp, "Content-Type", ctype);
	MHD_add_response_header(rsp, "Cache-Control", "no-store");
	enum MHD_Result r = MHD_queue_response(conn, status, rsp);
	MHD_destroy_response(rsp);
	return r;
}

static enum MHD_Result readyz(struct admin *adm, struct MHD_Connection *conn)
{
	char body[2048];
	size_t o = 0;
	int ready = 1;
	o += (size_t)snprintf(body + o, sizeof(body) - o, "{\"checks\":{");
	for (int i = 0; i < adm->nchecks; i++) {
		char detail[256] = "ok", esc[512];
		int rc = adm->checks[i].fn(adm->checks[i].arg, detail, sizeof(detail));
		if (rc < 0)
			ready = 0;
		log_json_escape(esc, sizeof(esc), detail);
		if (o < sizeof(body))
			o += (size_t)snprintf(body + o, sizeof(body) - o, "%s\"%s\":{\"ok\":%s,\"detail\":\"%s\"}",
					      i ? "," : "", adm->checks[i].name, rc < 0 ? "false" : "true", esc);
	}
	if (o < sizeof(body))
		o += (size_t)snprintf(body + o, sizeof(body) - o, "},\"ready\":%s}\n", ready ? "true" : "false");
	if (o >= sizeof(body))
		o = sizeof(body) - 1;
	return reply(conn, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, "application/json",
		     xstrndup(body, o), o);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_len, void **req_cls)
{
	struct admin *adm = cls;
	(void)version;
	(void)upload;
	(void)upload_len;
	(void)req_cls;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		const char *m = "{\"error\":\"method not allowed: use GET\"}\n";
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "application/json", xstrdup(m), strlen(m));
	}
	if (!strcmp(url, "/healthz")) {
		int64_t age = util_mono_us() - atomic_load(&adm->last_beat_us);
		int ok = age < ADMIN_STUCK_US;
		char *b = xasprintf("{\"alive\":%s,\"loop_age_ms\":%lld}\n", ok ? "true" : "false",
				    (long long)(age / 1000));
		return reply(conn, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, "application/json", b, strlen(b));
	}
	if (!strcmp(url, "/readyz"))
		return readyz(adm, conn);
	if (!strcmp(url, "/metrics")) {
		size_t len;
		char *b = metrics_render(&len);
		return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", b, len);
	}
	const char *m = "{\"error\":\"not found: try /healthz, /readyz or /metrics\"}\n";
	return reply(conn, MHD_HTTP_NOT_FOUND, "application/json", xstrdup(m), strlen(m));
}

struct admin *admin_start(const char *addr, int port, char *errstr, size_t errlen)
{
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		snprintf(errstr, errlen, "admin address \"%s\" is not an IPv4 address", addr);
		return NULL;
	}
	struct admin *adm = xcalloc(1, sizeof(*adm));
	atomic_store(&adm->last_beat_us, util_mono_us());
	/* epoll (or poll), never select(): a gateway holding thousands of
	 * WebSockets has descriptors past FD_SETSIZE, and select() could not
	 * take a probe's connection there. */
	adm->mhd = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, (uint16_t)port, NULL, NULL,
				    handle, adm, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_CONNECTION_LIMIT,
				    (unsigned)64, MHD_OPTION_END);
	if (!adm->mhd) {
		snprintf(errstr, errlen, "cannot listen on %s:%d for the admin server (port in use?)", addr, port);
		free(adm);
		return NULL;
	}
	return adm;
}

void admin_add_check(struct admin *adm, const char *name, admin_check_fn fn, void *arg)
{
	if (adm->nchecks >= ADMIN_MAX_CHECKS)
		return;
	adm->checks[adm->nchecks++] = (struct admin_check){ xstrdup(name), fn, arg };
}

int admin_log_unready(struct admin *adm)
{
	int failed = 0;
	for (int i = 0; i < adm->nchecks; i++) {
		char detail[256] = "";
		if (adm->checks[i].fn(adm->checks[i].arg, detail, sizeof(detail)) < 0) {
			log_warn("not ready: %s: %s; serving /readyz as 503 and retrying", adm->checks[i].name, detail);
			failed++;
		}
	}
	return failed;
}

void admin_heartbeat(struct admin *adm)
{
	atomic_store(&adm->last_beat_us, util_mono_us());
}

void admin_stop(struct admin *adm)
{
	if (!adm)
		return;
	MHD_stop_daemon(adm->mhd);
	for (int i = 0; i < adm->nchecks; i++)
		free(adm->checks[i].name);
	free(adm);
}
