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
