/* guardrail: chat.drafted.v1 -> chat.checked.v1, chat.stream.raw.v1 -> chat.stream.v1. */
#include <stdio.h>
#include <string.h>

#include "guardrail.h"
#include "redact.h"
#include "svc.h"
#include "topics.h"
#include "util.h"

static struct svc_base base;
static long max_streams, stream_ttl_s;
static const struct cfg_entry cfg[] = {
	SVC_BASE_CFG(base, "9106", "guardrail"),
	{ "GUARDRAIL_MAX_STREAMS", CFG_INT, "4096", 1, 1000000,
	  "turns whose stream redaction state is kept at once (the least recently fed goes first)", &max_streams },
	{ "GUARDRAIL_STREAM_TTL_S", CFG_INT, "300", 1, 86400,
	  "seconds without a chunk after which a turn's stream state is flushed and dropped", &stream_ttl_s },
};

int main(int argc, char **argv)
{
	/* `guardrail --redact`: a filter for evaluation, no Kafka. */
	if (argc == 2 && !strcmp(argv[1], "--redact"))
		return redact_filter(stdin, stdout) ? 1 : 0;
	int rc = svc_init(&base, "guardrail", "checks drafts and streamed text before customers see them\n"
			  "(guardrail --redact: redact each line of stdin to stdout, no Kafka)", cfg,
			  ARRAY_LEN(cfg), argc, argv);
	if (rc)
		return rc > 0 ? 0 : 2;
	struct guard g;
	guard_init(&g, TOPIC_CHECKED, TOPIC_STREAM, (size_t)max_streams, stream_ttl_s);
	struct turn_stage ts = { "guardrail", guard_process, &g };
	struct kstage_route routes[] = {
		{ TOPIC_DRAFTED, turn_stage_handle, &ts },
		{ TOPIC_STREAM_RAW, guard_stream, &g },
	};
	rc = svc_run(&base, routes, 2, NULL, 0, NULL, NULL);
	guard_release(&g);
	return rc;
}
