/* handoff: opens a ticket for a human agent when a turn is handed off, with
 * a summary of the conversation, the intents seen, the order ids and the
 * customer's context; while a person owns the session (from claim or first
 * reply until close), the customer's messages are added to the ticket. Storage and notifications reach it through
 * struct handoff_io, so tests drive it without PostgreSQL, Redis or HTTP. */
#ifndef SERVICES_HANDOFF_H
#define SERVICES_HANDOFF_H

#include "turn.h"

/* What a new ticket holds besides the turn's ids. */
struct handoff_ticket {
	const char *summary;
	const char *intents_json;   /* JSON array of strings */
	const char *order_ids_json; /* JSON array of strings */
	const char *context_json;   /* JSON object */
};

struct handoff_io {
	/* The ticket (not closed) that holds the turn's session: its id, 0 when
	 * none, -1 database unreachable, -2 refused. */
	long long (*session_ticket)(void *arg, const Chat__Turn *turn);
	/* Create the ticket opened by turn (idempotent by turn_id). Its id
	 * (>0) with *created 1 when new, 0 when a replay; -1, -2 as above. */
	long long (*open_ticket)(void *arg, const Chat__Turn *turn, const struct handoff_ticket *t, int *created,
				 char *errstr, size_t errlen);
	/* Add a message to ticket, idempotent by msg_key. 1 added, 0 already
	 * there, -1, -2. */
	int (*append)(void *arg, long long ticket, const char *msg_key, const char *role, const char *text);
	/* Queue a notification for the agents (never blocks). May be NULL. */
	void (*notify)(void *arg, const char *text);
	void *arg;
};

struct handoff {
	struct handoff_io io;
};

/* A plain-text summary for the agent: reason, intent, the last remembered
 * exchanges and the message that asked for a person. Heap string. */
char *handoff_summary(const Chat__Turn *turn);

/* The intents seen in the conversation (history, then this turn), each once,
 * as a JSON array. Heap string. */
char *handoff_intents_json(const Chat__Turn *turn);
/* Order ids named in the conversation (entities, texts) and, for a
 * signed-in customer, their recent orders, each once, as a JSON array. */
char *handoff_order_ids_json(const Chat__Turn *turn);
/* The customer and their L1 context as a JSON object. Heap string. */
char *handoff_context_json(const Chat__Turn *turn);

/* The notification text for a new ticket or a new customer message on one:
 * ids, reason, language; never the customer's words. Heap string. */
char *handoff_notify_text(int new_ticket, long long ticket, const Chat__Turn *turn);

/* kstage handler for handoff.requests.v1: open a ticket, or add the
 * customer's message to the session's open ticket. */
int handoff_process(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen);

#endif
