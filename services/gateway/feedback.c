/* feedback: parse and build ratings of replies. */
#include "feedback.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int gw_parse_feedback(const char *body, size_t len, struct gw_feedback *fb, char *errstr, size_t errlen)
{
	json_error_t jerr;
	memset(fb, 0, sizeof(*fb));
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(errstr, errlen, "malformed JSON at line %d column %d: %s", jerr.line, jerr.column, jerr.text);
		return -1;
	}
	int rc = -1;
	const char *sid = json_string_value(json_object_get(root, "session_id"));
	const char *tid = json_string_value(json_object_get(root, "turn_id"));
	const char *rating = json_string_value(json_object_get(root, "rating"));
	json_t *comment = json_object_get(root, "comment");
	if (!json_is_object(root)) {
		snprintf(errstr, errlen, "the body must be a JSON object");
	} else if (!sid || !util_valid_id(sid, GW_MAX_SESSION_ID)) {
		snprintf(errstr, errlen, "\"session_id\" is required: 1..%d letters, digits and . _ : -", GW_MAX_SESSION_ID);
	} else if (!tid || !util_valid_id(tid, 64)) {
		snprintf(errstr, errlen, "\"turn_id\" is required: the turn_id of the rated reply");
	} else if (!rating || (strcmp(rating, "up") && strcmp(rating, "down"))) {
		snprintf(errstr, errlen, "\"rating\" must be \"up\" or \"down\"");
	} else if (comment && !json_is_null(comment) &&
		   (!json_is_string(comment) || json_string_length(comment) > GW_MAX_COMMENT ||
		    memchr(json_string_value(comment), '\0', json_string_length(comment)))) {
		snprintf(errstr, errlen, "\"comment\" must be a string of at most %d bytes", GW_MAX_COMMENT);
	} else {
		fb->session_id = xstrdup(sid);
		fb->turn_id = xstrdup(tid);
		fb->rating = !strcmp(rating, "up") ? 1 : -1;
		if (json_is_string(comment) && json_string_length(comment))
			fb->comment = xstrdup(json_string_value(comment));
		rc = 0;
	}
	json_decref(root);
	return rc;
}

void gw_feedback_release(struct gw_feedback *fb)
{
	free(fb->session_id);
	free(fb->turn_id);
	free(fb->comment);
	memset(fb, 0, sizeof(*fb));
}

Chat__Feedback *gw_build_feedback(const char *tenant_id, const struct gw_feedback *fb, int64_t at_us)
{
	Chat__Feedback *m = xmalloc(sizeof(*m));
	chat__feedback__init(m);
	m->tenant_id = xstrdup(tenant_id);
	m->session_id = xstrdup(fb->session_id);
	m->turn_id = xstrdup(fb->turn_id);
	m->rating = fb->rating;
	m->comment = xstrdup(fb->comment ? fb->comment : "");
	m->at_us = at_us;
	return m;
}

void gw_feedback_free(Chat__Feedback *m)
{
	if (!m)
		return;
	free(m->tenant_id);
	free(m->session_id);
	free(m->turn_id);
	free(m->comment);
	free(m);
}
