/* handoff: handoff.requests.v1 -> tickets in PostgreSQL. */
#include <stdio.h>
#include <string.h>

#include "cpg.h"
#include "handoff.h"
#include "svc.h"
#include "topics.h"
#include "util.h"

static struct svc_base base;
static const char *database_url;
static const struct cfg_entry cfg[] = {
	SVC_BASE_CFG(base, "9109", "handoff"),
	{ "DATABASE_URL", CFG_STR, "postgresql://chat:chat@127.0.0.1:5432/chat", 0, 0, "tickets", &database_url },
};

static int open_ticket(void *arg, const Chat__Turn *turn, const char *summary, char *errstr, size_t errlen)
{
	static const char sql[] = "INSERT INTO handoff_tickets (ticket_key, tenant_id, session_id, customer_id, "
				  "reason, summary) VALUES ($1, $2, $3, NULLIF($4, ''), $5, $6) "
				  "ON CONFLICT (ticket_key) DO NOTHING";
	const char *params[] = { turn->turn_id,
				 *turn->tenant_id ? turn->tenant_id : "demo",
				 turn->session_id,
				 turn->customer ? turn->customer->id : "",
				 turn->draft ? turn->draft->reason : "",
				 summary };
	PGresult *res = cpg_exec(arg, sql, 6, params);
	if (!res)
		return -1;
	int rc = 0;
	if (!cpg_ok(res)) {
		snprintf(errstr, errlen, "ticket insert failed: %s", PQresultErrorMessage(res));
		errstr[strcspn(errstr, "\n")] = '\0';
		rc = -2;
	}
	PQclear(res);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = svc_init(&base, "handoff", "opens tickets for human agents", cfg, ARRAY_LEN(cfg), argc, argv);
	if (rc)
		return rc > 0 ? 0 : 2;
	struct cpg *pg = cpg_new(database_url);
	struct handoff h = { { open_ticket, pg } };
	struct kstage_route routes[] = { { TOPIC_HANDOFF, handoff_process, &h } };
	struct svc_check checks[] = { { "postgresql", cpg_check, (void *)database_url } };
	rc = svc_run(&base, routes, 1, checks, 1, NULL, NULL);
	cpg_free(pg);
	return rc;
}
