/* intent-classifier: chat.inbound.v1 -> chat.classified.v1. */
#include "intent-classifier.h"
#include "svc.h"
#include "topics.h"
#include "util.h"

static struct svc_base base;
static const struct cfg_entry cfg[] = {
	SVC_BASE_CFG(base, "9102", "intent-classifier"),
};

int main(int argc, char **argv)
{
	int rc = svc_init(&base, "intent-classifier", "labels each customer message with intent and language", cfg,
			  ARRAY_LEN(cfg), argc, argv);
	if (rc)
		return rc > 0 ? 0 : 2;
	struct ic ic = { TOPIC_CLASSIFIED };
	struct turn_stage ts = { "intent-classifier", ic_process, &ic };
	struct kstage_route routes[] = { { TOPIC_INBOUND, turn_stage_handle, &ts } };
	return svc_run(&base, routes, 1, NULL, 0, NULL, NULL);
}
