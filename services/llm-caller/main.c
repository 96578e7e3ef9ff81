/* llm-caller: chat.grounded.v1 -> chat.drafted.v1. */
#include "llm-caller.h"
#include "svc.h"
#include "topics.h"
#include "util.h"

static struct svc_base base;
static const char *provider;
static const struct cfg_entry cfg[] = {
	SVC_BASE_CFG(base, "9105", "llm-caller"),
	{ "LLM_PROVIDER", CFG_STR, "echo", 0, 0, "answer provider: echo", &provider },
};

int main(int argc, char **argv)
{
	int rc = svc_init(&base, "llm-caller", "writes grounded draft answers", cfg, ARRAY_LEN(cfg), argc, argv);
	if (rc)
		return rc > 0 ? 0 : 2;
	struct llm l = { TOPIC_DRAFTED, provider };
	struct turn_stage ts = { "llm-caller", llm_process, &l };
	struct kstage_route routes[] = { { TOPIC_GROUNDED, turn_stage_handle, &ts } };
	return svc_run(&base, routes, 1, NULL, 0, NULL, NULL);
}
