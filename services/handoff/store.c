/* store: handoff tickets in PostgreSQL. */
#include "store.h"


static int open_ticket(void *arg, const Chat__Turn *turn, const char *summary, char *errstr, size_t errlen)
{
	static const char sql[] = "INSERT INTO handoff_tickets (ticket_key, tenant_id, session_id, customer_id, "
				  "reason, summary) VALUES ($1, $2, $3, NULLIF($4, ''), $5, $6) "
				  "ON CONFLICT (ticket_key) DO NOTHING";
	const char *params[] = { turn->turn_id,
				 turn_tenant(turn->tenant_id),
				 turn->session_id,
				 turn->customer ? turn->customer->id : "",
				 turn->draft ? turn->draft->reason : "",
				 summary };
	return cpg_run(arg, sql, 6, params, NULL, errstr, errlen);
}

struct handoff_io handoff_store_io(struct cpg *pg)
{
	return (struct handoff_io){ open_ticket, pg };
}
