/* helpers: what the integration tests share: the gateway client, Kafka and
 * PostgreSQL access to the running local stack, and the stack script. */
#ifndef TESTS_INTEGRATION_HELPERS_H
#define TESTS_INTEGRATION_HELPERS_H

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <libpq-fe.h>

#include "../../tools/chatctl/client.h"

const char *it_gateway_url(void);
/* The environment variable name as a whole number, def when unset or empty;
 * a value that is not a number fails the test. */
long it_env_long(const char *name, long def);
const char *it_brokers(void);
const char *it_database_url(void);

/* A session id unique to this run. */
void it_session(char *out, size_t len, const char *prefix);

/* POST and wait for the reply; returns the event (caller decrefs) or NULL
 * after a Criterion failure message. */
json_t *it_ask(const char *sid, const char *text);

/* Run a query with one text parameter until it returns a row or timeout_ms
 * passes; returns the first column of the first row (heap) or NULL. */
char *it_pg_wait(const char *sql, const char *param, int timeout_ms);

/* Run `bash deploy/stack.sh ARGS` from the repository root; returns its
 * exit status. */
int it_stack(const char *args);

/* High watermarks of every partition of topic into hi[] (up to n). Returns
 * the number of partitions. */
int it_watermarks(rd_kafka_t *rk, const char *topic, int64_t *hi, int n);

/* A consumer that reads every partition of topic from where it ends now
 * (its own throwaway group, no commits). Close and destroy it when done. */
rd_kafka_t *it_tail(const char *topic);

/* The next message keyed key from rk within timeout_ms (caller destroys
 * it), or NULL. */
rd_kafka_message_t *it_poll_key(rd_kafka_t *rk, const char *key, int timeout_ms);

/* Open a guest session at the gateway (POST /v1/sessions): its id goes to
 * out and its token is remembered by the client (cc_token), so it_ask and
 * the cc_* calls on it are authorized. Fails the test when refused. */
void it_open_session(char *out, size_t len);

/* "Authorization: Bearer <token of sid>" (heap), for raw requests. */
char *it_auth_header(const char *sid);

#endif

#ifndef TESTS_INTEGRATION_HELPERS_ORCH
#define TESTS_INTEGRATION_HELPERS_ORCH
/* Publish turn (encoded) to topic keyed by its session and wait for the
 * broker's acknowledgement. */
void it_publish_turn(const char *topic, const void *turn);
/* One turn of an authenticated customer (customer_id; "" for a guest)
 * published to chat.inbound.v1 with turn id turn_id (NULL: fresh), the
 * reply read from the gateway's events of the session: the event (caller
 * decrefs) or NULL after timeout_ms. */
json_t *it_ask_as(const char *sid, const char *customer_id, const char *text, const char *turn_id, int timeout_ms);
/* The first column of the first row of sql with up to two text parameters
 * (NULL: none), at once; heap string or NULL when no row. */
char *it_pg_value(const char *sql, const char *p1, const char *p2);
/* A Redis command's reply as a string ("(nil)", the integer, or the bulk
 * string; heap) against REDIS_URL's port. */
char *it_redis(const char *fmt, ...);
/* Send an authorized request to the handoff agent API. */
json_t *it_agent(const char *method, const char *path, const char *body, const char *token, long *status);
#endif

/* --- more replicas of one stage (test_scale.c) ---------------------------- */
#include <sys/types.h>

/* Admin port of a service of the stack (ADMIN_PORT_BASE + its place in
 * deploy/env.sh's SERVICES), or -1 for an unknown name. */
int it_admin_port(const char *service);

/* Sum of the values of every /metrics series named name (any labels) on
 * 127.0.0.1:port, or -1 when the admin port does not answer. */
double it_metric_sum(int port, const char *name);

/* Start one more replica of a service from BIN_DIR, in the repository root,
 * with its own ADMIN_PORT and KAFKA_GROUP_INSTANCE_ID (the same consumer
 * group as the stack's replica), logging to RUN_DIR/logs/<instance>.log.
 * Returns its pid (the caller kills and reaps it). */
pid_t it_spawn_replica(const char *service, int admin_port, const char *instance_id);

/* One more gateway beside the stack's, on its own ports. */
struct it_gateway {
	pid_t pid;
	int http_port, ws_port, admin_port;
	char url[64]; /* REST base URL */
};

/* Start a gateway with REST on first_port, WebSocket on first_port + 1,
 * admin on first_port + 2, reading reply partition ordinal (not the
 * stack's 0), with the stack's environment plus env (NAME=value entries,
 * NULL-terminated; may be NULL), logging to RUN_DIR/logs/gateway-N.log.
 * Returns once it is ready; fails the test (and stops it) when it does not
 * become ready. Stop it with it_stop_gateway. */
pid_t it_spawn_gateway(struct it_gateway *g, int first_port, int ordinal, const char *const *env);
/* SIGTERM, then SIGKILL after 30 s; reaps it. Its exit status when it
 * exited by itself, -1 when a signal ended it (or it had to be killed). */
int it_stop_gateway(struct it_gateway *g);
/* The same with timeout_ms before the SIGKILL. */
int it_stop_gateway_within(struct it_gateway *g, int timeout_ms);
/* Wait up to timeout_ms for child pid to exit and reap it (its wait status
 * in *status): 0 when it exited by itself, -1 when it had to be SIGKILLed. */
int it_reap(pid_t pid, int timeout_ms, int *status);

/* Wait until GET /readyz on 127.0.0.1:port answers 200; 0 when it did,
 * -1 after timeout_ms. */
int it_wait_ready(int port, int timeout_ms);
