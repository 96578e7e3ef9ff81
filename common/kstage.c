/* kstage: the Kafka stage runner every service uses. */
#include "kstage.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "offtrack.h"
#include "util.h"

#define KSTAGE_MAX_ROUTES 8
#define KSTAGE_MAX_OUT_TOPICS 16

struct kstage {
	struct kstage_conf conf;
	rd_kafka_t *consumer;
	rd_kafka_t *producer;
	struct offtrack *ot;
	rd_kafka_topic_partition_list_t *to_store; /* offsets gathered by a drain */
	volatile sig_atomic_t *stop;
	int fatal;
	int64_t last_err_log_us;
	struct metric *m_in[KSTAGE_MAX_ROUTES];
	struct metric *m_lag[KSTAGE_MAX_ROUTES];
	struct metric *m_fail, *m_dlq, *m_proc, *m_dr_fail, *m_blocked;
	struct {
		char topic[250];
		struct metric *m;
	} out[KSTAGE_MAX_OUT_TOPICS];
	int n_out;
};

int kstage_emit(struct kstage_emit *em, const char *topic, int32_t partition, const char *key, size_t key_len,
		void *value_take, size_t len)
{
	if (em->n >= KSTAGE_MAX_OUT) {
		free(value_take);
		return -1;
	}
	struct kstage_out *o = &em->outs[em->n++];
	o->topic = xstrdup(topic);
	o->partition = partition;
	o->key = key ? xstrndup(key, key_len) : NULL;
	o->key_len = key ? key_len : 0;
	o->value = value_take;
	o->len = len;
	return 0;
}

void kstage_emit_reset(struct kstage_emit *em)
{
	for (int i = 0; i < em->n; i++) {
		free(em->outs[i].topic);
		free(em->outs[i].key);
		free(em->outs[i].value);
	}
	em->n = 0;
}

int kstage_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *errstr, size_t errlen)
{
	if (rd_kafka_conf_set(conf, name, value, errstr, errlen) != RD_KAFKA_CONF_OK)
		return -1;
	return 0;
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	enum log_level lvl = level <= 3 ? LOG_ERROR : level == 4 ? LOG_WARN : level <= 6 ? LOG_INFO : LOG_DEBUG;
	log_write(lvl, NULL, NULL, "kafka %s: %s", fac, buf);
}

rd_kafka_conf_t *kstage_base_conf(const char *brokers, char *errstr, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	/* Loopback and in-VPC hops cost well under a millisecond; Nagle and
	 * long reconnect backoffs would dominate turn latency. */
	if (kstage_conf_set(conf, "bootstrap.servers", brokers, errstr, errlen) ||
	    kstage_conf_set(conf, "socket.nagle.disable", "true", errstr, errlen) ||
	    kstage_conf_set(conf, "reconnect.backoff.ms", "50", errstr, errlen) ||
	    kstage_conf_set(conf, "reconnect.backoff.max.ms", "1000", errstr, errlen) ||
	    kstage_conf_set(conf, "topic.metadata.refresh.interval.ms", "10000", errstr, errlen) ||
	    kstage_conf_set(conf, "log.connection.close", "false", errstr, errlen)) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_log_cb(conf, on_log);
	return conf;
}

int kstage_producer_conf(rd_kafka_conf_t *conf, char *errstr, size_t errlen)
{
	/* Idempotence keeps per-partition order through retries; a zero
	 * message timeout means a broker outage delays output instead of
	 * failing it, so no input is ever committed without its output. */
	if (kstage_conf_set(conf, "enable.idempotence", "true", errstr, errlen) ||
	    kstage_conf_set(conf, "linger.ms", "0", errstr, errlen) ||
	    kstage_conf_set(conf, "message.timeout.ms", "0", errstr, errlen) ||
	    kstage_conf_set(conf, "retry.backoff.ms", "50", errstr, errlen))
		return -1;
	return 0;
}

int kstage_consumer_conf(rd_kafka_conf_t *conf, const char *group_id, char *errstr, size_t errlen)
{
	/* A waiting fetch is answered as soon as data arrives; the bound only
	 * matters when idle. */
	if (kstage_conf_set(conf, "group.id", group_id, errstr, errlen) ||
	    kstage_conf_set(conf, "fetch.wait.max.ms", "100", errstr, errlen) ||
	    kstage_conf_set(conf, "fetch.error.backoff.ms", "50", errstr, errlen) ||
	    kstage_conf_set(conf, "enable.partition.eof", "false", errstr, errlen))
		return -1;
	return 0;
}

static int permanent_produce_error(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
	case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
	case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
	case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
	case RD_KAFKA_RESP_ERR_INVALID_RECORD:
	case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
		return 1;
	default:
		return 0;
	}
}

static void add_header_str(rd_kafka_headers_t *hdrs, const char *name, const char *value)
{
	rd_kafka_header_add(hdrs, name, -1, value, -1);
}

/* Produce, waiting on a full local queue. Returns 0 or the error. headers
 * are taken on success and destroyed on failure. */
static rd_kafka_resp_err_t produce(struct kstage *ks, const char *topic, int32_t partition, const void *key,
				   size_t key_len, const void *value, size_t len, rd_kafka_headers_t *hdrs,
				   struct offtrack_entry *e)
{
	for (;;) {
		rd_kafka_resp_err_t err = rd_kafka_producev(
		    ks->producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
		    RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)value, len),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(e),
		    RD_KAFKA_V_END);
		if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			/* Back-pressure: serve delivery reports until there is room. */
			rd_kafka_poll(ks->producer, 50);
			continue;
		}
		if (err) {
			if (hdrs)
				rd_kafka_headers_destroy(hdrs);
			return err;
		}
		if (e)
			offtrack_add_pending(e);
		return RD_KAFKA_RESP_ERR_NO_ERROR;
	}
}

/* Send the bytes of a message that cannot be processed or delivered to the
 * dead-letter topic, with why, where it came from and how often it was
 * tried. Returns 0 when queued. */
static int dead_letter(struct kstage *ks, const void *payload, size_t len, const void *key, size_t key_len,
		       const char *topic, int32_t partition, int64_t offset, const char *error, int attempts,
		       struct offtrack_entry *e)
{
	char num[32];
	rd_kafka_headers_t *hdrs = rd_kafka_headers_new(8);
	add_header_str(hdrs, "dlq.error", error);
	add_header_str(hdrs, "dlq.stage", ks->conf.service);
	add_header_str(hdrs, "dlq.topic", topic);
	snprintf(num, sizeof(num), "%" PRId32, partition);
	add_header_str(hdrs, "dlq.partition", num);
	snprintf(num, sizeof(num), "%" PRId64, offset);
	add_header_str(hdrs, "dlq.offset", num);
	snprintf(num, sizeof(num), "%d", attempts);
	add_header_str(hdrs, "dlq.attempts", num);
	snprintf(num, sizeof(num), "%" PRId64, util_now_us());
	add_header_str(hdrs, "dlq.failed_at_us", num);
	log_warn("dead-lettered %s[%" PRId32 "]@%" PRId64 " after %d attempt(s): %s", topic, partition, offset,
		 attempts, error);
	metrics_inc(ks->m_dlq, 1);
	rd_kafka_resp_err_t err =
	    produce(ks, ks->conf.dlq_topic, RD_KAFKA_PARTITION_UA, key, key_len, payload, len, hdrs, e);
	if (err) {
		log_error("cannot produce to dead-letter topic \"%s\": %s", ks->conf.dlq_topic, rd_kafka_err2str(err));
		return -1;
	}
	return 0;
}

/* The acknowledged-output counter of topic. A stage writes to a handful of
 * topics, so the handles are kept here rather than looked up in the
 * registry (a lock and a scan) for every delivery report. Only the thread
 * serving this runner's delivery reports calls it. */
static struct metric *out_counter(struct kstage *ks, const char *topic)
{
	for (int i = 0; i < ks->n_out; i++)
		if (!strcmp(ks->out[i].topic, topic))
			return ks->out[i].m;
	char labels[256];
	snprintf(labels, sizeof(labels), "group=\"%s\",topic=\"%s\"", ks->conf.group_id, topic);
	struct metric *m = metrics_counter("kstage_messages_out_total", "Messages produced and acknowledged", labels);
	if (ks->n_out < KSTAGE_MAX_OUT_TOPICS) {
		util_strlcpy(ks->out[ks->n_out].topic, topic, sizeof(ks->out[ks->n_out].topic));
		ks->out[ks->n_out++].m = m;
	}
	return m;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
	struct kstage *ks = opaque;
	struct offtrack_entry *e = rkm->_private;
	(void)rk;
	const char *topic = rd_kafka_topic_name(rkm->rkt);
	if (!rkm->err) {
		metrics_inc(out_counter(ks, topic), 1);
		if (e)
			offtrack_delivered(e, 1);
		return;
	}
	metrics_inc(ks->m_dr_fail, 1);
	if (e && permanent_produce_error(rkm->err) && strcmp(topic, ks->conf.dlq_topic)) {
		/* Retrying cannot help (no such partition, too large): park the
		 * output in the dead-letter topic; the same entry now waits for
		 * that delivery instead. */
		char why[256];
		snprintf(why, sizeof(why), "cannot deliver output: %s", rd_kafka_err2str(rkm->err));
		if (dead_letter(ks, rkm->payload, rkm->len, rkm->key, rkm->key_len, topic, rkm->partition, -1, why, 1,
				NULL) == 0) {
			offtrack_delivered(e, 1);
			return;
		}
	}
	log_error("delivery to \"%s\" failed: %s", topic, rd_kafka_err2str(rkm->err));
	if (e)
		offtrack_delivered(e, 0);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kstage *ks = opaque;
	if (rd_kafka_fatal_error(rk, NULL, 0)) {
		char fatal[256];
		rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
		log_error("fatal Kafka error: %s", fatal);
		ks->fatal = 1;
		return;
	}
	/* A broker that is down reports every reconnect: say it once in a while. */
	int64_t now = util_mono_us();
	if (now - ks->last_err_log_us < 10 * 1000000LL)
		return;
	ks->last_err_log_us = now;
	log_warn("Kafka: %s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
	struct kstage *ks = opaque;
	(void)rk;
	json_error_t jerr;
	json_t *root = json_loadb(json, len, 0, &jerr);
	if (!root)
		return 0;
	json_t *topics = json_object_get(root, "topics");
	for (int i = 0; i < ks->conf.nroutes; i++) {
		json_t *parts = json_object_get(json_object_get(topics, ks->conf.routes[i].topic), "partitions");
		const char *pkey;
		json_t *p;
		int64_t sum = 0;
		json_object_foreach(parts, pkey, p)
		{
			json_int_t lag = json_integer_value(json_object_get(p, "consumer_lag"));
			if (strcmp(pkey, "-1") && lag > 0)
				sum += lag;
		}
		metrics_set(ks->m_lag[i], sum);
	}
	json_decref(root);
	return 0; /* librdkafka frees json */
}

static void store_offset(void *arg, const char *topic, int32_t partition, int64_t next)
{
	struct kstage *ks = arg;
	rd_kafka_topic_partition_list_add(ks->to_store, topic, partition)->offset = next;
}

/* Make the consumer fetch a partition again from offset. */
static void seek_to(struct kstage *ks, const char *topic, int32_t partition, int64_t offset)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, topic, partition)->offset = offset;
	rd_kafka_error_t *err = rd_kafka_seek_partitions(ks->consumer, l, 5000);
	if (err) {
		log_error("cannot seek %s[%" PRId32 "] back to %" PRId64 ": %s", topic, partition, offset,
			  rd_kafka_error_string(err));
		rd_kafka_error_destroy(err);
		ks->fatal = 1;
	}
	rd_kafka_topic_partition_list_destroy(l);
}

static void rewind_partition(void *arg, const char *topic, int32_t partition, int64_t offset)
{
	log_warn("output of %s[%" PRId32 "]@%" PRId64 " was not delivered: processing again from there", topic,
		 partition, offset);
	seek_to(arg, topic, partition, offset);
}

static void drain_offsets(struct kstage *ks)
{
	offtrack_drain(ks->ot, store_offset, rewind_partition, ks);
	if (ks->to_store->cnt == 0)
		return;
	rd_kafka_resp_err_t err = rd_kafka_offsets_store(ks->consumer, ks->to_store);
	if (err && err != RD_KAFKA_RESP_ERR__STATE)
		log_warn("cannot store offsets: %s", rd_kafka_err2str(err));
	rd_kafka_topic_partition_list_destroy(ks->to_store);
	ks->to_store = rd_kafka_topic_partition_list_new(8);
}

/* Wait up to timeout_ms for every output to be acknowledged, then store
 * the offsets that are now safe. */
static void settle(struct kstage *ks, int timeout_ms)
{
	rd_kafka_resp_err_t err = rd_kafka_flush(ks->producer, timeout_ms);
	if (err)
		log_warn("%d output message(s) still unacknowledged after %d ms", rd_kafka_outq_len(ks->producer),
			 timeout_ms);
	drain_offsets(ks);
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
			 void *opaque)
{
	struct kstage *ks = opaque;
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		log_info("assigned %d partition(s)", parts->cnt);
		rd_kafka_assign(rk, parts);
		return;
	}
	log_info("revoking %d partition(s): finishing in-flight work", parts->cnt);
	settle(ks, 10000);
	rd_kafka_resp_err_t cerr = rd_kafka_commit(rk, NULL, 0);
	if (cerr && cerr != RD_KAFKA_RESP_ERR__NO_OFFSET)
		log_warn("commit on revoke failed: %s", rd_kafka_err2str(cerr));
	for (int i = 0; i < parts->cnt; i++)
		offtrack_drop_partition(ks->ot, parts->elems[i].topic, parts->elems[i].partition);
	rd_kafka_assign(rk, NULL);
}

/* A dependency is down: wait a little, then seek the partition back to this
 * message so it is fetched again, keeping the consumer polling (and in its
 * group) while the message stays queued in Kafka. */
static void block(struct kstage *ks, const struct kstage_msg *msg, struct offtrack_entry *e, const char *why)
{
	int64_t now = util_mono_us();
	if (now - ks->last_err_log_us > 10 * 1000000LL) {
		ks->last_err_log_us = now;
		log_warn("holding %s[%" PRId32 "]@%" PRId64 " in Kafka until a dependency returns: %s", msg->topic,
			 msg->partition, msg->offset, why);
	}
	metrics_inc(ks->m_blocked, 1);
	offtrack_fail(e);
	offtrack_drop_partition(ks->ot, msg->topic, msg->partition);
	util_sleep_ms(ks->conf.retry_backoff_ms > 0 ? ks->conf.retry_backoff_ms * 5 : 500, ks->stop);
	seek_to(ks, msg->topic, msg->partition, msg->offset);
}

static const struct kstage_route *find_route(const struct kstage *ks, const char *topic, int *idx)
{
	for (int i = 0; i < ks->conf.nroutes; i++) {
		if (!strcmp(ks->conf.routes[i].topic, topic)) {
			*idx = i;
			return &ks->conf.routes[i];
		}
	}
	return NULL;
}

static void process(struct kstage *ks, rd_kafka_message_t *rkm)
{
	const char *topic = rd_kafka_topic_name(rkm->rkt);
	int idx = -1;
	const struct kstage_route *route = find_route(ks, topic, &idx);
	struct offtrack_entry *e = offtrack_begin(ks->ot, topic, rkm->partition, rkm->offset);
	struct kstage_msg msg = { topic, rkm->partition, rkm->offset, rkm->key, rkm->key_len,
				  rkm->payload, rkm->len, rkm };
	struct kstage_emit em = { .n = 0 };
	char errstr[256] = "no handler for this topic";
	int rc = KSTAGE_EPOISON, attempt = 0;

	if (route) {
		metrics_inc(ks->m_in[idx], 1);
		for (attempt = 1;; attempt++) {
			errstr[0] = '\0';
			int64_t t0 = util_mono_us();
			rc = route->fn(route->ctx, &msg, &em, errstr, sizeof(errstr));
			metrics_observe_us(ks->m_proc, util_mono_us() - t0);
			if (rc == KSTAGE_OK)
				break;
			kstage_emit_reset(&em);
			metrics_inc(ks->m_fail, 1);
			if (!errstr[0])
				util_strlcpy(errstr, "handler failed without a reason", sizeof(errstr));
			if (rc == KSTAGE_EBLOCKED) {
				block(ks, &msg, e, errstr);
				return;
			}
			if (rc != KSTAGE_ERETRY || attempt >= ks->conf.max_attempts)
				break;
			if (*ks->stop)
				return; /* not sealed: replayed after restart */
			log_warn("attempt %d on %s[%" PRId32 "]@%" PRId64 " failed: %s", attempt, topic, rkm->partition,
				 rkm->offset, errstr);
			util_sleep_ms(ks->conf.retry_backoff_ms * attempt, ks->stop);
		}
	}
	if (rc != KSTAGE_OK) {
		dead_letter(ks, rkm->payload, rkm->len, rkm->key, rkm->key_len, topic, rkm->partition, rkm->offset,
			    errstr, attempt, e);
		offtrack_seal(e);
		return;
	}
	for (int i = 0; i < em.n; i++) {
		struct kstage_out *o = &em.outs[i];
		rd_kafka_resp_err_t err =
		    produce(ks, o->topic, o->partition, o->key, o->key_len, o->value, o->len, NULL, e);
		if (err) {
			char why[256];
			snprintf(why, sizeof(why), "cannot produce output to \"%s\": %s", o->topic,
				 rd_kafka_err2str(err));
			dead_letter(ks, o->value, o->len, o->key, o->key_len, topic, rkm->partition, rkm->offset, why,
				    1, e);
		}
	}
	kstage_emit_reset(&em);
	offtrack_seal(e);
}

struct kstage *kstage_new(const struct kstage_conf *conf, char *errstr, size_t errlen)
{
	struct kstage *ks = xcalloc(1, sizeof(*ks));
	rd_kafka_conf_t *pc = NULL, *cc = NULL;
	char labels[256];

	if (conf->nroutes < 1 || conf->nroutes > KSTAGE_MAX_ROUTES) {
		snprintf(errstr, errlen, "a stage needs 1..%d input topics, got %d", KSTAGE_MAX_ROUTES, conf->nroutes);
		goto fail;
	}
	ks->conf = *conf;
	if (ks->conf.max_attempts < 1)
		ks->conf.max_attempts = 1;
	ks->ot = offtrack_new();
	ks->to_store = rd_kafka_topic_partition_list_new(8);

	pc = kstage_base_conf(conf->brokers, errstr, errlen);
	if (!pc || kstage_producer_conf(pc, errstr, errlen))
		goto fail;
	rd_kafka_conf_set_opaque(pc, ks);
	rd_kafka_conf_set_dr_msg_cb(pc, on_delivery);
	rd_kafka_conf_set_error_cb(pc, on_error);
	ks->producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, errstr, errlen);
	if (!ks->producer)
		goto fail;
	pc = NULL;

	char session_ms[16];
	snprintf(session_ms, sizeof(session_ms), "%d", conf->session_timeout_ms > 0 ? conf->session_timeout_ms : 10000);
	cc = kstage_base_conf(conf->brokers, errstr, errlen);
	if (!cc || kstage_consumer_conf(cc, conf->group_id, errstr, errlen) ||
	    kstage_conf_set(cc, "enable.auto.commit", "true", errstr, errlen) ||
	    kstage_conf_set(cc, "auto.commit.interval.ms", "500", errstr, errlen) ||
	    kstage_conf_set(cc, "enable.auto.offset.store", "false", errstr, errlen) ||
	    kstage_conf_set(cc, "auto.offset.reset", "earliest", errstr, errlen) ||
	    kstage_conf_set(cc, "session.timeout.ms", session_ms, errstr, errlen) ||
	    kstage_conf_set(cc, "heartbeat.interval.ms", "1000", errstr, errlen) ||
	    kstage_conf_set(cc, "statistics.interval.ms", "5000", errstr, errlen))
		goto fail;
	if (conf->instance_id && *conf->instance_id &&
	    kstage_conf_set(cc, "group.instance.id", conf->instance_id, errstr, errlen))
		goto fail;
	rd_kafka_conf_set_opaque(cc, ks);
	rd_kafka_conf_set_rebalance_cb(cc, on_rebalance);
	rd_kafka_conf_set_error_cb(cc, on_error);
	rd_kafka_conf_set_stats_cb(cc, on_stats);
	ks->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, errstr, errlen);
	if (!ks->consumer)
		goto fail;
	cc = NULL;
	rd_kafka_poll_set_consumer(ks->consumer);

	/* Every series names its consumer group: a service may run several. */
	for (int i = 0; i < conf->nroutes; i++) {
		snprintf(labels, sizeof(labels), "group=\"%s\",topic=\"%s\"", conf->group_id, conf->routes[i].topic);
		ks->m_in[i] = metrics_counter("kstage_messages_in_total", "Messages consumed", labels);
		ks->m_lag[i] = metrics_gauge("kstage_consumer_lag", "Messages behind the end of the topic", labels);
	}
	snprintf(labels, sizeof(labels), "group=\"%s\"", conf->group_id);
	ks->m_fail = metrics_counter("kstage_failures_total", "Handler attempts that failed", labels);
	ks->m_dlq = metrics_counter("kstage_dlq_total", "Messages sent to the dead-letter topic", labels);
	ks->m_dr_fail = metrics_counter("kstage_delivery_failures_total", "Outputs the broker did not accept", labels);
	ks->m_blocked = metrics_counter("kstage_blocked_total", "Messages held back because a dependency was down",
					labels);
	ks->m_proc = metrics_histogram("kstage_processing_seconds", "Handler time per message", labels);
	return ks;
fail:
	if (pc)
		rd_kafka_conf_destroy(pc);
	if (cc)
		rd_kafka_conf_destroy(cc);
	kstage_free(ks);
	return NULL;
}

int kstage_run(struct kstage *ks, volatile sig_atomic_t *stop, void (*tick)(void *arg), void *tick_arg)
{
	ks->stop = stop;
	rd_kafka_topic_partition_list_t *subs = rd_kafka_topic_partition_list_new(ks->conf.nroutes);
	for (int i = 0; i < ks->conf.nroutes; i++)
		rd_kafka_topic_partition_list_add(subs, ks->conf.routes[i].topic, RD_KAFKA_PARTITION_UA);
	rd_kafka_resp_err_t err = rd_kafka_subscribe(ks->consumer, subs);
	rd_kafka_topic_partition_list_destroy(subs);
	if (err) {
		log_error("cannot subscribe: %s", rd_kafka_err2str(err));
		return -1;
	}
	log_info("consuming as group \"%s\"", ks->conf.group_id);
	while (!*stop && !ks->fatal) {
		rd_kafka_message_t *rkm = rd_kafka_consumer_poll(ks->consumer, 100);
		if (rkm) {
			if (!rkm->err)
				process(ks, rkm);
			else if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
				on_error(ks->consumer, rkm->err, rd_kafka_message_errstr(rkm), ks);
			rd_kafka_message_destroy(rkm);
		}
		rd_kafka_poll(ks->producer, 0);
		drain_offsets(ks);
		if (tick)
			tick(tick_arg);
	}
	log_info("stopping: finishing %zu in-flight message(s)", offtrack_inflight(ks->ot));
	settle(ks, 30000);
	err = rd_kafka_consumer_close(ks->consumer); /* revokes: commits stored offsets */
	if (err)
		log_warn("consumer close: %s", rd_kafka_err2str(err));
	return ks->fatal ? -1 : 0;
}

int kstage_check_topics(rd_kafka_t *rk, const char *brokers, const char *const *topics, int n, char *detail,
			size_t len)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, 1500);
	if (err) {
		snprintf(detail, len, "broker %s unreachable: %s", brokers, rd_kafka_err2str(err));
		return -1;
	}
	int rc = 0;
	snprintf(detail, len, "ok");
	for (int i = 0; i < n && rc == 0; i++) {
		int found = 0;
		for (int t = 0; t < md->topic_cnt; t++)
			if (!strcmp(md->topics[t].topic, topics[i]) && !md->topics[t].err)
				found = 1;
		if (!found) {
			snprintf(detail, len, "topic \"%s\" does not exist", topics[i]);
			rc = -1;
		}
	}
	rd_kafka_metadata_destroy(md);
	return rc;
}

int kstage_check_broker(void *arg, char *detail, size_t len)
{
	struct kstage *ks = arg;
	const char *topics[KSTAGE_MAX_ROUTES];
	for (int i = 0; i < ks->conf.nroutes; i++)
		topics[i] = ks->conf.routes[i].topic;
	return kstage_check_topics(ks->producer, ks->conf.brokers, topics, ks->conf.nroutes, detail, len);
}

int kstage_dead_letter(rd_kafka_t *producer, const char *dlq_topic, const char *stage,
		       const rd_kafka_message_t *rkm, const char *error)
{
	struct kstage tmp;
	memset(&tmp, 0, sizeof(tmp));
	tmp.producer = producer;
	tmp.conf.dlq_topic = dlq_topic;
	tmp.conf.service = stage;
	char labels[128];
	snprintf(labels, sizeof(labels), "group=\"%s\"", stage);
	tmp.m_dlq = metrics_counter("kstage_dlq_total", "Messages sent to the dead-letter topic", labels);
	return dead_letter(&tmp, rkm->payload, rkm->len, rkm->key, rkm->key_len, rd_kafka_topic_name(rkm->rkt),
			   rkm->partition, rkm->offset, error, 1, NULL);
}

void kstage_free(struct kstage *ks)
{
	if (!ks)
		return;
	if (ks->consumer)
		rd_kafka_destroy(ks->consumer);
	if (ks->producer) {
		rd_kafka_flush(ks->producer, 5000);
		rd_kafka_destroy(ks->producer);
	}
	if (ks->to_store)
		rd_kafka_topic_partition_list_destroy(ks->to_store);
	offtrack_free(ks->ot);
	free(ks);
}
