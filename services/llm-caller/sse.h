/* sse: an incremental parser of text/event-stream (the WHATWG "server-sent
 * events" format that OpenAI-compatible servers stream): bytes in, events
 * out. Pure; fuzzable. */
#ifndef SERVICES_LLM_CALLER_SSE_H
#define SERVICES_LLM_CALLER_SSE_H

#include <stddef.h>

#define SSE_MAX_LINE (256 * 1024) /* a longer line is an error */
#define SSE_MAX_DATA (1024 * 1024) /* an event's data joined */

/* One event: its type ("message" unless an event: field said otherwise) and
 * its data lines joined by '\n' (NUL-terminated; valid during the call).
 * A non-zero return stops sse_feed, which returns it. */
typedef int (*sse_event_fn)(void *arg, const char *event, const char *data, size_t len);

struct sse_parser {
	char *line;
	size_t len, cap;
	char *data;
	size_t dlen, dcap;
	int has_data;
	char event[64];
	int after_cr; /* the last byte was '\r': a following '\n' ends nothing */
	int failed;
};

void sse_init(struct sse_parser *p);
void sse_release(struct sse_parser *p);
/* Feed len bytes, split anywhere; calls fn per complete event (a blank
 * line ends one; lines end in \n, \r\n or \r; ':' lines are comments).
 * Returns 0, the callback's value, or -1 with errstr (line or data too
 * long), after which the parser stays failed. */
int sse_feed(struct sse_parser *p, const char *buf, size_t len, sse_event_fn fn, void *arg, char errstr[256]);

#endif
