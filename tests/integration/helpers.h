/* helpers: what the integration tests share: the gateway client, Kafka and
 * PostgreSQL access to the running local stack, and the stack script. */
#ifndef TESTS_INTEGRATION_HELPERS_H
#define TESTS_INTEGRATION_HELPERS_H

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <libpq-fe.h>

#include "../../tools/chatctl/client.h"

const char *it_gateway_url(void);
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
