/* llm-caller: chat.grounded.v1 -> chat.stream.raw.v1 (chunks as they arrive)
 * and chat.drafted.v1 (the turn with its draft). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm-caller.h"
#include "log.h"
#include "svc.h"
#include "topics.h"
#include "util.h"

static struct svc_base base;
static struct llm_config lc;
static const struct cfg_entry cfg[] = {
	SVC_BASE_CFG(base, "9105", "llm-caller"),
	{ "LLM_PROVIDER", CFG_STR, "offline", 0, 0, "answer provider: offline, openai or bedrock", &lc.provider },
	{ "LLM_BASE_URL", CFG_STR, "", 0, 0,
	  "openai: base URL up to /v1 (e.g. https://api.openai.com/v1); bedrock: endpoint override", &lc.base_url },
	{ "LLM_MODEL", CFG_STR, "", 0, 0, "model name (openai) or model id (bedrock)", &lc.model },
	{ "LLM_API_KEY", CFG_STR, "", 0, 0, "openai: bearer key (empty: no Authorization header)", &lc.api_key },
	{ "AWS_REGION", CFG_STR, "us-east-1", 0, 0, "bedrock: region", &lc.region },
	{ "AWS_ACCESS_KEY_ID", CFG_STR, "", 0, 0, "bedrock: access key", &lc.access_key },
	{ "AWS_SECRET_ACCESS_KEY", CFG_STR, "", 0, 0, "bedrock: secret key", &lc.secret_key },
	{ "AWS_SESSION_TOKEN", CFG_STR, "", 0, 0, "bedrock: session token (temporary credentials)",
	  &lc.session_token },
	{ "LLM_CONNECT_TIMEOUT_MS", CFG_INT, "2000", 100, 60000, "connect timeout", &lc.connect_timeout_ms },
	{ "LLM_FIRST_TOKEN_TIMEOUT_MS", CFG_INT, "8000", 100, 120000, "time allowed until the first response byte",
	  &lc.first_token_timeout_ms },
	{ "LLM_TOTAL_TIMEOUT_MS", CFG_INT, "30000", 500, 600000, "time allowed for a whole reply",
	  &lc.total_timeout_ms },
	{ "LLM_RETRIES", CFG_INT, "2", 0, 10, "retries of a failed call (only before any chunk was sent)",
	  &lc.retries },
	{ "LLM_BACKOFF_MS", CFG_INT, "200", 0, 60000, "retry backoff base (doubled per retry, plus jitter)",
	  &lc.backoff_ms },
	{ "LLM_BREAKER_THRESHOLD", CFG_INT, "5", 0, 1000, "consecutive failures that open the circuit (0: never)",
	  &lc.breaker_threshold },
	{ "LLM_BREAKER_COOLDOWN_MS", CFG_INT, "30000", 100, 3600000, "open time before a half-open probe",
	  &lc.breaker_cooldown_ms },
	{ "LLM_BUDGET_TOKENS", CFG_INT, "3000", 200, 200000, "prompt token budget (L2 trimmed first)",
	  &lc.budget_tokens },
	{ "LLM_MAX_TOKENS", CFG_INT, "512", 16, 32000, "most tokens a reply may have", &lc.max_tokens },
	{ "LLM_TOOL_CHOICE", CFG_STR, "required", 0, 0,
	  "openai tool_choice: required, auto, or a tool's name (answer, clarify, hand_off, decline)",
	  &lc.tool_choice },
	{ "LLM_STREAM_FLUSH_MS", CFG_INT, "0", 0, 10000,
	  "wait up to this long for a turn's stream chunks to be written before its draft (0: do not wait; the "
	  "guardrail takes chunks and drafts in any order)",
	  &lc.stream_flush_ms },
	{ "LLM_TENANT_DIR", CFG_STR, "deploy/tenants", 0, 0, "folder of <tenant>.conf L0 files (name, tone, rule)",
	  &lc.tenant_dir },
};

static rd_kafka_t *producer;
static volatile int delivery_failed;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
	(void)rk;
	(void)opaque;
	if (rkm->err)
		delivery_failed = 1;
}

static int kafka_chunk(void *arg, const Chat__StreamChunk *c)
{
	(void)arg;
	size_t len = chat__stream_chunk__get_packed_size(c);
	void *buf = xmalloc(len);
	chat__stream_chunk__pack(c, buf);
	rd_kafka_resp_err_t err = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(TOPIC_STREAM_RAW),
						    RD_KAFKA_V_KEY(c->session_id, strlen(c->session_id)),
						    RD_KAFKA_V_VALUE(buf, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE),
						    RD_KAFKA_V_END);
	if (err) {
		free(buf);
		return -1;
	}
	rd_kafka_poll(producer, 0);
	return 0;
}

static int kafka_flush(void *arg, int timeout_ms)
{
	(void)arg;
	if (timeout_ms <= 0) {
		/* no wait: serve delivery reports; a failure shows on a later turn */
		rd_kafka_poll(producer, 0);
		int failed = delivery_failed;
		delivery_failed = 0;
		return failed ? -1 : 0;
	}
	int rc = rd_kafka_flush(producer, timeout_ms) ? -1 : 0;
	if (delivery_failed) {
		delivery_failed = 0;
		rc = -1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	int rc = svc_init(&base, "llm-caller", "writes grounded draft answers, streaming their text", cfg,
			  ARRAY_LEN(cfg), argc, argv);
	if (rc)
		return rc > 0 ? 0 : 2;
	char errstr[512];
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rd_kafka_conf_t *pc = kstage_base_conf(base.brokers, errstr, sizeof(errstr));
	if (!pc || kstage_producer_conf(pc, errstr, sizeof(errstr))) {
		log_error("llm-caller: producer config: %s", errstr);
		return 2;
	}
	rd_kafka_conf_set_dr_msg_cb(pc, on_delivery);
	producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, errstr, sizeof(errstr));
	if (!producer) {
		log_error("llm-caller: cannot create the stream producer: %s", errstr);
		return 2;
	}
	struct llm l;
	struct llm_sink sink = { NULL, kafka_chunk, kafka_flush };
	char err[256];
	if (llm_init(&l, TOPIC_DRAFTED, &lc, &sink, err) < 0) {
		log_error("llm-caller: %s", err);
		rd_kafka_destroy(producer);
		return 2;
	}
	log_info("llm-caller: provider %s%s%s", l.provider.name, lc.model[0] ? ", model " : "", lc.model);
	struct turn_stage ts = { "llm-caller", llm_process, &l };
	struct kstage_route routes[] = { { TOPIC_GROUNDED, turn_stage_handle, &ts } };
	rc = svc_run(&base, routes, 1, NULL, 0, NULL, NULL);
	rd_kafka_flush(producer, 5000);
	rd_kafka_destroy(producer);
	llm_release(&l);
	curl_global_cleanup();
	return rc;
}
