/* retriever: chat.retrieve.v1 -> chat.grounded.v1. */
#include "retriever.h"
#include "svc.h"
#include "topics.h"
#include "util.h"

static struct svc_base base;
static long top_k;
static const struct cfg_entry cfg[] = {
	SVC_BASE_CFG(base, "9104", "retriever"),
	{ "RETRIEVER_TOP_K", CFG_INT, "5", 1, 50, "passages attached to a turn", &top_k },
};

int main(int argc, char **argv)
{
	int rc = svc_init(&base, "retriever", "attaches knowledge-base passages to a turn", cfg, ARRAY_LEN(cfg),
			  argc, argv);
	if (rc)
		return rc > 0 ? 0 : 2;
	struct retr r = { TOPIC_GROUNDED, (int)top_k };
	struct turn_stage ts = { "retriever", retr_process, &r };
	struct kstage_route routes[] = { { TOPIC_RETRIEVE, turn_stage_handle, &ts } };
	return svc_run(&base, routes, 1, NULL, 0, NULL, NULL);
}
