/* Pages on other origins: a CORS preflight from a listed origin is allowed
 * (204 with the Access-Control-* headers), from any other refused (403 with
 * a message); answers carry Access-Control-Allow-Origin only for allowed
 * pages; a WebSocket upgrade from another site's page is refused, one
 * without an Origin (apps) or from the gateway's own page is not; a list
 * with an entry that is not an origin stops the gateway at start. The
 * stack lists http://shop.test (deploy/env.sh). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../tools/chatctl/wsclient.h"
#include "helpers.h"
#include "util.h"

#define EVIL "http://evil.invalid"

/* The first origin GATEWAY_ALLOWED_ORIGINS lists (skips the test when it
 * lists none). */
static void allowed_origin(char *out, size_t len)
{
	const char *list = getenv("GATEWAY_ALLOWED_ORIGINS");
	if (!list || !*list || !strncmp(list, "*", 1))
		cr_skip_test("GATEWAY_ALLOWED_ORIGINS names no origin (deploy/env.sh sets http://shop.test)");
	size_t n = strcspn(list, ",");
	cr_assert_lt(n, len);
	memcpy(out, list, n);
	out[n] = '\0';
}

struct answer {
	long status;
	char headers[4096];
	char body[1024];
};

static size_t on_header(char *buf, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t len = size * n, have = strlen(a->headers);
	if (have + len < sizeof(a->headers)) {
		memcpy(a->headers + have, buf, len);
		a->headers[have + len] = '\0';
	}
	return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t len = size * n, have = strlen(a->body);
	if (have + len < sizeof(a->body)) {
		memcpy(a->body + have, buf, len);
		a->body[have + len] = '\0';
	}
	return len;
}

/* method path with an Origin header (NULL: none) and an optional body. */
static void request(const char *method, const char *path, const char *origin, const char *body, struct answer *a)
{
	char url[512], oh[300];
	memset(a, 0, sizeof(*a));
	snprintf(url, sizeof(url), "%s%s", it_gateway_url(), path);
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	if (origin) {
		snprintf(oh, sizeof(oh), "Origin: %s", origin);
		hdrs = curl_slist_append(hdrs, oh);
		hdrs = curl_slist_append(hdrs, "Access-Control-Request-Method: POST");
		hdrs = curl_slist_append(hdrs, "Access-Control-Request-Headers: authorization, content-type");
	}
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	cr_assert_eq(curl_easy_perform(c), CURLE_OK, "%s %s failed", method, url);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
}

/* The value of header name in a (heap, trimmed), or NULL when absent. */
static char *header(const struct answer *a, const char *name)
{
	size_t n = strlen(name);
	for (const char *line = a->headers; *line;) {
		const char *eol = strstr(line, "\r\n");
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		if (len > n && !strncasecmp(line, name, n) && line[n] == ':') {
			const char *v = line + n + 1;
			while (*v == ' ')
				v++;
			return xstrndup(v, len - (size_t)(v - line));
		}
		line += len + (eol ? 2 : 0);
	}
	return NULL;
}

static void assert_header(const struct answer *a, const char *name, const char *want)
{
	char *v = header(a, name);
	cr_assert_not_null(v, "no %s header in:\n%s", name, a->headers);
	cr_assert_str_eq(v, want, "%s", name);
	free(v);
}

Test(cors, preflight_from_a_listed_origin_is_allowed)
{
	char origin[256];
	allowed_origin(origin, sizeof(origin));
	static const char *const paths[] = { "/v1/sessions", "/v1/sessions/some-session/messages", "/v1/feedback" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct answer a;
		request("OPTIONS", paths[i], origin, NULL, &a);
		cr_assert_eq(a.status, 204, "OPTIONS %s from %s: %ld %s", paths[i], origin, a.status, a.body);
		assert_header(&a, "Access-Control-Allow-Origin", origin);
		assert_header(&a, "Vary", "Origin");
		char *m = header(&a, "Access-Control-Allow-Methods"), *h = header(&a, "Access-Control-Allow-Headers");
		char *age = header(&a, "Access-Control-Max-Age");
		cr_assert(m && strstr(m, "POST") && strstr(m, "GET"), "Allow-Methods: %s", m ? m : "(none)");
		cr_assert(h && strcasestr(h, "Authorization") && strcasestr(h, "Content-Type"), "Allow-Headers: %s",
			  h ? h : "(none)");
		long v = 0;
		cr_assert(age && util_parse_long(age, 1, 86400, &v) == 0, "Max-Age: %s", age ? age : "(none)");
		free(m);
		free(h);
		free(age);
	}
}

Test(cors, preflight_from_another_origin_is_403_with_a_message)
{
	struct answer a;
	request("OPTIONS", "/v1/sessions", EVIL, NULL, &a);
	cr_assert_eq(a.status, 403, "OPTIONS from %s: %ld", EVIL, a.status);
	char *acao = header(&a, "Access-Control-Allow-Origin");
	cr_assert_null(acao, "a refused origin got Access-Control-Allow-Origin: %s", acao);
	json_t *j = json_loads(a.body, 0, NULL);
	const char *msg = json_string_value(json_object_get(j, "error"));
	cr_assert(msg && strstr(msg, EVIL), "the error does not name the origin: %s", a.body);
	json_decref(j);
}

Test(cors, answers_name_only_allowed_origins)
{
	char origin[256];
	allowed_origin(origin, sizeof(origin));
	struct answer a;
	request("POST", "/v1/sessions", origin, "{}", &a);
	cr_assert_eq(a.status, 201, "%ld %s", a.status, a.body);
	assert_header(&a, "Access-Control-Allow-Origin", origin);
	assert_header(&a, "Vary", "Origin");
	assert_header(&a, "Access-Control-Expose-Headers", "Retry-After");
	/* Errors too, or the page could not read why it failed. */
	request("POST", "/v1/sessions", origin, "{", &a);
	cr_assert_eq(a.status, 400);
	assert_header(&a, "Access-Control-Allow-Origin", origin);

	request("POST", "/v1/sessions", EVIL, "{}", &a);
	char *acao = header(&a, "Access-Control-Allow-Origin");
	cr_assert_null(acao, "an answer to %s's page carries Access-Control-Allow-Origin: %s", EVIL, acao);
	request("POST", "/v1/sessions", NULL, "{}", &a);
	cr_assert_eq(a.status, 201);
	acao = header(&a, "Access-Control-Allow-Origin");
	cr_assert_null(acao, "a request without Origin got Access-Control-Allow-Origin: %s", acao);
}

static int ws_open(const char *sid, const char *origin, struct wsc *w, char *err, size_t errlen)
{
	struct cc_http h;
	cr_assert_eq(cc_http_init(&h, it_gateway_url()), 0);
	char *tok = cc_token(&h, sid);
	cc_http_release(&h);
	cr_assert_not_null(tok);
	char *path = xasprintf("/v1/ws?token=%s", tok);
	char *hdr = origin ? xasprintf("Origin: %s\r\n", origin) : NULL;
	int rc = wsc_connect_hdrs(w, "127.0.0.1", (int)it_env_long("GATEWAY_WS_PORT", 8081), path, hdr, NULL, 10000,
				  err, errlen);
	free(hdr);
	free(path);
	free(tok);
	return rc;
}

Test(cors, websocket_from_another_sites_page_is_refused)
{
	char sid[64], err[512];
	it_open_session(sid, sizeof(sid));
	struct wsc w;
	cr_assert_eq(ws_open(sid, EVIL, &w, err, sizeof(err)), -1, "the upgrade from %s was accepted", EVIL);
	cr_assert_eq(w.status, 403, "%s", err);
	cr_assert(w.body && strstr(w.body, EVIL), "the refusal does not name the origin: %s", w.body ? w.body : "");
	wsc_close(&w);
}

/* An open socket answers: a bad frame gets an error frame back. */
static void assert_talks(struct wsc *w)
{
	const char bad[] = "{\"type\":\"nonsense\"}";
	cr_assert_eq(wsc_send(w, bad, sizeof(bad) - 1), 0);
	char *m = wsc_recv(w, 10000);
	cr_assert_not_null(m, "no answer on the open socket");
	cr_assert_not_null(strstr(m, "\"error\""), "%s", m);
	free(m);
}

Test(cors, websocket_without_origin_or_from_allowed_pages_opens)
{
	char sid[64], err[512], own[96];
	it_open_session(sid, sizeof(sid));
	/* The gateway's own page: the REST port of the same host. */
	snprintf(own, sizeof(own), "http://127.0.0.1:%ld", it_env_long("GATEWAY_HTTP_PORT", 8080));
	const char *origins[3] = { NULL, own, NULL };
	char listed[256];
	const char *list = getenv("GATEWAY_ALLOWED_ORIGINS");
	int n = 2;
	if (list && *list && *list != '*') {
		allowed_origin(listed, sizeof(listed));
		origins[n++] = listed;
	}
	for (int i = 0; i < n; i++) {
		struct wsc w;
		cr_assert_eq(ws_open(sid, origins[i], &w, err, sizeof(err)), 0, "Origin %s: %s",
			     origins[i] ? origins[i] : "(none)", err);
		cr_assert_eq(w.status, 101);
		assert_talks(&w);
		wsc_close(&w);
	}
}

Test(cors, a_list_entry_that_is_not_an_origin_stops_the_gateway, .timeout = 60)
{
	const char *bad = "https://shop.example.com/checkout";
	char logpath[512];
	const char *run = getenv("RUN_DIR");
	snprintf(logpath, sizeof(logpath), "%s/logs/gateway-bad-origins.log", run && *run ? run : ".run");
	const char *bin = getenv("BIN_DIR");
	char *path = xasprintf("%s/gateway", bin && *bin ? bin : "build/bin");
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		char *origins = xasprintf("GATEWAY_ALLOWED_ORIGINS=http://shop.test,%s", bad);
		putenv(origins);
		/* It must stop before listening anywhere; should it not, only on a
		 * port of this test's range. */
		putenv(xasprintf("ADMIN_PORT=%ld", 20076 + it_env_long("PORT_OFFSET", 0)));
		putenv(xasprintf("GATEWAY_HTTP_PORT=%ld", 20077 + it_env_long("PORT_OFFSET", 0)));
		putenv(xasprintf("GATEWAY_WS_PORT=%ld", 20078 + it_env_long("PORT_OFFSET", 0)));
		execl(path, "gateway", (char *)NULL);
		_exit(127);
	}
	free(path);
	int st = 0;
	if (it_reap(pid, 30000, &st))
		cr_assert_fail("the gateway started with \"%s\" in GATEWAY_ALLOWED_ORIGINS", bad);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2, "exit status %d, not 2", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	FILE *f = fopen(logpath, "r");
	cr_assert_not_null(f, "no log at %s", logpath);
	char log[8192];
	size_t n = fread(log, 1, sizeof(log) - 1, f);
	fclose(f);
	log[n] = '\0';
	cr_assert(strstr(log, "GATEWAY_ALLOWED_ORIGINS") && strstr(log, bad), "the log does not name the entry:\n%s", log);
}
