/* client: the gateway's REST API from the client side (libcurl), used by
 * chatctl and the integration tests. */
#ifndef TOOLS_CHATCTL_CLIENT_H
#define TOOLS_CHATCTL_CLIENT_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdint.h>

struct cc_http {
	CURL *curl;
	char base[256]; /* e.g. http://127.0.0.1:8080 */
};

/* One handle per thread; keeps its connection alive between calls. */
int cc_http_init(struct cc_http *h, const char *base_url);
void cc_http_release(struct cc_http *h);

/* POST /v1/sessions: open a session (a guest when assertion is NULL, else
 * the customer the retailer's signed assertion names; locale may be NULL).
 * On 201 the session id goes to sid_out and its token is remembered for
 * every later call on that session (refreshed before it expires). *status
 * and *resp as below. */
int cc_open_session(struct cc_http *h, const char *assertion, const char *locale, char *sid_out, size_t sid_len,
		    long *status, json_t **resp, char *errstr, size_t errlen);
/* The remembered token of session sid (refreshing it when it is close to
 * expiry) as a heap string, or NULL when none is known. */
char *cc_token(struct cc_http *h, const char *sid);
/* Remember token for sid, valid for expires_in seconds. */
void cc_set_token(const char *sid, const char *token, long expires_in);

/* POST /v1/sessions/{sid}/messages (with the session's token). wait_ms 0 returns at once (202).
 * *status gets the HTTP status and *resp the parsed JSON body (caller
 * json_decref()s; NULL when the body was not JSON). -1 with errstr on a
 * transport error. client_msg_id may be NULL. */
int cc_post_message(struct cc_http *h, const char *sid, const char *text, const char *client_msg_id, int wait_ms,
		    long *status, json_t **resp, char *errstr, size_t errlen);
/* GET /v1/sessions/{sid}/events?after=N&wait=MS. */
int cc_get_events(struct cc_http *h, const char *sid, uint64_t after, int wait_ms, long *status, json_t **resp,
		  char *errstr, size_t errlen);
/* Request url with an optional JSON body (POST when body is non-NULL) and
 * optional extra headers (NULL-terminated array; may be NULL). */
int cc_request(struct cc_http *h, const char *url, const char *body, const char *const *headers, long timeout_ms,
	       long *status, char **resp_body, char *errstr, size_t errlen);
/* GET any URL; *body is a heap string (caller frees). */
int cc_get(struct cc_http *h, const char *url, long *status, char **body, char *errstr, size_t errlen);

/* Microseconds between stage_times entries `from` and `to` of a reply
 * event, or -1 when either is missing. */
int64_t cc_stage_delta(const json_t *event, const char *from, const char *to);

#endif
