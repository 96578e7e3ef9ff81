/* wsclient: a small WebSocket client (RFC 6455) on plain sockets, for the
 * integration tests and the gateway benchmark: many connections from one
 * thread, each a socket to poll. Text frames only; pings are answered. */
#ifndef TOOLS_CHATCTL_WSCLIENT_H
#define TOOLS_CHATCTL_WSCLIENT_H

#include <stddef.h>

struct wsc {
	int fd;
	int status;   /* HTTP status of the upgrade (101 when open) */
	int closed;
	char *in;
	size_t inlen, incap;
	char *body;   /* response body when the upgrade was refused */
	long pings;   /* pings received (and answered) */
};

/* Connect to host:port and upgrade path (with its query). Blocking, with
 * timeout_ms per step. 0 when open; -1 with errstr (w->status holds the
 * HTTP status and w->body its body when the server refused). Optionally
 * bind to source address src (NULL: any), to spread many connections over
 * several loopback addresses. */
int wsc_connect(struct wsc *w, const char *host, int port, const char *path, const char *src, int timeout_ms,
		char *errstr, size_t errlen);
/* The same with extra request header lines (each ending in CRLF, e.g.
 * "Origin: https://shop.example.com\r\n"; NULL: none). */
int wsc_connect_hdrs(struct wsc *w, const char *host, int port, const char *path, const char *headers,
		     const char *src, int timeout_ms, char *errstr, size_t errlen);
/* Send one text frame (masked, as a client must). 0 or -1. */
int wsc_send(struct wsc *w, const char *text, size_t len);
/* Make the socket non-blocking (for poll/epoll loops). */
void wsc_nonblock(struct wsc *w);
/* Read what the socket has: >0 bytes, 0 at EOF, -1 on error, -2 when it
 * would block. */
int wsc_fill(struct wsc *w);
/* The next complete text message from what was read (heap, NUL-terminated;
 * caller frees), or NULL when none is complete yet. Pings are answered
 * (and counted in w->pings) and a close frame sets w->closed. */
char *wsc_next(struct wsc *w);
/* Block up to timeout_ms for the next text message; NULL on timeout/close. */
char *wsc_recv(struct wsc *w, int timeout_ms);
void wsc_close(struct wsc *w);

#endif
