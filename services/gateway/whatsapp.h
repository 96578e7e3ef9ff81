/* whatsapp: the WhatsApp Business Cloud API channel of the gateway.
 *
 *   GET  /v1/webhooks/whatsapp   Meta's verification handshake
 *   POST /v1/webhooks/whatsapp   signed notifications: verified over the raw
 *        bytes (X-Hub-Signature-256, HMAC-SHA256 with the app secret) before
 *        anything reads them, answered 200 at once and queued; a worker
 *        thread parses them, drops messages seen before (by wamid, Redis SET
 *        NX with a multi-day TTL), records the customer's last message time
 *        (the 24-hour customer-service window) and enqueues one Turn per
 *        message (channel WHATSAPP, one session per business number and
 *        customer, reply partition = this instance's ordinal).
 *   Replies: wa_reply queues a reply turn for the sender thread, which sends
 *        each rendered message with graph.c, inside the window only.
 *
 * The parsing, signature, window and id functions are pure (bytes in,
 * structs out), for unit tests and fuzzers. */
#ifndef SERVICES_GATEWAY_WHATSAPP_H
#define SERVICES_GATEWAY_WHATSAPP_H

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "turn.h"

#define WA_WEBHOOK_PATH "/v1/webhooks/whatsapp"
#define WA_SIGNATURE_HEADER "X-Hub-Signature-256"
#define WA_WINDOW_S (24 * 3600)   /* customer-service window */
#define WA_MAX_ID 256             /* wamid and other ids, bytes */
#define WA_MAX_PHONE 32           /* wa_id and phone_number_id, digits */
#define WA_MAX_MESSAGES 1000      /* messages taken from one notification */
#define WA_SID_LEN 36             /* "wa-" + 32 hex + NUL */

/* --- pure functions */

/* Check header (the X-Hub-Signature-256 value, "sha256=" and 64 hex digits
 * in either case) against HMAC-SHA256(secret, body) in constant time.
 * 0 when it matches; -1 when the header is missing or malformed; -2 when
 * it does not match (or the secret is empty). */
int wa_verify_signature(const char *secret, const void *body, size_t len, const char *header);

enum wa_kind {
	WA_TEXT,         /* text.body */
	WA_BUTTON_REPLY, /* interactive.button_reply: id, else title */
	WA_LIST_REPLY,   /* interactive.list_reply: id, else title */
	WA_BUTTON,       /* button (template quick reply): text, else payload */
	WA_UNSUPPORTED,  /* image, audio, location, reaction, ... */
};

/* One customer message of a notification. */
struct wa_message {
	enum wa_kind kind;
	char wamid[WA_MAX_ID + 1];
	char from[WA_MAX_PHONE + 1];            /* the customer's wa_id */
	char phone_number_id[WA_MAX_PHONE + 1]; /* our business number */
	char type[32];                          /* as Meta named it */
	char *text;                             /* heap; NULL for WA_UNSUPPORTED */
	int64_t timestamp;                      /* seconds since the epoch, 0 if absent */
};

struct wa_batch {
	struct wa_message *msgs;
	size_t n;
	size_t statuses; /* delivery/read statuses: ignored, counted */
	size_t invalid;  /* messages without a usable id, sender or number */
};

/* Parse a notification body (entry[].changes[].value.{metadata,messages,
 * statuses}). 0 with the messages in *b (release with wa_batch_release,
 * also after an error), or -1 with errstr when the body is not JSON or not
 * a WhatsApp notification. Text is cut to TURN_MAX_TEXT bytes on a UTF-8
 * boundary. */
int wa_parse_webhook(const char *body, size_t len, struct wa_batch *b, char *errstr, size_t errlen);
void wa_batch_release(struct wa_batch *b);

/* 1 when a customer message at last_us still allows free-form replies at
 * now_us (within window_s seconds), else 0 (also when last_us is 0). */
int wa_window_open(int64_t last_us, int64_t now_us, long window_s);

/* The session of a customer: "wa-" + 32 hex digits of SHA-256 over tenant,
 * business number and wa_id, so the phone number is not in logs or keys. */
void wa_session_id(const char *tenant, const char *phone_number_id, const char *wa_id, char out[WA_SID_LEN]);

/* --- the channel */

struct wa_conf {
	const char *verify_token;
	const char *app_secret;
	const char *access_token;
	const char *graph_base;
	const char *api_version;
	const char *redis_url;
	const char *tenant_id;  /* set by main.c */
	long ordinal;           /* set by main.c */
	long max_body;
	long dedupe_ttl_s;
	long window_s;
	long queue_max;
	long timeout_ms;
	long max_attempts;
	long backoff_ms;
};

/* Config rows for main.c's table (one line there: WA_CFG_ROWS(conf),). */
#define WA_CFG_ROWS(c)                                                                                          \
	{ "WHATSAPP_VERIFY_TOKEN", CFG_STR, "", 0, 0, "token Meta echoes in the webhook handshake (empty: webhook off)", \
	  &(c).verify_token },                                                                                  \
	    { "WHATSAPP_APP_SECRET", CFG_STR, "", 0, 0, "Meta app secret that signs webhooks (empty: webhook off)",  \
	      &(c).app_secret },                                                                                \
	    { "WHATSAPP_ACCESS_TOKEN", CFG_STR, "", 0, 0, "Graph API access token for replies (empty: webhook off)", \
	      &(c).access_token },                                                                              \
	    { "WHATSAPP_GRAPH_BASE", CFG_STR, "https://graph.facebook.com", 0, 0, "Graph API base URL",           \
	      &(c).graph_base },                                                                                \
	    { "WHATSAPP_API_VERSION", CFG_STR, "v21.0", 0, 0, "Graph API version", &(c).api_version },           \
	    { "WHATSAPP_MAX_BODY", CFG_INT, "262144", 1024, 4194304, "largest webhook body in bytes",             \
	      &(c).max_body },                                                                                  \
	    { "WHATSAPP_DEDUPE_TTL_S", CFG_INT, "691200", 60, 2592000,                                           \
	      "how long a message id is remembered (Meta retries for up to 7 days)", &(c).dedupe_ttl_s },       \
	    { "WHATSAPP_WINDOW_S", CFG_INT, "86400", 60, 86400, "customer-service window for free-form replies",  \
	      &(c).window_s },                                                                                  \
	    { "WHATSAPP_QUEUE_MAX", CFG_INT, "10000", 16, 1000000,                                               \
	      "webhooks and replies waiting for their worker", &(c).queue_max },                                 \
	    { "WHATSAPP_TIMEOUT_MS", CFG_INT, "10000", 100, 120000, "timeout of one Graph API request",           \
	      &(c).timeout_ms },                                                                                \
	    { "WHATSAPP_SEND_ATTEMPTS", CFG_INT, "4", 1, 20, "tries per message on 429, 5xx or no answer",        \
	      &(c).max_attempts },                                                                              \
	{                                                                                                       \
		"WHATSAPP_BACKOFF_MS", CFG_INT, "500", 0, 60000, "first backoff between tries (doubles)",         \
		    &(c).backoff_ms                                                                             \
	}

/* Where the channel keeps what outlives a request (Redis by default; an
 * in-memory one in unit tests). Called from two threads. */
struct wa_store {
	/* Set key for ttl_s seconds unless it exists: 1 set now, 0 it was
	 * there, -1 cannot tell (store unreachable). */
	int (*claim)(void *arg, const char *key, long ttl_s);
	void (*unclaim)(void *arg, const char *key);
	/* Hash key := {pnid, to, last_us = max(last_us, at_us)}, for ttl_s.
	 * 0, or -1 when unreachable. */
	int (*remember)(void *arg, const char *key, const char *pnid, const char *to, int64_t at_us, long ttl_s);
	/* Read it back (to and pnid have WA_MAX_PHONE + 1 bytes): 0, or -1
	 * when absent or unreachable. */
	int (*lookup)(void *arg, const char *key, char *to, char *pnid, int64_t *last_us);
	void *arg;
};

struct wa_io {
	/* Put turn on chat.inbound.v1 and wait for the broker's ack: 0, or -1
	 * with errstr. Called from the webhook worker thread. */
	int (*enqueue)(void *arg, const Chat__Turn *turn, char *errstr, size_t errlen);
	void *arg;
	const struct wa_store *store; /* NULL: Redis at conf->redis_url */
};

struct wa;

/* The channel, or NULL (logged once) when the secrets are unset: the
 * webhook then answers 404. Starts the worker and sender threads. */
struct wa *wa_new(const struct wa_conf *conf, struct wa_io io);
/* Stop the threads after the item each is on; later replies are queued
 * but not sent. Call before the Kafka producer stops being polled (the
 * worker may wait for a delivery report). Idempotent; wa may be NULL. */
void wa_stop(struct wa *wa);
/* wa_stop, then free (work still queued is dropped, with a log line). */
void wa_free(struct wa *wa);

/* 1 when url is the webhook's path. */
int wa_is_webhook(const char *url);
/* Largest body the webhook takes (a default when wa is NULL). */
size_t wa_max_body(const struct wa *wa);
/* Answer a webhook request whose body (len bytes, too_large when it went
 * past wa_max_body) has been read in full. wa may be NULL. */
enum MHD_Result wa_http_handle(struct wa *wa, struct MHD_Connection *conn, const char *method, const char *body,
			       size_t len, int too_large);

/* A reply for a WHATSAPP turn came back on this instance's partition:
 * queue it for the sender (the turn is copied; the caller keeps it). */
void wa_reply(struct wa *wa, const Chat__Turn *turn);

#endif
