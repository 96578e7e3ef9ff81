/* fake_graph: a local WhatsApp Cloud API (Graph API) for the integration
 * tests. It answers POST /{version}/{phone_number_id}/messages like Meta
 * does ({"messaging_product","contacts","messages":[{"id"}]}) after
 * checking the version, the bearer token and the JSON shape of the body;
 * anything else gets Meta's error shape with HTTP 400 or 401. Every request
 * is recorded, good or bad. */
#ifndef TESTS_INTEGRATION_FAKE_GRAPH_H
#define TESTS_INTEGRATION_FAKE_GRAPH_H

#include <stddef.h>

#define FG_MAX_RECORDS 256

struct fg_record {
	int ok;             /* passed every check */
	char problem[160];  /* why not, when !ok */
	char phone_number_id[40];
	char to[40];
	char type[32];      /* text, interactive, ... */
	char *body;         /* the request body (heap) */
};

struct fake_graph;

/* Listen on 127.0.0.1:port expecting version and token. NULL when the
 * port is taken. */
struct fake_graph *fg_start(int port, const char *version, const char *token);
void fg_stop(struct fake_graph *fg);

/* Records so far whose "to" is to (all when NULL), copied into out (up to
 * n; free each body with fg_records_free). Returns how many matched. */
size_t fg_records(struct fake_graph *fg, const char *to, struct fg_record *out, size_t n);
void fg_records_free(struct fg_record *recs, size_t n);
/* Wait up to timeout_ms for at least want records for to; returns the
 * count reached. */
size_t fg_wait(struct fake_graph *fg, const char *to, size_t want, int timeout_ms);

/* Check one request the way the Graph API would: "" when good, else the
 * problem (static string). Pure, for unit use too. */
const char *fg_check(const char *path, const char *auth, const char *body, size_t len, const char *version,
		     const char *token, char *pnid, size_t pnidlen, char *to, size_t tolen, char *type,
		     size_t typelen);

#endif
