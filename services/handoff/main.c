/* handoff: handoff.requests.v1 -> tickets in PostgreSQL. */
#include "handoff.h"
#include "store.h"
#include "svc.h"
#include "topics.h"
#include "util.h"

static struct svc_base base;
static const char *database_url;
static const struct cfg_entry cfg[] = {
	SVC_BASE_CFG(base, "9109", "handoff"),
	{ "DATABASE_URL", CFG_STR, "postgresql://chat:chat@127.0.0.1:5432/chat", 0, 0, "tickets", &database_url },
};

int main(int argc, char **argv)
{
	int rc = svc_init(&base, "handoff", "opens tickets for human agents", cfg, ARRAY_LEN(cfg), argc, argv);
	if (rc)
		return rc > 0 ? 0 : 2;
	struct cpg *pg = cpg_new(database_url);
	struct handoff h = { handoff_store_io(pg) };
	struct kstage_route routes[] = { { TOPIC_HANDOFF, handoff_process, &h } };
	struct svc_check checks[] = { { "postgresql", cpg_check, (void *)database_url } };
	rc = svc_run(&base, routes, 1, checks, 1, NULL, NULL);
	cpg_free(pg);
	return rc;
}
