/* handoff: opens a ticket for a human agent. */
#include "handoff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define SUMMARY_MAX 4096
#define SUMMARY_HISTORY 6

char *handoff_summary(const Chat__Turn *turn)
{
	char *s = xmalloc(SUMMARY_MAX);
	size_t o = 0;
	const char *reason = turn->draft && *turn->draft->reason ? turn->draft->reason : "not given";
	o += (size_t)snprintf(s + o, SUMMARY_MAX - o, "Reason: %s\nIntent: %s (confidence %.2f), language %s\n",
			      reason, *turn->intent ? turn->intent : "unknown", (double)turn->confidence,
			      *turn->language ? turn->language : "unknown");
	size_t first = turn->n_history > SUMMARY_HISTORY ? turn->n_history - SUMMARY_HISTORY : 0;
	if (turn->n_history && o < SUMMARY_MAX)
		o += (size_t)snprintf(s + o, SUMMARY_MAX - o, "Recent conversation:\n");
	for (size_t i = first; i < turn->n_history && o < SUMMARY_MAX; i++)
		o += (size_t)snprintf(s + o, SUMMARY_MAX - o, "  %s: %s\n", turn->history[i]->role,
				      turn->history[i]->text);
	if (o < SUMMARY_MAX)
		snprintf(s + o, SUMMARY_MAX - o, "Last message: %s\n", turn->text);
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
