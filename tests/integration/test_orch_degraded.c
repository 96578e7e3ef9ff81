/* The orchestrator with a dependency down, as a separate instance in its
 * own consumer groups (starting at the topics' current end): Redis down
 * answers statelessly with a note; PostgreSQL down makes the tools say
 * they cannot look it up now; the process keeps running. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "kstage.h"
#include "turn.h"
#include "util.h"

static long port_offset(void)
{
	long off = 0;
	const char *s = getenv("PORT_OFFSET");
	if (s && *s)
		util_parse_long(s, 0, 40000, &off);
	return off;
}

/* Commit group's offsets at the current end of every partition of topic,
 * so a new instance starts there instead of replaying the topic. */
static void group_at_end(const char *group, const char *topic)
{
	char errstr[512];
	rd_kafka_conf_t *conf = kstage_base_conf(it_brokers(), errstr, sizeof(errstr));
	cr_assert_not_null(conf);
	cr_assert_eq(kstage_conf_set(conf, "group.id", group, errstr, sizeof(errstr)), 0, "%s", errstr);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	cr_assert_not_null(rk, "%s", errstr);
	int64_t hi[64];
	int n = it_watermarks(rk, topic, hi, 64);
	cr_assert_gt(n, 0, "no partitions for %s", topic);
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
	for (int p = 0; p < n; p++)
		rd_kafka_topic_partition_list_add(l, topic, p)->offset = hi[p];
	cr_assert_eq(rd_kafka_commit(rk, l, 0), 0, "commit for %s", group);
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_destroy(rk);
}

static pid_t start_instance(const char *redis_url, const char *database_url, char *group, size_t glen,
			    const char *log_path)
{
	char uuid[37];
	util_uuid(uuid);
	snprintf(group, glen, "it-orch-degraded-%.8s", uuid);
	char rec[96];
	snprintf(rec, sizeof(rec), "%s-record", group);
	group_at_end(group, "chat.classified.v1");
	group_at_end(rec, "chat.outbound.v1");
	static char e_group[128], e_rec[128], e_admin[48], e_redis[160], e_db[200];
	snprintf(e_group, sizeof(e_group), "KAFKA_GROUP_ID=%s", group);
	snprintf(e_rec, sizeof(e_rec), "ORCH_RECORD_GROUP_ID=%s", rec);
	snprintf(e_admin, sizeof(e_admin), "ADMIN_PORT=%ld", 20060 + port_offset());
	snprintf(e_redis, sizeof(e_redis), "REDIS_URL=%s", redis_url);
	snprintf(e_db, sizeof(e_db), "DATABASE_URL=%s", database_url);
	char bin[512];
	snprintf(bin, sizeof(bin), "%s/build/bin/orchestrator", getenv("REPO_DIR") ? getenv("REPO_DIR") : ".");
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		putenv(e_group);
		putenv(e_rec);
		putenv(e_admin);
		putenv(e_redis);
		putenv(e_db);
		unsetenv("KAFKA_GROUP_INSTANCE_ID");
		execl(bin, bin, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* A classified guest order-status turn, published until a drafted reply
 * for its session containing want arrives (the stack's own orchestrator
 * answers too; only the instance's reply has want). The reply text or
 * NULL after timeout_s. */
static char *drafted_with(const char *sid, const char *want, int timeout_s)
{
	rd_kafka_t *tail = it_tail("chat.drafted.v1");
	char *found = NULL;
	int64_t deadline = util_mono_us() + (int64_t)timeout_s * 1000000;
	int n = 0;
	while (!found && util_mono_us() < deadline) {
		Chat__Turn *t = turn_new();
		char tid[40];
		util_uuid(tid);
		turn_set_str(&t->tenant_id, "demo");
		turn_set_str(&t->session_id, sid);
		turn_set_str(&t->turn_id, tid);
		turn_set_str(&t->trace_id, tid);
		turn_set_str(&t->text, "Where is my order ORD-102173? ben.condo@example.com");
		turn_set_str(&t->intent, "order_status");
		turn_set_str(&t->language, "en");
		t->confidence = 0.95f;
		const char *types[] = { "order_id", "email" }, *vals[] = { "ORD-102173", "ben.condo@example.com" };
		t->entities = xcalloc(2, sizeof(*t->entities));
		for (int i = 0; i < 2; i++) {
			Chat__Entity *e = xmalloc(sizeof(*e));
			chat__entity__init(e);
			e->type = xstrdup(types[i]);
			e->value = xstrdup(vals[i]);
			t->entities[t->n_entities++] = e;
		}
		it_publish_turn("chat.classified.v1", t);
		turn_free(t);
		n++;
		int64_t round = util_mono_us() + 5000000;
		while (!found && util_mono_us() < round) {
			rd_kafka_message_t *m = it_poll_key(tail, sid, 1000);
			if (!m)
				continue;
			char err[256];
			Chat__Turn *d = turn_decode(m->payload, m->len, err, sizeof(err));
			if (d && d->draft && strstr(d->draft->text, want))
				found = xstrdup(d->draft->text);
			turn_free(d);
			rd_kafka_message_destroy(m);
		}
	}
	rd_kafka_consumer_close(tail);
	rd_kafka_destroy(tail);
	return found;
}

static void stop_instance(pid_t pid)
{
	cr_assert_eq(waitpid(pid, NULL, WNOHANG), 0, "the instance crashed");
	kill(pid, SIGTERM);
	int64_t deadline = util_mono_us() + 30000000;
	while (waitpid(pid, NULL, WNOHANG) == 0 && util_mono_us() < deadline)
		util_sleep_ms(100, NULL);
	if (util_mono_us() >= deadline) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

Test(orch_degraded, redis_down_answers_statelessly_with_a_note, .timeout = 150)
{
	char group[96], redis[96], sid[64], log_path[] = "/tmp/it-orch-redis-XXXXXX";
	close(mkstemp(log_path));
	snprintf(redis, sizeof(redis), "redis://127.0.0.1:%ld/0", 20061 + port_offset());
	pid_t pid = start_instance(redis, it_database_url(), group, sizeof(group), log_path);
	it_session(sid, sizeof(sid), "noredis");
	char *text = drafted_with(sid, "(I may not remember", 90);
	cr_assert_not_null(text, "no stateless answer with a note from the instance without Redis (log %s)", log_path);
	cr_assert(strstr(text, "ORD-102173") && strstr(text, "on its way"), "the tool still answers: %s", text);
	free(text);
	stop_instance(pid);
	unlink(log_path);
}

Test(orch_degraded, postgresql_down_tools_cannot_look_it_up, .timeout = 150)
{
	char group[96], db[160], sid[64], log_path[] = "/tmp/it-orch-pg-XXXXXX";
	close(mkstemp(log_path));
	snprintf(db, sizeof(db), "postgresql://chat:chat@127.0.0.1:%ld/chat?connect_timeout=2", 20062 + port_offset());
	const char *redis = getenv("REDIS_URL");
	pid_t pid = start_instance(redis ? redis : "redis://127.0.0.1:6379/0", db, group, sizeof(group), log_path);
	it_session(sid, sizeof(sid), "nopg");
	char *text = drafted_with(sid, "can't look that up right now", 90);
	cr_assert_not_null(text, "no polite answer from the instance without PostgreSQL (log %s)", log_path);
	cr_assert_null(strstr(text, "ER489462867MY"), "%s", text);
	free(text);
	stop_instance(pid);
	unlink(log_path);
}
