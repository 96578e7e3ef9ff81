/* handoff: opens a ticket for a human agent when a turn is handed off, with
 * a summary of the conversation. Storage reaches it through struct
 * handoff_io. */
#ifndef SERVICES_HANDOFF_H
#define SERVICES_HANDOFF_H

#include "turn.h"

struct handoff_io {
	/* Create the ticket opened by turn (idempotent by turn_id). 0, -1 when
	 * the database is unreachable, -2 when it refused (errstr). */
	int (*open_ticket)(void *arg, const Chat__Turn *turn, const char *summary, char *errstr, size_t errlen);
	void *arg;
};

struct handoff {
	struct handoff_io io;
};

/* A plain-text summary for the agent: reason, intent, the last remembered
 * exchanges and the message that asked for a person. Heap string. */
char *handoff_summary(const Chat__Turn *turn);

/* kstage handler for handoff.requests.v1. */
int handoff_process(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen);

#endif
