/* web: the widget and the demo page, embedded at build time with the
 * assembler's .incbin (paths relative to the repository root, where make
 * runs; services/gateway/module.mk rebuilds this file when they change). */
#include "web.h"

#include <stdio.h>
#include <string.h>

#include "metrics.h"

#define EMBED(sym, path)                                                                                      \
	__asm__(".pushsection .rodata\n"                                                                      \
		".balign 16\n"                                                                                \
		".globl " #sym "\n"                                                                           \
		".hidden " #sym "\n" #sym ":\n"                                                               \
		".incbin \"" path "\"\n"                                                                      \
		".globl " #sym "_end\n"                                                                       \
		".hidden " #sym "_end\n" #sym "_end:\n"                                                       \
		".byte 0\n"                                                                                   \
		".popsection\n")

EMBED(gw_web_widget_js, "services/gateway/web/widget.js");
EMBED(gw_web_index_html, "services/gateway/web/index.html");

extern const char gw_web_widget_js[], gw_web_widget_js_end[];
extern const char gw_web_index_html[], gw_web_index_html_end[];

struct asset {
	const char *url;
	const char *type;
	const char *cache;
	const char *csp;
	const char *start;
	const char *end;
};

/* The demo page loads only the widget from here; the widget talks to this
 * origin and to the WebSocket port on any host. */
static const char page_csp[] = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
			       "img-src 'self' data: https:; connect-src 'self' ws: wss:; base-uri 'none'; "
			       "form-action 'none'; frame-ancestors 'none'";

static const struct asset assets[] = {
	{ "/widget.js", "text/javascript; charset=utf-8", "public, max-age=300", NULL, gw_web_widget_js,
	  gw_web_widget_js_end },
	{ "/", "text/html; charset=utf-8", "no-cache", page_csp, gw_web_index_html, gw_web_index_html_end },
	{ "/index.html", "text/html; charset=utf-8", "no-cache", page_csp, gw_web_index_html, gw_web_index_html_end },
};

static enum MHD_Result queue(struct MHD_Connection *conn, unsigned status, struct MHD_Response *rsp)
{
	char labels[32];
	snprintf(labels, sizeof(labels), "code=\"%u\"", status);
	metrics_inc(metrics_counter("gateway_http_requests_total", "REST requests by status", labels), 1);
	MHD_add_response_header(rsp, "X-Content-Type-Options", "nosniff");
	enum MHD_Result r = MHD_queue_response(conn, status, rsp);
	MHD_destroy_response(rsp);
	return r;
}

int gw_web_serve(struct MHD_Connection *conn, const char *method, const char *url, enum MHD_Result *result)
{
	for (size_t i = 0; i < sizeof(assets) / sizeof(assets[0]); i++) {
		const struct asset *a = &assets[i];
		if (strcmp(url, a->url))
			continue;
		struct MHD_Response *rsp;
		if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
			static const char msg[] = "{\"error\":\"use GET for this page\"}";
			rsp = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
			MHD_add_response_header(rsp, "Content-Type", "application/json");
			MHD_add_response_header(rsp, "Allow", "GET, HEAD");
			*result = queue(conn, MHD_HTTP_METHOD_NOT_ALLOWED, rsp);
			return 1;
		}
		rsp = MHD_create_response_from_buffer((size_t)(a->end - a->start), (void *)a->start,
						      MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(rsp, "Content-Type", a->type);
		MHD_add_response_header(rsp, "Cache-Control", a->cache);
		if (a->csp) {
			MHD_add_response_header(rsp, "Content-Security-Policy", a->csp);
			MHD_add_response_header(rsp, "Referrer-Policy", "strict-origin-when-cross-origin");
		}
		*result = queue(conn, MHD_HTTP_OK, rsp);
		return 1;
	}
	return 0;
}
