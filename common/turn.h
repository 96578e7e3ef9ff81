/* turn: helpers for the Turn envelope, and the adapter that makes a pure
 * `Turn -> Turn` stage function into a kstage handler. */
#ifndef COMMON_TURN_H
#define COMMON_TURN_H

#include <stddef.h>
#include <stdint.h>

#include "kstage.h"
#include "proto/chat.pb-c.h"

#define TURN_MAX_DESTS 4
#define TURN_MAX_TEXT 8192 /* bytes of customer text a turn may carry */

/* Decode and validate a Turn (turn_id and session_id present and sane).
 * NULL with errstr when the bytes are not a usable Turn. Free with
 * turn_free. */
Chat__Turn *turn_decode(const void *buf, size_t len, char *errstr, size_t errlen);
/* Serialize into a fresh heap buffer (caller frees). */
void *turn_encode(const Chat__Turn *turn, size_t *len);
void turn_free(Chat__Turn *turn);

/* Replace a string field of a message that was unpacked or built with
 * these helpers; the old value is freed, val is copied. */
void turn_set_str(char **field, const char *val);
/* Append a stage timestamp (now). */
void turn_stamp(Chat__Turn *turn, const char *stage);
/* The turn's draft, created empty when missing. */
Chat__Draft *turn_draft(Chat__Turn *turn);
/* A fresh Turn with every string field set to the empty default. */
Chat__Turn *turn_new(void);

/* The tenant a message belongs to: its tenant_id, or TURN_DEFAULT_TENANT
 * when the producer left it empty (one rule for turns and events alike). */
#define TURN_DEFAULT_TENANT "demo"
const char *turn_tenant(const char *tenant_id);

/* Where a stage sends the turn it processed. */
struct turn_dests {
	const char *topic[TURN_MAX_DESTS];
	int32_t partition[TURN_MAX_DESTS];
	int n;
};
/* Add a destination; partition RD_KAFKA_PARTITION_UA means by session key. */
void turn_route(struct turn_dests *d, const char *topic, int32_t partition);

/* A stage's pure logic: read and fill the turn, name its destinations.
 * Return 0, KSTAGE_ERETRY or KSTAGE_EPOISON with errstr. */
typedef int (*turn_fn)(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen);

struct turn_stage {
	const char *stage; /* name stamped into stage_times */
	turn_fn fn;
	void *ctx;
};

/* kstage_handler_fn for a struct turn_stage *ctx: decode, run, stamp,
 * encode once per destination keyed by session_id. */
int turn_stage_handle(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr,
		      size_t errlen);

#endif
