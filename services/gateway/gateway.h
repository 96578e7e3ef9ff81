/* gateway: the customers' edge. It turns each incoming message into a Turn
 * for chat.inbound.v1 and keeps, per session, the replies that came back on
 * this instance's partition of chat.outbound.v1, delivering each turn's
 * reply exactly once however often the pipeline replays it. This file is
 * the session and reply bookkeeping; http.c is the REST surface and main.c
 * the Kafka wiring. */
#ifndef SERVICES_GATEWAY_H
#define SERVICES_GATEWAY_H

#include <pthread.h>
#include <stdint.h>

#include "turn.h"

struct gw;
typedef void (*gw_event_fn)(void *arg, const char *sid, uint64_t seq, const char *json);

#define GW_MAX_SESSION_ID 128
#define GW_MAX_CLIENT_MSG_ID 64

struct gw_conf {
	const char *tenant_id;
	int ordinal;          /* reply partition this instance owns */
	int events_per_session;
	long max_sessions;    /* sessions held in memory; past it the least recently active go */
	long session_ttl_s;
	long dedupe_capacity; /* turn ids remembered as delivered */
	long event_memory;    /* bytes of sessions and their events held in memory, 0: no limit;
	                       * past it the least recently active sessions go (Redis keeps them) */
};

/* A customer message as the REST body carries it. */
struct gw_msg {
	char *text;
	char *client_msg_id; /* may be NULL */
	Chat__Channel channel;
};

struct gw;

struct gw *gw_new(const struct gw_conf *conf);
void gw_free(struct gw *gw);

/* Parse and validate a message body: a JSON object with "text" (1..8192
 * bytes of UTF-8, not only white space), optional "client_msg_id" (an id of
 * at most 64 characters of [A-Za-z0-9._:-]) and "channel" ("web", "mobile",
 * "api"). 0, or -1 with errstr saying what is wrong. Free with
 * gw_msg_release. */
int gw_parse_message(const char *body, size_t len, struct gw_msg *msg, char *errstr, size_t errlen);
void gw_msg_release(struct gw_msg *msg);

/* A new Turn for msg in session sid, stamped "gateway". Its turn_id is
 * derived from (tenant, session, client_msg_id) when the client gave one,
 * so a retried POST names the same turn; else random. Caller frees. */
/* The customer's text as it may enter the system: an NRIC or a card number
 * (Luhn-valid) is replaced by its kind in brackets at the edge, so it never
 * reaches Kafka, memory, transcripts, tickets or logs. Contact details stay
 * (order look-ups and agents need them). Fresh heap string. */
char *gw_scrub_text(const char *text);

Chat__Turn *gw_build_turn(struct gw *gw, const char *sid, const struct gw_msg *msg);

/* Make sure session sid exists (a message creates it). */
void gw_touch_session(struct gw *gw, const char *sid);

/* Session sid is alive: mark it active and return 0, or -1 when it is
 * unknown (never opened here, or swept after its TTL). */
int gw_session_alive(struct gw *gw, const char *sid);

/* A reply arrived from chat.outbound.v1: stamp it, and append it to its
 * session's events unless this turn was delivered already. Returns 1 when
 * delivered, 0 for a duplicate, -1 when the turn has no rendered reply. */
int gw_deliver(struct gw *gw, Chat__Turn *turn);

/* A chunk arrived from chat.stream.v1: append a delta event {"type":
 * "delta","seq","turn_id","text"} to its session unless the session is
 * unknown here, the chunk was seen (replay) or the turn's final reply was
 * delivered already. 1 delivered, 0 dropped, -1 malformed. */
int gw_deliver_chunk(struct gw *gw, const Chat__StreamChunk *chunk);

/* Called for every event appended to a session, in seq order per session,
 * with the gateway's lock held: it must only hand the event on. */
void gw_set_listener(struct gw *gw, gw_event_fn fn, void *arg);

/* Call fn for each event of session sid with seq > after, in order. -1 when
 * the session is unknown. */
int gw_replay(struct gw *gw, const char *sid, uint64_t after, gw_event_fn fn, void *arg);

/* Rebuild session sid from logged events (JSON documents with "seq",
 * "type" and "turn_id", oldest first) unless it is held already; finals
 * count as delivered, so a replayed reply is not delivered twice. */
void gw_session_restore(struct gw *gw, const char *sid, const char *const *events, size_t n);

/* Wait up to timeout_ms for the reply of turn_id in session sid. 0 with a
 * heap copy of the event JSON, -1 on timeout or shutdown. */
int gw_wait_reply(struct gw *gw, const char *sid, const char *turn_id, int timeout_ms, char **event_json);

/* Events of session sid after seq `after`, waiting up to wait_ms for at
 * least one. 0 with a heap JSON document {"session_id","events":[...],
 * "next":N}, -1 when the session is unknown. */
int gw_events(struct gw *gw, const char *sid, uint64_t after, int wait_ms, char **json);

/* Forget sessions idle longer than the TTL with nobody waiting. Returns the
 * number removed. */
size_t gw_sweep(struct gw *gw, int64_t now_us);
size_t gw_session_count(struct gw *gw);
/* Bytes of sessions and events held, as counted against event_memory. */
size_t gw_memory_bytes(struct gw *gw);

/* Wake every waiter; later waits return at once. */
void gw_shutdown(struct gw *gw);
/* 1 after gw_shutdown. */
int gw_stopping(struct gw *gw);
const char *gw_tenant(const struct gw *gw);

#endif
