/* guardrail: chat.drafted.v1 -> chat.checked.v1, chat.stream.raw.v1 -> chat.stream.v1. */
#include "guardrail.h"
#include "svc.h"
#include "topics.h"
#include "util.h"

static struct svc_base base;
static const struct cfg_entry cfg[] = {
	SVC_BASE_CFG(base, "9106", "guardrail"),
};

int main(int argc, char **argv)
{
	int rc = svc_init(&base, "guardrail", "checks drafts and streamed text before customers see them", cfg,
			  ARRAY_LEN(cfg), argc, argv);
	if (rc)
		return rc > 0 ? 0 : 2;
	struct guard g = { TOPIC_CHECKED, TOPIC_STREAM };
	struct turn_stage ts = { "guardrail", guard_process, &g };
	struct kstage_route routes[] = {
		{ TOPIC_DRAFTED, turn_stage_handle, &ts },
		{ TOPIC_STREAM_RAW, guard_stream, &g },
	};
	return svc_run(&base, routes, 2, NULL, 0, NULL, NULL);
}
