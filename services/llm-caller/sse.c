/* sse: text/event-stream parser. */
#include "sse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void sse_init(struct sse_parser *p)
{
	memset(p, 0, sizeof(*p));
}

void sse_release(struct sse_parser *p)
{
	free(p->line);
	free(p->data);
	memset(p, 0, sizeof(*p));
}

static int put(char **b, size_t *len, size_t *cap, const char *s, size_t n, size_t max)
{
	if (*len + n + 1 > max)
		return -1;
	if (*len + n + 1 > *cap) {
		size_t c = *cap ? *cap : 256;
		while (c < *len + n + 1)
			c *= 2;
		*b = xrealloc(*b, c);
		*cap = c;
	}
	memcpy(*b + *len, s, n);
	*len += n;
	(*b)[*len] = '\0';
	return 0;
}

/* One complete line (without its end). */
static int line_done(struct sse_parser *p, sse_event_fn fn, void *arg, char errstr[256])
{
	const char *l = p->line ? p->line : "";
	size_t n = p->len;
	p->len = 0;
	if (n == 0) {
		if (!p->has_data) {
			p->event[0] = '\0';
			return 0;
		}
		/* Dispatch: the data without its last '\n'. */
		if (p->dlen > 0 && p->data[p->dlen - 1] == '\n')
			p->data[--p->dlen] = '\0';
		int rc = fn ? fn(arg, p->event[0] ? p->event : "message", p->data ? p->data : "", p->dlen) : 0;
		p->dlen = 0;
		p->has_data = 0;
		p->event[0] = '\0';
		return rc;
	}
	if (l[0] == ':')
		return 0;
	const char *colon = memchr(l, ':', n);
	size_t fl = colon ? (size_t)(colon - l) : n;
	const char *v = colon ? colon + 1 : l + n;
	size_t vl = colon ? n - fl - 1 : 0;
	if (vl > 0 && v[0] == ' ') {
		v++;
		vl--;
	}
	if (fl == 4 && !memcmp(l, "data", 4)) {
		if (put(&p->data, &p->dlen, &p->dcap, v, vl, SSE_MAX_DATA) < 0 ||
		    put(&p->data, &p->dlen, &p->dcap, "\n", 1, SSE_MAX_DATA) < 0) {
			snprintf(errstr, 256, "sse: event data longer than %d bytes", SSE_MAX_DATA);
			return -1;
		}
		p->has_data = 1;
	} else if (fl == 5 && !memcmp(l, "event", 5)) {
		size_t k = vl < sizeof(p->event) - 1 ? vl : sizeof(p->event) - 1;
		memcpy(p->event, v, k);
		p->event[k] = '\0';
	}
	/* id, retry and unknown fields: nothing for us. */
	return 0;
}

int sse_feed(struct sse_parser *p, const char *buf, size_t len, sse_event_fn fn, void *arg, char errstr[256])
{
	if (p->failed) {
		snprintf(errstr, 256, "sse: parser failed earlier");
		return -1;
	}
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		if (c != '\n' && c != '\r') {
			p->after_cr = 0;
			continue;
		}
		if (c == '\n' && p->after_cr) {
			p->after_cr = 0;
			start = i + 1;
			continue;
		}
		p->after_cr = c == '\r';
		if (put(&p->line, &p->len, &p->cap, buf + start, i - start, SSE_MAX_LINE) < 0) {
			snprintf(errstr, 256, "sse: line longer than %d bytes", SSE_MAX_LINE);
			p->failed = 1;
			return -1;
		}
		start = i + 1;
		int rc = line_done(p, fn, arg, errstr);
		if (rc < 0)
			p->failed = 1;
		if (rc)
			return rc;
	}
	if (start < len && put(&p->line, &p->len, &p->cap, buf + start, len - start, SSE_MAX_LINE) < 0) {
		snprintf(errstr, 256, "sse: line longer than %d bytes", SSE_MAX_LINE);
		p->failed = 1;
		return -1;
	}
	return 0;
}
