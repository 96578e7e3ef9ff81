/* store: tickets in PostgreSQL and session ownership in Redis, behind
 * struct handoff_io for the consumer, and the queries of the agent API
 * and of erasure. */
#ifndef SERVICES_HANDOFF_STORE_H
#define SERVICES_HANDOFF_STORE_H

#include <jansson.h>

#include "cpg.h"
#include "credis.h"
#include "handoff.h"
#include "notify.h"

struct handoff_store {
	struct cpg *pg;
	struct credis *redis;
	long owner_ttl_s;
	struct notifier *nt; /* may be NULL; not owned */
};

/* Connections are made lazily. NULL after logging a bad Redis URL. */
struct handoff_store *handoff_store_new(const char *database_url, const char *redis_url, long owner_ttl_s,
					struct notifier *nt);
void handoff_store_free(struct handoff_store *st);
/* The handoff_io whose arg is st. */
struct handoff_io handoff_store_io(struct handoff_store *st);

/* What the agent API reads and changes. tenant limits each to that
 * tenant's tickets (NULL: every tenant); another tenant's ticket is no
 * such ticket. Each returns 0 with *out (caller decrefs), or -1 database
 * unreachable, -2 refused, -3 no such ticket, -4 the ticket is closed. */
int hs_list(struct handoff_store *st, const char *tenant, const char *status, json_t **out);
int hs_get(struct handoff_store *st, const char *tenant, long long id, json_t **out);
int hs_claim(struct handoff_store *st, const char *tenant, long long id, const char *agent, json_t **out);
/* Record an agent's reply (ticket message and transcript) under msg_key;
 * *out gets the ticket's routing: tenant_id, session_id, channel,
 * reply_partition, language. */
int hs_reply(struct handoff_store *st, const char *tenant, long long id, const char *msg_key, const char *agent,
	     const char *text, json_t **out);
/* Close the ticket and give the session back to the assistant; *out as
 * for hs_reply. */
int hs_close(struct handoff_store *st, const char *tenant, long long id, json_t **out);

/* Right to erasure: delete one customer's data (Redis memory of their
 * sessions; transcripts, tickets and their messages, feedback, knowledge
 * gaps, profile) and unlink what is kept (orders, return requests). *out
 * gets the count per kind. 0, -1, -2 (errstr). */
int hs_erase(struct handoff_store *st, const char *tenant, const char *customer_id, json_t **out, char *errstr,
	     size_t errlen);

#endif
