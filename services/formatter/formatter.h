/* formatter: renders a checked turn for its channel and sends it to the
 * partition of the gateway instance that holds the customer's connection.
 *   WEB, MOBILE, unspecified: the web JSON event (application/json).
 *   API: the same JSON plus "plain_text", the reply as plain text, because
 *        REST, SSE and WebSocket share one event shape (docs/api.md).
 *   WHATSAPP: a JSON array of Graph API message objects without "to"
 *        (FMT_WA_CONTENT_TYPE); the gateway adds the recipient and sends each. */
#ifndef SERVICES_FORMATTER_H
#define SERVICES_FORMATTER_H

#include <stddef.h>

#include "turn.h"

#define FMT_WA_CONTENT_TYPE "application/vnd.whatsapp.messages+json"

/* WhatsApp Cloud API limits, in characters as WhatsApp counts them. We
 * count UTF-16 code units (a character outside the BMP, e.g. most emoji,
 * counts 2), which never undercounts whichever way Meta counts. */
#define FMT_WA_TEXT_MAX 4096         /* text.body */
#define FMT_WA_BODY_MAX 1024         /* interactive.body.text */
#define FMT_WA_BUTTONS_MAX 3         /* reply buttons per message */
#define FMT_WA_BUTTON_TITLE_MAX 20
#define FMT_WA_BUTTON_ID_MAX 256
#define FMT_WA_ROWS_MAX 10           /* rows over all sections of a list */
#define FMT_WA_ROW_TITLE_MAX 24
#define FMT_WA_ROW_DESC_MAX 72
#define FMT_WA_ROW_ID_MAX 200
#define FMT_WA_LIST_BUTTON_MAX 20    /* the button that opens the list */
#define FMT_WA_SECTION_TITLE_MAX 24
#define FMT_WA_MAX_TEXT_MESSAGES 8   /* longer text is cut, with an ellipsis */

struct fmt {
	const char *out_topic;
};

/* Render the turn's draft as the web/mobile JSON reply (heap string). */
char *fmt_render_web(const Chat__Turn *turn);
/* The web JSON plus "plain_text" (heap string), for the API channel. */
char *fmt_render_api(const Chat__Turn *turn);
/* The reply as plain text: the text, then the cited sources as numbered
 * titles, the quick replies and the products as lists (heap string). */
char *fmt_render_plain(const Chat__Turn *turn);
/* The reply as a JSON array of WhatsApp message objects (heap string). */
char *fmt_render_whatsapp(const Chat__Turn *turn);

/* Length of UTF-8 s in WhatsApp characters (UTF-16 code units). */
size_t fmt_wa_len(const char *s);
/* s cut to at most max WhatsApp characters, never inside a UTF-8
 * sequence, ending in "…" when cut (heap string). max >= 1. */
char *fmt_wa_truncate(const char *s, size_t max);
/* Split text into parts of at most max WhatsApp characters, preferring a
 * paragraph end, then a sentence end (. ! ? and 。！？), then a space, and
 * only then a character boundary. Parts are trimmed and non-empty. Returns
 * the number of parts in the heap array *parts (free each and the array).
 * max >= 16. */
size_t fmt_wa_split(const char *text, size_t max, char ***parts);

/* turn_fn: fill rendered for the turn's channel, route to out_topic at
 * reply_partition. */
int fmt_process(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen);

#endif
