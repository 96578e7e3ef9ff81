/* orchestrator: chat.classified.v1 -> chat.retrieve.v1 | chat.drafted.v1 |
 * handoff.requests.v1; chat.outbound.v1 (own group) -> memory, transcripts. */
#include <stdlib.h>

#include "log.h"
#include "orchestrator.h"
#include "store.h"
#include "svc.h"
#include "topics.h"
#include "util.h"

static struct svc_base base;
static const char *redis_url, *database_url, *record_group, *min_confidence_s;
static long history_max, memory_ttl_s, max_failures;
static const struct cfg_entry cfg[] = {
	SVC_BASE_CFG(base, "9103", "orchestrator"),
	{ "ORCH_RECORD_GROUP_ID", CFG_STR, "orchestrator-record", 0, 0,
	  "consumer group that records delivered replies", &record_group },
	{ "REDIS_URL", CFG_STR, "redis://127.0.0.1:6379/0", 0, 0, "session memory", &redis_url },
	{ "DATABASE_URL", CFG_STR, "postgresql://chat:chat@127.0.0.1:5432/chat", 0, 0,
	  "transcripts, customers, orders", &database_url },
	{ "ORCH_HISTORY_TURNS", CFG_INT, "20", 1, 200, "memory entries kept and given to each turn",
	  &history_max },
	{ "ORCH_MIN_CONFIDENCE", CFG_STR, "0.5", 0, 0,
	  "intent confidence (0..1) below which a turn gets a clarifying question", &min_confidence_s },
	{ "ORCH_MAX_FAILURES", CFG_INT, "3", 1, 20,
	  "unanswered turns in a row (not found, clarify) before a person takes over", &max_failures },
	{ "ORCH_MEMORY_TTL_S", CFG_INT, "86400", 60, 2592000, "how long a quiet session is remembered",
	  &memory_ttl_s },
};

int main(int argc, char **argv)
{
	int rc = svc_init(&base, "orchestrator", "routes turns, keeps session memory and transcripts", cfg,
			  ARRAY_LEN(cfg), argc, argv);
	if (rc)
		return rc > 0 ? 0 : 2;
	char *end;
	double min_confidence = strtod(min_confidence_s, &end);
	if (end == min_confidence_s || *end || !(min_confidence >= 0.0 && min_confidence <= 1.0)) {
		log_error("ORCH_MIN_CONFIDENCE \"%s\" is not a number from 0 to 1", min_confidence_s);
		return 2;
	}
	/* Each consumer group runs on its own thread with its own connections. */
	struct orch_store *route_st = orch_store_new(redis_url, database_url, memory_ttl_s);
	struct orch_store *record_st = orch_store_new(redis_url, database_url, memory_ttl_s);
	if (!route_st || !record_st)
		return 2;
	struct orch route_o = { orch_store_io(route_st), (int)history_max, orch_store_tools(route_st),
				min_confidence, orch_store_session(route_st), (int)max_failures };
	struct orch record_o = { orch_store_io(record_st), (int)history_max, orch_store_tools(record_st),
				 min_confidence, orch_store_session(record_st), (int)max_failures };
	struct turn_stage ts = { "orchestrator", orch_route, &route_o };
	struct kstage_route route_routes[] = { { TOPIC_CLASSIFIED, turn_stage_handle, &ts } };
	struct kstage_route record_routes[] = { { TOPIC_OUTBOUND, orch_record, &record_o } };
	struct svc_stage stages[] = {
		{ NULL, route_routes, 1 },
		{ record_group, record_routes, 1 },
	};
	struct svc_check checks[] = {
		{ "redis", credis_check, (void *)redis_url },
		{ "postgresql", cpg_check, (void *)database_url },
	};
	rc = svc_run_stages(&base, stages, 2, checks, 2, NULL, NULL);
	orch_store_free(route_st);
	orch_store_free(record_st);
	return rc;
}
