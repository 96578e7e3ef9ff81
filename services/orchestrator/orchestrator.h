/* orchestrator: decides how each classified turn is answered (template,
 * tool, retrieval or a person), gives it the session's memory, and records
 * every delivered reply (memory and transcript). Storage reaches it through
 * struct orch_io, so tests drive it without Redis or PostgreSQL. */
#ifndef SERVICES_ORCHESTRATOR_H
#define SERVICES_ORCHESTRATOR_H

#include "turn.h"

struct orch_io {
	/* Append up to max remembered entries of the turn's session to
	 * turn->history, oldest first. 0, or -1 when memory is unreachable. */
	int (*load_history)(void *arg, Chat__Turn *turn, int max);
	/* Remember a delivered exchange (customer text and reply), keeping at
	 * most max entries; a second call for the same turn_id changes
	 * nothing. 0, or -1 when memory is unreachable. */
	int (*remember)(void *arg, const Chat__Turn *turn, const char *reply, int max);
	/* Store the exchange in the transcript, idempotent by turn_id. 0, -1
	 * when the database is unreachable, -2 when it refused (errstr). */
	int (*persist)(void *arg, const Chat__Turn *turn, const char *reply, char *errstr, size_t errlen);
	void *arg;
};

struct orch {
	struct orch_io io;
	int history_max;
};

/* The localized template for a key ("greeting", "handoff",
 * "memory_unavailable") in language lang (en, ms, zh; others get en). */
const char *orch_template(const char *key, const char *lang);

/* turn_fn for chat.classified.v1: load memory, choose the route, and either
 * draft the reply from a template (-> chat.drafted.v1), ask for passages
 * (-> chat.retrieve.v1), or hand off (-> chat.drafted.v1 and
 * handoff.requests.v1). */
int orch_route(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen);

/* kstage handler for chat.outbound.v1: remember and persist the delivered
 * reply. A database that is down holds the message in Kafka. */
int orch_record(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen);

/* The reply text of a delivered turn (its draft text), or "". */
const char *orch_reply_text(const Chat__Turn *turn);

#endif
