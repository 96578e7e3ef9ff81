/* origin: which web pages may call the gateway from another origin. The
 * REST API answers CORS preflights and marks its responses for them; the
 * WebSocket listener refuses an upgrade from any other page.
 *
 * An origin is allowed when GATEWAY_ALLOWED_ORIGINS lists it exactly
 * (scheme://host[:port], compared without regard to case), when the list
 * holds "*" (every origin), or when its host name is the host the request
 * was sent to (the Host header; ports are not compared, because the
 * gateway's own page on the REST port opens its WebSocket on the next
 * port). A request without an Origin header (apps, chatctl, servers) is not
 * a browser's cross-origin request and is not checked. */
#ifndef SERVICES_GATEWAY_ORIGIN_H
#define SERVICES_GATEWAY_ORIGIN_H

#include <stddef.h>

#define GW_ORIGINS_MAX 64   /* origins in the list */
#define GW_ORIGIN_MAX 255   /* bytes of one origin */

struct gw_origins {
	char **list; /* the listed origins */
	size_t n;
	int any;     /* "*" was listed */
};

/* Parse csv (comma-separated origins, blanks around them ignored; empty:
 * none). 0, or -1 with errstr naming the entry that is not an origin; o
 * holds nothing then. Release with gw_origins_release. */
int gw_origins_init(struct gw_origins *o, const char *csv, char *errstr, size_t errlen);
void gw_origins_release(struct gw_origins *o);

/* 1 when origin (an Origin header) may call the gateway from a page on it,
 * host being the request's Host header (may be NULL); else 0. o NULL: an
 * empty list. */
int gw_origin_allowed(const struct gw_origins *o, const char *origin, const char *host);

/* 1 when origin's host name equals host's (both without port, case
 * ignored); 0 when not or when either is malformed or missing. */
int gw_origin_same_host(const char *origin, const char *host);

#endif
