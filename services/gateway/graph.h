/* graph: the WhatsApp Cloud API (Graph API) client that sends replies:
 *   POST {base}/{version}/{phone_number_id}/messages
 *   Authorization: Bearer {access token}
 * with bounded retries and backoff on 429, 5xx and transport errors; other
 * 4xx answers are final. One handle per sending thread (it keeps one curl
 * handle, so the connection is reused). */
#ifndef SERVICES_GATEWAY_GRAPH_H
#define SERVICES_GATEWAY_GRAPH_H

#include <signal.h>
#include <stddef.h>

struct graph_conf {
	const char *base;        /* e.g. https://graph.facebook.com */
	const char *version;     /* e.g. v21.0 */
	const char *token;       /* access token */
	long timeout_ms;         /* per request */
	long max_attempts;       /* tries per message, >= 1 */
	long backoff_ms;         /* first backoff; doubles each retry */
};

struct graph;

/* The strings of conf are copied. */
struct graph *graph_new(const struct graph_conf *conf);
void graph_free(struct graph *g);

/* 1 when an answer with this HTTP status (0: no answer) is worth another
 * try: 429, 5xx, or none at all. */
int graph_retryable(long status);

/* The Graph API request body for one rendered message object (JSON text,
 * without "to") sent to wa_id: the object plus "messaging_product",
 * "recipient_type" and "to". Heap string, or NULL with errstr when msg is
 * not a JSON object with a "type". */
char *graph_message_body(const char *msg, size_t len, const char *to, char *errstr, size_t errlen);

/* Send one request body from phone_number_id, retrying as above and
 * sleeping between tries unless *stop becomes non-zero. 0 on a 2xx answer;
 * -1 with errstr (and *status: the last HTTP status, 0 for none) when it
 * failed. *attempts receives the number of tries made. */
int graph_send(struct graph *g, const char *phone_number_id, const char *body, volatile sig_atomic_t *stop,
	       long *status, int *attempts, char *errstr, size_t errlen);

#endif
