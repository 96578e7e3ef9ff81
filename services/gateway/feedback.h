/* feedback: POST /v1/feedback bodies ({"session_id","turn_id","rating":
 * "up"|"down","comment"?}) into Feedback messages for chat.feedback.v1. */
#ifndef SERVICES_GATEWAY_FEEDBACK_H
#define SERVICES_GATEWAY_FEEDBACK_H

#include <stddef.h>

#include "gateway.h"
#include "turn.h"

#define GW_MAX_COMMENT 2000 /* bytes */

struct gw_feedback {
	char *session_id;
	char *turn_id;
	int rating; /* +1 up, -1 down */
	char *comment; /* may be NULL */
};

/* 0, or -1 with errstr saying what is wrong. Release with
 * gw_feedback_release. */
int gw_parse_feedback(const char *body, size_t len, struct gw_feedback *fb, char *errstr, size_t errlen);
void gw_feedback_release(struct gw_feedback *fb);

/* The message to publish (caller frees with gw_feedback_free). */
Chat__Feedback *gw_build_feedback(const char *tenant_id, const struct gw_feedback *fb, int64_t at_us);
void gw_feedback_free(Chat__Feedback *msg);

#endif
