/* handoff: handoff.requests.v1 -> tickets in PostgreSQL, the session's
 * owner in Redis, webhook notifications; the agent API; erasure. */
#include <curl/curl.h>

#include "api.h"
#include "handoff.h"
#include "log.h"
#include "notify.h"
#include "store.h"
#include "tokens.h"
#include "svc.h"
#include "topics.h"
#include "util.h"

static struct svc_base base;
static const char *database_url, *redis_url, *api_addr, *agent_token, *agent_tokens, *admin_token, *webhook_url;
static long api_port, owner_ttl_s, webhook_attempts, webhook_timeout_ms;
static const struct cfg_entry cfg[] = {
	SVC_BASE_CFG(base, "9109", "handoff"),
	{ "DATABASE_URL", CFG_STR, "postgresql://chat:chat@127.0.0.1:5432/chat", 0, 0, "tickets", &database_url },
	{ "REDIS_URL", CFG_STR, "redis://127.0.0.1:6379/0", 0, 0, "who owns a session; memory to erase",
	  &redis_url },
	{ "HANDOFF_API_ADDR", CFG_STR, "127.0.0.1", 0, 0, "address of the agent API", &api_addr },
	{ "HANDOFF_API_PORT", CFG_INT, "9110", 1, 65535, "port of the agent API", &api_port },
	{ "HANDOFF_AGENT_TOKEN", CFG_STR, "", 0, 0,
	  "operator's bearer token of the ticket endpoints: every tenant's tickets (empty: none)", &agent_token },
	{ "HANDOFF_AGENT_TOKENS", CFG_STR, "", 0, 0,
	  "tenants' bearer tokens, tenant=token,... (16+ characters each): each its own tickets only (empty: none)",
	  &agent_tokens },
	{ "HANDOFF_ADMIN_TOKEN", CFG_STR, "", 0, 0, "bearer token of the erasure endpoint (empty: disabled)",
	  &admin_token },
	{ "HANDOFF_WEBHOOK_URL", CFG_STR, "", 0, 0,
	  "agent notifications, Slack-compatible JSON {\"text\": ...} (empty: none)", &webhook_url },
	{ "HANDOFF_WEBHOOK_ATTEMPTS", CFG_INT, "4", 1, 20, "tries per notification", &webhook_attempts },
	{ "HANDOFF_WEBHOOK_TIMEOUT_MS", CFG_INT, "5000", 100, 60000, "time limit of one webhook POST",
	  &webhook_timeout_ms },
	{ "HANDOFF_OWNER_TTL_S", CFG_INT, "86400", 60, 2592000,
	  "how long an unclosed ticket keeps its session away from the assistant", &owner_ttl_s },
};

int main(int argc, char **argv)
{
	int rc = svc_init(&base, "handoff", "opens tickets for human agents, serves the agent API", cfg,
			  ARRAY_LEN(cfg), argc, argv);
	if (rc)
		return rc > 0 ? 0 : 2;
	struct htok_set tokens;
	char errstr[512];
	if (htok_set_init(&tokens, agent_token, agent_tokens, errstr, sizeof(errstr))) {
		log_error("refusing to start: %s", errstr);
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct notifier *nt = *webhook_url ? notifier_new(webhook_url, (int)webhook_attempts, 250,
							   (int)webhook_timeout_ms, 1024)
					   : NULL;
	/* The consumer and the API thread each have their own connections. */
	struct handoff_store *st = handoff_store_new(database_url, redis_url, owner_ttl_s, nt);
	struct handoff_store *api_st = handoff_store_new(database_url, redis_url, owner_ttl_s, nt);
	rd_kafka_conf_t *pc = kstage_base_conf(base.brokers, errstr, sizeof(errstr));
	if (!st || !api_st || !pc || kstage_producer_conf(pc, errstr, sizeof(errstr))) {
		if (!st || !api_st)
			snprintf(errstr, sizeof(errstr), "bad REDIS_URL");
		log_error("handoff cannot start: %s", errstr);
		return 2;
	}
	rd_kafka_conf_set_dr_msg_cb(pc, hapi_delivery_report);
	rd_kafka_t *producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, errstr, sizeof(errstr));
	if (!producer) {
		log_error("handoff cannot create its reply producer: %s", errstr);
		return 2;
	}
	struct hapi_conf ac = { api_addr, (int)api_port, &tokens, admin_token, api_st, producer };
	struct hapi *api = hapi_start(&ac, errstr, sizeof(errstr));
	if (!api) {
		log_error("%s", errstr);
		return 2;
	}
	if (!*agent_token && !tokens.n)
		log_warn("HANDOFF_AGENT_TOKEN and HANDOFF_AGENT_TOKENS are empty: the ticket endpoints refuse every "
			 "request");
	else
		log_info("agent API: operator token %s, %zu tenant token(s)", *agent_token ? "set" : "not set",
			 tokens.n);
	struct handoff h = { handoff_store_io(st) };
	struct kstage_route routes[] = { { TOPIC_HANDOFF, handoff_process, &h } };
	struct svc_check checks[] = { { "postgresql", cpg_check, (void *)database_url },
				      { "redis", credis_check, (void *)redis_url } };
	rc = svc_run(&base, routes, 1, checks, 2, NULL, NULL);
	hapi_stop(api);
	rd_kafka_flush(producer, 5000);
	rd_kafka_destroy(producer);
	notifier_free(nt);
	handoff_store_free(st);
	handoff_store_free(api_st);
	htok_set_release(&tokens);
	curl_global_cleanup();
	return rc;
}
