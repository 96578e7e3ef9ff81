/* handoff: opens a ticket for a human agent. */
#include "handoff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define SUMMARY_HISTORY 6
#define SUMMARY_LAST_BYTES 2000
#define SUMMARY_ENTRY_BYTES 300
/* Room for the header lines, the last message and every history entry at
 * their caps, so nothing is ever cut off the end. */
#define SUMMARY_MAX (512 + SUMMARY_LAST_BYTES + SUMMARY_HISTORY * (SUMMARY_ENTRY_BYTES + 64))

/* Append "label: text" cut to at most cap bytes at a character boundary. */
static size_t put_clipped(char *s, size_t o, const char *label, const char *text, size_t cap)
{
	size_t n = util_utf8_prefix(text, cap);
	o += (size_t)snprintf(s + o, SUMMARY_MAX - o, "%s%.*s%s\n", label, (int)n, text, n < strlen(text) ? "…" : "");
	return o;
}

char *handoff_summary(const Chat__Turn *turn)
{
	char *s = xmalloc(SUMMARY_MAX);
	size_t o = 0;
	const char *reason = turn->draft && *turn->draft->reason ? turn->draft->reason : "not given";
	o += (size_t)snprintf(s + o, SUMMARY_MAX - o, "Reason: %.200s\nIntent: %s (confidence %.2f), language %s\n",
			      reason, *turn->intent ? turn->intent : "unknown", (double)turn->confidence,
			      *turn->language ? turn->language : "unknown");
	/* The message that asked for a person comes first: it must survive. */
	o = put_clipped(s, o, "Last message: ", turn->text, SUMMARY_LAST_BYTES);
	size_t first = turn->n_history > SUMMARY_HISTORY ? turn->n_history - SUMMARY_HISTORY : 0;
	if (turn->n_history)
		o += (size_t)snprintf(s + o, SUMMARY_MAX - o, "Recent conversation:\n");
	for (size_t i = first; i < turn->n_history; i++) {
		char label[48];
		snprintf(label, sizeof(label), "  %.24s: ", turn->history[i]->role);
		o = put_clipped(s, o, label, turn->history[i]->text, SUMMARY_ENTRY_BYTES);
	}
	return s;
}

int handoff_process(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen)
{
	struct handoff *h = ctx;
	(void)em;
	Chat__Turn *turn = turn_decode(msg->payload, msg->len, errstr, errlen);
	if (!turn)
		return KSTAGE_EPOISON;
	char *summary = handoff_summary(turn);
	int rc = h->io.open_ticket(h->io.arg, turn, summary, errstr, errlen);
	free(summary);
	turn_free(turn);
	if (rc == -1) {
		snprintf(errstr, errlen, "ticket database unreachable");
		return KSTAGE_EBLOCKED;
	}
	return rc < 0 ? KSTAGE_ERETRY : KSTAGE_OK;
}
