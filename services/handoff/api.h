/* api: the agent API of the handoff service (HTTP, bearer token): list,
 * read, claim, reply to and close tickets (every tenant's with the
 * operator's token, only its own with a tenant's); and the admin endpoint
 * for the right to erasure. */
#ifndef SERVICES_HANDOFF_API_H
#define SERVICES_HANDOFF_API_H

#include <librdkafka/rdkafka.h>

#include "store.h"
#include "tokens.h"

struct hapi_conf {
	const char *addr;
	int port;
	const struct htok_set *tokens; /* of the ticket endpoints (none: refused); not owned */
	const char *admin_token; /* "" disables erasure */
	struct handoff_store *st; /* the API thread's own connections; not owned */
	rd_kafka_t *producer;	 /* replies go to chat.checked.v1; not owned */
};

struct hapi;

/* Start serving on its own thread. NULL with errstr when the port is taken. */
struct hapi *hapi_start(const struct hapi_conf *conf, char *errstr, size_t errlen);
void hapi_stop(struct hapi *api);

/* The text the customer gets when a person closes their conversation, in
 * lang (en, ms, zh; others get en). */
const char *hapi_closing_text(const char *lang);

/* The delivery-report callback the reply producer must be created with. */
void hapi_delivery_report(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque);

#endif
