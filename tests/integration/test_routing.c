/* Reply routing: a second gateway instance (ordinal 1, its own ports)
 * beside the stack's (ordinal 0). Each stamps its ordinal on its turns and
 * reads only that partition of the reply topics, so each receives exactly
 * its own sessions' replies, on its own sockets. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../tools/chatctl/wsclient.h"
#include "helpers.h"
#include "util.h"

#define TURNS 5

static int port_base(void)
{
	return 20000 + (int)it_env_long("PORT_OFFSET", 0) + 10; /* our test-server range */
}

static pid_t start_second(int http, int ws, int admin)
{
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		char b[3][16];
		snprintf(b[0], sizeof(b[0]), "%d", http);
		snprintf(b[1], sizeof(b[1]), "%d", ws);
		snprintf(b[2], sizeof(b[2]), "%d", admin);
		setenv("GATEWAY_HTTP_PORT", b[0], 1);
		setenv("GATEWAY_WS_PORT", b[1], 1);
		setenv("ADMIN_PORT", b[2], 1);
		setenv("GATEWAY_ORDINAL", "1", 1);
		setenv("KAFKA_GROUP_INSTANCE_ID", "gateway-1", 1);
		setenv("LOG_LEVEL", "warn", 1);
		const char *bin = getenv("BIN_DIR");
		char *path = xasprintf("%s/gateway", bin && *bin ? bin : "build/bin");
		execl(path, "gateway", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static long metric(int admin_port, const char *name)
{
	struct cc_http h;
	char url[128], errstr[256], *body = NULL;
	long status = 0, v = -1;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", admin_port);
	cr_assert_eq(cc_http_init(&h, url), 0);
	if (cc_get(&h, url, &status, &body, errstr, sizeof(errstr)) == 0 && status == 200) {
		size_t n = strlen(name);
		for (char *line = body; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
			if (!strncmp(line, name, n) && line[n] == ' ')
				v = strtol(line + n + 1, NULL, 10);
	}
	free(body);
	cc_http_release(&h);
	return v;
}

static int ready(int admin_port)
{
	struct cc_http h;
	char url[128], errstr[256], *body = NULL;
	long status = 0;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/readyz", admin_port);
	cc_http_init(&h, url);
	int ok = cc_get(&h, url, &status, &body, errstr, sizeof(errstr)) == 0 && status == 200;
	free(body);
	cc_http_release(&h);
	return ok;
}

static void open_on(const char *base, char *sid, size_t len)
{
	struct cc_http h;
	char errstr[256];
	long status = 0;
	json_t *resp = NULL;
	cr_assert_eq(cc_http_init(&h, base), 0);
	cr_assert_eq(cc_open_session(&h, NULL, NULL, sid, len, &status, &resp, errstr, sizeof(errstr)), 0, "%s", errstr);
	cr_assert_eq(status, 201);
	json_decref(resp);
	cc_http_release(&h);
}

/* Send TURNS messages over a WebSocket on ws_port and collect their finals. */
static void converse(const char *base, int ws_port, const char *sid)
{
	struct cc_http h;
	cr_assert_eq(cc_http_init(&h, base), 0);
	char *tok = cc_token(&h, sid);
	cc_http_release(&h);
	char *path = xasprintf("/v1/ws?token=%s", tok);
	struct wsc w;
	char err[512];
	cr_assert_eq(wsc_connect(&w, "127.0.0.1", ws_port, path, NULL, 10000, err, sizeof(err)), 0, "%s", err);
	int finals = 0;
	for (int i = 0; i < TURNS; i++) {
		char msg[128];
		snprintf(msg, sizeof(msg), "{\"type\":\"message\",\"text\":\"hello number %d\",\"client_msg_id\":\"r-%d\"}", i, i);
		cr_assert_eq(wsc_send(&w, msg, strlen(msg)), 0);
		for (;;) {
			char *m = wsc_recv(&w, 60000);
			cr_assert_not_null(m, "reply %d never reached the WebSocket on port %d", i, ws_port);
			json_t *ev = json_loads(m, 0, NULL);
			free(m);
			const char *type = json_string_value(json_object_get(ev, "type"));
			cr_assert_str_neq(type, "error");
			int fin = !strcmp(type, "final");
			json_decref(ev);
			if (fin) {
				finals++;
				break;
			}
		}
	}
	cr_assert_eq(finals, TURNS);
	wsc_close(&w);
	free(path);
	free(tok);
}

Test(routing, two_instances_each_get_only_their_own_replies, .timeout = 300)
{
	int b = port_base();
	int http1 = b, ws1 = b + 1, admin1 = b + 2;
	int admin0 = (int)it_env_long("ADMIN_PORT_BASE", 9101);
	int ws0 = (int)it_env_long("GATEWAY_WS_PORT", 8081);
	pid_t pid = start_second(http1, ws1, admin1);
	int up = 0;
	for (int i = 0; i < 240 && !up; i++) {
		util_sleep_ms(500, NULL);
		up = ready(admin1);
		int st;
		cr_assert_eq(waitpid(pid, &st, WNOHANG), 0, "the second gateway exited");
	}
	if (!up)
		kill(pid, SIGTERM);
	cr_assert(up, "the second gateway never became ready");
	char base1[64];
	snprintf(base1, sizeof(base1), "http://127.0.0.1:%d", http1);

	char sid0[64], sid1[64];
	open_on(it_gateway_url(), sid0, sizeof(sid0));
	open_on(base1, sid1, sizeof(sid1));
	long r0 = metric(admin0, "gateway_replies_total"), r1 = metric(admin1, "gateway_replies_total");
	cr_assert_geq(r0, 0);
	cr_assert_geq(r1, 0);
	converse(it_gateway_url(), ws0, sid0);
	converse(base1, ws1, sid1);
	util_sleep_ms(2000, NULL); /* a misrouted reply would have arrived by now */
	long d0 = metric(admin0, "gateway_replies_total") - r0, d1 = metric(admin1, "gateway_replies_total") - r1;
	kill(pid, SIGTERM);
	int st;
	it_reap(pid, 30000, &st);
	fprintf(stderr, "replies: instance 0 got %ld, instance 1 got %ld (each sent %d)\n", d0, d1, TURNS);
	cr_assert_eq(d0, TURNS, "instance 0 received %ld replies for its %d turns", d0, TURNS);
	cr_assert_eq(d1, TURNS, "instance 1 received %ld replies for its %d turns", d1, TURNS);
}
