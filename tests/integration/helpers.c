/* helpers: what the integration tests share. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "kstage.h"
#include "util.h"

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

const char *it_gateway_url(void)
{
	return env_or("GATEWAY_URL", "http://127.0.0.1:8080");
}

long it_env_long(const char *name, long def)
{
	const char *s = getenv(name);
	long v = def;
	if (s && *s)
		cr_assert_eq(util_parse_long(s, 0, 1000000, &v), 0, "%s=%s is not a number", name, s);
	return v;
}

const char *it_brokers(void)
{
	return env_or("KAFKA_BROKERS", "127.0.0.1:9092");
}

const char *it_database_url(void)
{
	return env_or("DATABASE_URL", "postgresql://chat:chat@127.0.0.1:5432/chat");
}

void it_session(char *out, size_t len, const char *prefix)
{
	char uuid[37];
	util_uuid(uuid);
	snprintf(out, len, "it-%s-%.8s", prefix, uuid);
}

json_t *it_ask(const char *sid, const char *text)
{
	struct cc_http h;
	char errstr[256];
	long status = 0;
	json_t *resp = NULL;
	cr_assert_eq(cc_http_init(&h, it_gateway_url()), 0);
	int rc = cc_post_message(&h, sid, text, NULL, 20000, &status, &resp, errstr, sizeof(errstr));
	cc_http_release(&h);
	cr_assert_eq(rc, 0, "gateway unreachable: %s", errstr);
	cr_assert_eq(status, 200, "expected a reply within 20 s, got HTTP %ld", status);
	cr_assert_not_null(resp, "reply is not JSON");
	return resp;
}

char *it_pg_wait(const char *sql, const char *param, int timeout_ms)
{
	PGconn *c = PQconnectdb(it_database_url());
	cr_assert_eq(PQstatus(c), CONNECTION_OK, "cannot connect to PostgreSQL: %s", PQerrorMessage(c));
	char *out = NULL;
	int64_t deadline = util_mono_us() + (int64_t)timeout_ms * 1000;
	do {
		const char *params[] = { param };
		PGresult *res = PQexecParams(c, sql, 1, NULL, params, NULL, NULL, 0);
		cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "query failed: %s", PQresultErrorMessage(res));
		if (PQntuples(res) > 0)
			out = xstrdup(PQgetvalue(res, 0, 0));
		PQclear(res);
		if (!out)
			util_sleep_ms(100, NULL);
	} while (!out && util_mono_us() < deadline);
	PQfinish(c);
	return out;
}

int it_stack(const char *args)
{
	char cmd[512];
	const char *root = env_or("REPO_DIR", ".");
	snprintf(cmd, sizeof(cmd), "cd '%s' && bash deploy/stack.sh %s >&2", root, args);
	int rc = system(cmd);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

int it_watermarks(rd_kafka_t *rk, const char *topic, int64_t *hi, int n)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	cr_assert_eq(rd_kafka_metadata(rk, 0, rkt, &md, 5000), RD_KAFKA_RESP_ERR_NO_ERROR);
	int parts = md->topics[0].partition_cnt;
	for (int p = 0; p < parts && p < n; p++) {
		int64_t lo;
		cr_assert_eq(rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi[p], 5000),
			     RD_KAFKA_RESP_ERR_NO_ERROR);
	}
	rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
	return parts;
}

rd_kafka_t *it_tail(const char *topic)
{
	char errstr[512], group[64];
	it_session(group, sizeof(group), "tail");
	rd_kafka_conf_t *conf = kstage_base_conf(it_brokers(), errstr, sizeof(errstr));
	cr_assert_not_null(conf, "%s", errstr);
	cr_assert_eq(kstage_conf_set(conf, "group.id", group, errstr, sizeof(errstr)), 0);
	cr_assert_eq(kstage_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof(errstr)), 0);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	cr_assert_not_null(rk, "%s", errstr);
	int64_t hi[64];
	int parts = it_watermarks(rk, topic, hi, 64);
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(parts);
	for (int p = 0; p < parts; p++)
		rd_kafka_topic_partition_list_add(l, topic, p)->offset = hi[p];
	cr_assert_eq(rd_kafka_assign(rk, l), RD_KAFKA_RESP_ERR_NO_ERROR);
	rd_kafka_topic_partition_list_destroy(l);
	return rk;
}

rd_kafka_message_t *it_poll_key(rd_kafka_t *rk, const char *key, int timeout_ms)
{
	int64_t deadline = util_mono_us() + (int64_t)timeout_ms * 1000;
	while (util_mono_us() < deadline) {
		rd_kafka_message_t *rkm = rd_kafka_consumer_poll(rk, 200);
		if (!rkm)
			continue;
		if (!rkm->err && rkm->key_len == strlen(key) && !memcmp(rkm->key, key, rkm->key_len))
			return rkm;
		rd_kafka_message_destroy(rkm);
	}
	return NULL;
}

/* --- orchestrator, handoff and erasure tests ------------------------- */

#include <hiredis/hiredis.h>
#include <stdarg.h>

#include "../../tools/chatctl/agent.h"
#include "proto/chat.pb-c.h"
#include "turn.h"

void it_publish_turn(const char *topic, const void *turn_ptr)
{
	const Chat__Turn *turn = turn_ptr;
	char errstr[512];
	rd_kafka_conf_t *conf = kstage_base_conf(it_brokers(), errstr, sizeof(errstr));
	cr_assert_not_null(conf, "%s", errstr);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	cr_assert_not_null(rk, "%s", errstr);
	size_t len;
	void *buf = turn_encode(turn, &len);
	rd_kafka_resp_err_t err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
						    RD_KAFKA_V_KEY(turn->session_id, strlen(turn->session_id)),
						    RD_KAFKA_V_VALUE(buf, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
						    RD_KAFKA_V_END);
	free(buf);
	cr_assert_eq(err, 0, "produce: %s", rd_kafka_err2str(err));
	cr_assert_eq(rd_kafka_flush(rk, 15000), 0, "the broker did not acknowledge the turn");
	rd_kafka_destroy(rk);
}

json_t *it_ask_as(const char *sid, const char *customer_id, const char *text, const char *turn_id, int timeout_ms)
{
	char tid[40];
	if (!turn_id) {
		util_uuid(tid);
		turn_id = tid;
	}
	Chat__Turn *t = turn_new();
	turn_set_str(&t->tenant_id, "demo");
	turn_set_str(&t->session_id, sid);
	turn_set_str(&t->turn_id, turn_id);
	turn_set_str(&t->trace_id, turn_id);
	turn_set_str(&t->text, text);
	t->channel = CHAT__CHANNEL__CHANNEL_API;
	t->reply_partition = 0;
	t->received_at_us = util_now_us();
	t->customer = xmalloc(sizeof(*t->customer));
	chat__customer__init(t->customer);
	turn_set_str(&t->customer->id, customer_id);
	t->customer->authenticated = *customer_id != '\0';
	/* The session's replies so far, so that only a new one counts. */
	struct cc_http h;
	char errstr[256];
	long status;
	json_t *resp = NULL;
	cr_assert_eq(cc_http_init(&h, it_gateway_url()), 0);
	uint64_t after = 0;
	if (cc_get_events(&h, sid, 0, 0, &status, &resp, errstr, sizeof(errstr)) == 0 && status == 200)
		after = (uint64_t)json_integer_value(json_object_get(resp, "next"));
	json_decref(resp);
	it_publish_turn("chat.inbound.v1", t);
	turn_free(t);
	json_t *found = NULL;
	int64_t deadline = util_mono_us() + (int64_t)timeout_ms * 1000;
	while (!found && util_mono_us() < deadline) {
		resp = NULL;
		if (cc_get_events(&h, sid, after, 1000, &status, &resp, errstr, sizeof(errstr)) || status != 200) {
			json_decref(resp);
			util_sleep_ms(100, NULL);
			continue;
		}
		json_t *evs = json_object_get(resp, "events");
		for (size_t i = 0; i < json_array_size(evs); i++) {
			json_t *ev = json_array_get(evs, i);
			const char *type = json_string_value(json_object_get(ev, "type"));
			if (!found && (!type || !strcmp(type, "final")) &&
			    !strcmp(json_string_value(json_object_get(ev, "turn_id")), turn_id))
				found = json_incref(ev);
		}
		after = (uint64_t)json_integer_value(json_object_get(resp, "next"));
		json_decref(resp);
	}
	cc_http_release(&h);
	return found;
}

char *it_pg_value(const char *sql, const char *p1, const char *p2)
{
	PGconn *c = PQconnectdb(it_database_url());
	cr_assert_eq(PQstatus(c), CONNECTION_OK, "cannot connect to PostgreSQL: %s", PQerrorMessage(c));
	const char *params[] = { p1, p2 };
	int n = p2 ? 2 : p1 ? 1 : 0;
	PGresult *res = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	cr_assert(st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(c));
	char *out = st == PGRES_TUPLES_OK && PQntuples(res) > 0 ? xstrdup(PQgetvalue(res, 0, 0)) : NULL;
	PQclear(res);
	PQfinish(c);
	return out;
}

char *it_redis(const char *fmt, ...)
{
	long port = 6379;
	const char *p = getenv("REDIS_PORT");
	if (p && *p)
		util_parse_long(p, 1, 65535, &port);
	redisContext *rc = redisConnect("127.0.0.1", (int)port);
	cr_assert(rc && !rc->err, "cannot connect to Redis on %ld", port);
	va_list ap;
	va_start(ap, fmt);
	redisReply *rep = redisvCommand(rc, fmt, ap);
	va_end(ap);
	cr_assert_not_null(rep);
	char *out;
	if (rep->type == REDIS_REPLY_INTEGER)
		out = xasprintf("%lld", rep->integer);
	else if (rep->type == REDIS_REPLY_STRING || rep->type == REDIS_REPLY_STATUS)
		out = xstrdup(rep->str);
	else
		out = xstrdup("(nil)");
	freeReplyObject(rep);
	redisFree(rc);
	return out;
}

json_t *it_agent(const char *method, const char *path, const char *body, const char *token, long *status)
{
	json_t *resp = NULL;
	char errstr[512];
	cr_assert_eq(cc_agent_call(method, path, body, token, status, &resp, errstr, sizeof(errstr)), 0, "%s",
		     errstr);
	return resp;
}

/* --- more replicas of one stage ------------------------------------------- */
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

int it_admin_port(const char *service)
{
	/* deploy/env.sh's SERVICES order. */
	static const char *const order[] = { "gateway",	  "intent-classifier", "orchestrator", "retriever", "llm-caller",
					     "guardrail", "formatter",	       "ingestion",    "handoff" };
	int base = (int)it_env_long("ADMIN_PORT_BASE", 9101);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (!strcmp(order[i], service))
			return base + (int)i;
	return -1;
}

static int admin_get(int port, const char *path, long *status, char **body)
{
	struct cc_http h;
	char url[128], errstr[256];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	if (cc_http_init(&h, url))
		return -1;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	int rc = cc_get(&h, url, status, body, errstr, sizeof(errstr));
	cc_http_release(&h);
	return rc;
}

double it_metric_sum(int port, const char *name)
{
	long status = 0;
	char *body = NULL;
	if (admin_get(port, "/metrics", &status, &body) || status != 200) {
		free(body);
		return -1;
	}
	double sum = 0;
	size_t n = strlen(name);
	for (char *line = body; line && *line;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strncmp(line, name, n) && (line[n] == '{' || line[n] == ' ')) {
			const char *v = strrchr(line, ' ');
			if (v)
				sum += strtod(v + 1, NULL);
		}
		line = next;
	}
	free(body);
	return sum;
}

/* Fork and exec BIN_DIR/service with ADMIN_PORT, KAFKA_GROUP_INSTANCE_ID
 * and the NAME=value entries of env (NULL-terminated; may be NULL). */
static pid_t spawn(const char *service, int admin_port, const char *instance_id, const char *const *env)
{
	const char *root = env_or("REPO_DIR", ".");
	char bin[512], logpath[512], port[16];
	snprintf(bin, sizeof(bin), "%s/%s", env_or("BIN_DIR", "build/bin"), service);
	snprintf(logpath, sizeof(logpath), "%s/logs/%s.log", env_or("RUN_DIR", ".run"), instance_id);
	snprintf(port, sizeof(port), "%d", admin_port);
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_neq(pid, -1, "fork failed");
	if (pid == 0) {
		if (chdir(root) != 0)
			_exit(126);
		int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		setenv("ADMIN_PORT", port, 1);
		setenv("KAFKA_GROUP_INSTANCE_ID", instance_id, 1);
		for (size_t i = 0; env && env[i]; i++)
			putenv(xstrdup(env[i]));
		execl(bin, service, (char *)NULL);
		_exit(127);
	}
	return pid;
}

pid_t it_spawn_replica(const char *service, int admin_port, const char *instance_id)
{
	return spawn(service, admin_port, instance_id, NULL);
}

pid_t it_spawn_gateway(struct it_gateway *g, int first_port, int ordinal, const char *const *env)
{
	char http[32], ws[32], ord[32], instance[32];
	memset(g, 0, sizeof(*g));
	g->http_port = first_port;
	g->ws_port = first_port + 1;
	g->admin_port = first_port + 2;
	snprintf(g->url, sizeof(g->url), "http://127.0.0.1:%d", g->http_port);
	snprintf(http, sizeof(http), "GATEWAY_HTTP_PORT=%d", g->http_port);
	snprintf(ws, sizeof(ws), "GATEWAY_WS_PORT=%d", g->ws_port);
	snprintf(ord, sizeof(ord), "GATEWAY_ORDINAL=%d", ordinal);
	snprintf(instance, sizeof(instance), "gateway-%d", ordinal);
	const char *all[32] = { http, ws, ord, "LOG_LEVEL=warn" };
	size_t n = 4;
	for (size_t i = 0; env && env[i]; i++) {
		cr_assert_lt(n, sizeof(all) / sizeof(all[0]) - 1, "too many settings for one gateway");
		all[n++] = env[i];
	}
	all[n] = NULL;
	g->pid = spawn("gateway", g->admin_port, instance, all);
	if (it_wait_ready(g->admin_port, 120000)) {
		it_stop_gateway(g);
		cr_assert_fail("the gateway on port %d never became ready (log: %s/logs/%s.log)", g->http_port,
			       env_or("RUN_DIR", ".run"), instance);
	}
	return g->pid;
}

int it_reap(pid_t pid, int timeout_ms, int *status)
{
	for (int waited = 0; waited < timeout_ms; waited += 50) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return 0;
		util_sleep_ms(50, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return -1;
}

int it_stop_gateway_within(struct it_gateway *g, int timeout_ms)
{
	if (g->pid <= 0)
		return -1;
	kill(g->pid, SIGTERM);
	int st;
	int exited = it_reap(g->pid, timeout_ms, &st) == 0;
	g->pid = 0;
	return exited && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int it_stop_gateway(struct it_gateway *g)
{
	return it_stop_gateway_within(g, 30000);
}

int it_wait_ready(int port, int timeout_ms)
{
	int64_t deadline = util_mono_us() + (int64_t)timeout_ms * 1000;
	do {
		long status = 0;
		char *body = NULL;
		int rc = admin_get(port, "/readyz", &status, &body);
		free(body);
		if (rc == 0 && status == 200)
			return 0;
		util_sleep_ms(200, NULL);
	} while (util_mono_us() < deadline);
	return -1;
}

void it_open_session(char *out, size_t len)
{
	struct cc_http h;
	char errstr[256];
	long status = 0;
	json_t *resp = NULL;
	cr_assert_eq(cc_http_init(&h, it_gateway_url()), 0);
	int rc = cc_open_session(&h, NULL, NULL, out, len, &status, &resp, errstr, sizeof(errstr));
	cc_http_release(&h);
	cr_assert_eq(rc, 0, "gateway unreachable: %s", errstr);
	cr_assert_eq(status, 201, "POST /v1/sessions answered %ld", status);
	json_decref(resp);
}

char *it_auth_header(const char *sid)
{
	struct cc_http h;
	cr_assert_eq(cc_http_init(&h, it_gateway_url()), 0);
	char *tok = cc_token(&h, sid);
	cc_http_release(&h);
	cr_assert_not_null(tok, "no token for session %s", sid);
	char *out = xasprintf("Authorization: Bearer %s", tok);
	free(tok);
	return out;
}
