/* kstage: the Kafka stage runner every service uses. It consumes its input
 * topics, calls the handler for each message, produces what the handler
 * emitted, and stores the input offset only after every output's delivery
 * report succeeded (at-least-once; replays are made harmless downstream by
 * turn_id). A message whose handler fails max_attempts times, or that the
 * handler calls poison, goes to the dead-letter topic with headers saying
 * why, and the partition moves on. */
#ifndef COMMON_KSTAGE_H
#define COMMON_KSTAGE_H

#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define KSTAGE_MAX_OUT 16

enum kstage_rc {
	KSTAGE_OK = 0,
	KSTAGE_ERETRY = -1,  /* transient: try again, then dead-letter */
	KSTAGE_EPOISON = -2, /* this message can never succeed: dead-letter now */
	KSTAGE_EBLOCKED = -3, /* a dependency is down: leave the message queued in
			       * Kafka (seek back, retry after a backoff), never
			       * dead-letter it */
};

struct kstage_msg {
	const char *topic;
	int32_t partition;
	int64_t offset;
	const void *key;
	size_t key_len;
	const void *payload;
	size_t len;
	const rd_kafka_message_t *rkm; /* for headers and timestamps */
};

struct kstage_out {
	char *topic;
	int32_t partition; /* RD_KAFKA_PARTITION_UA: by key */
	char *key;
	size_t key_len;
	void *value;
	size_t len;
};

/* What a handler wants produced for one input message. */
struct kstage_emit {
	struct kstage_out outs[KSTAGE_MAX_OUT];
	int n;
};

/* Queue one output. Takes ownership of value (heap, freed by the runner);
 * topic and key are copied. Returns -1 when the emit is full. */
int kstage_emit(struct kstage_emit *em, const char *topic, int32_t partition, const char *key, size_t key_len,
		void *value_take, size_t len);
/* Free every queued output (used when a handler fails after emitting). */
void kstage_emit_reset(struct kstage_emit *em);

typedef int (*kstage_handler_fn)(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr,
				 size_t errlen);

struct kstage_route {
	const char *topic;
	kstage_handler_fn fn;
	void *ctx;
};

struct kstage_conf {
	const char *service;     /* stamped on dead letters and metrics */
	const char *brokers;
	const char *group_id;    /* consumer group; usually the service name */
	const char *instance_id; /* static membership id, or "" for none */
	const char *dlq_topic;
	const struct kstage_route *routes;
	int nroutes;
	int max_attempts;
	int retry_backoff_ms;
	int session_timeout_ms;
};

struct kstage;

/* Create the consumer and producer (connections are made lazily, so a
 * broker that is down is not an error here). NULL with errstr on a
 * configuration error. */
struct kstage *kstage_new(const struct kstage_conf *conf, char *errstr, size_t errlen);
/* Consume and process until *stop is set, calling tick (may be NULL) at
 * least every 100 ms; then finish in-flight work, flush, store and commit
 * offsets, and leave the group. Returns 0, or -1 on a fatal Kafka error. */
int kstage_run(struct kstage *ks, volatile sig_atomic_t *stop, void (*tick)(void *arg), void *tick_arg);
void kstage_free(struct kstage *ks);

/* admin_check_fn: broker reachable and every input topic exists. */
int kstage_check_broker(void *ks, char *detail, size_t len);
/* The same check for any client handle: 0 when the broker answers and every
 * topic of topics[0..n) exists, else -1 with detail. */
int kstage_check_topics(rd_kafka_t *rk, const char *brokers, const char *const *topics, int n, char *detail,
			size_t len);
/* Send a message that cannot be processed to dlq_topic with the standard
 * dead-letter headers (error, stage, topic, partition, offset). Not tracked
 * for offsets: for consumers that commit on their own. 0 when queued. */
int kstage_dead_letter(rd_kafka_t *producer, const char *dlq_topic, const char *stage,
		       const rd_kafka_message_t *rkm, const char *error);

/* Shared client settings for low latency on loopback and in a VPC. Sets
 * bootstrap servers; returns the conf or NULL with errstr. */
rd_kafka_conf_t *kstage_base_conf(const char *brokers, char *errstr, size_t errlen);
/* Set one property, returning -1 with errstr on failure. */
int kstage_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *errstr, size_t errlen);
/* Consumer settings every consumer shares: group.id, prompt fetches, quick
 * recovery after a broker restart, no end-of-partition events. */
int kstage_consumer_conf(rd_kafka_conf_t *conf, const char *group_id, char *errstr, size_t errlen);
/* Producer settings: idempotent, no linger, unlimited retries in time. */
int kstage_producer_conf(rd_kafka_conf_t *conf, char *errstr, size_t errlen);

#endif
