/* retriever: attaches knowledge-base passages to a turn. */
#include "retriever.h"

#include <stdlib.h>

#include "log.h"
#include "util.h"

#define RETR_WARN_EVERY_US (10 * 1000000LL)

int retr_process(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen)
{
	struct retr *r = ctx;
	(void)errstr;
	(void)errlen;
	/* Passages from an earlier attempt at this turn are replaced, never
	 * appended to, so a replay gives the same turn. */
	for (size_t i = 0; i < turn->n_passages; i++)
		chat__passage__free_unpacked(turn->passages[i], NULL);
	free(turn->passages);
	turn->passages = NULL;
	turn->n_passages = 0;
	if (r->search && *turn->text) {
		Chat__Passage **ps = NULL;
		size_t n = 0;
		char why[256] = "";
		const char *tenant = turn_tenant(turn->tenant_id);
		const char *lang = *turn->language ? turn->language : "en";
		int rc = r->search(r->arg, tenant, lang, turn->text, r->top_k, &ps, &n, why, sizeof(why));
		if (rc == 0) {
			/* Never more than asked for, whatever the index returned. */
			for (size_t i = (size_t)r->top_k; i < n; i++)
				chat__passage__free_unpacked(ps[i], NULL);
			if (n) {
				turn->passages = ps;
				turn->n_passages = n < (size_t)r->top_k ? n : (size_t)r->top_k;
			} else {
				free(ps);
			}
		} else {
			r->failures++;
			int64_t now = util_mono_us();
			if (!r->last_warn_us || now - r->last_warn_us >= RETR_WARN_EVERY_US) {
				r->last_warn_us = now;
				log_write(LOG_WARN, turn->trace_id, turn->session_id,
					  "knowledge-base search failed (%s; %ld failure(s) so far); the turn goes on "
					  "without passages",
					  rc == -1 ? "index unreachable" : why, r->failures);
			}
		}
	}
	turn_route(d, r->out_topic, RD_KAFKA_PARTITION_UA);
	return 0;
}
