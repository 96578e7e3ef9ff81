/* guardrail: chat.drafted.v1 -> chat.checked.v1, chat.stream.raw.v1 -> chat.stream.v1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpg.h"
#include "guardrail.h"
#include "injection.h"
#include "log.h"
#include "redact.h"
#include "services/intent-classifier/model.h"
#include "store.h"
#include "svc.h"
#include "topics.h"
#include "util.h"

#define INJECTION_MODEL_DEFAULT "build/models/injection.model"
#define COMPETITORS_DEFAULT "deploy/demo/competitors.tsv"

static struct svc_base base;
static long max_streams, stream_ttl_s;
static const char *database_url, *injection_model_path, *competitors_path, *injection_threshold_s;
static int price_check;
static const struct cfg_entry cfg[] = {
	SVC_BASE_CFG(base, "9106", "guardrail"),
	{ "GUARDRAIL_MAX_STREAMS", CFG_INT, "4096", 1, 1000000,
	  "turns whose stream state is kept at once (the least recently fed goes first)", &max_streams },
	{ "GUARDRAIL_STREAM_TTL_S", CFG_INT, "300", 1, 86400,
	  "seconds without a chunk after which a turn's stream state is flushed and dropped", &stream_ttl_s },
	{ "DATABASE_URL", CFG_STR, "postgresql://chat:chat@127.0.0.1:5432/chat", 0, 0,
	  "catalog (products, prices) for the price check", &database_url },
	{ "GUARD_PRICE_CHECK", CFG_BOOL, "1", 0, 0, "check prices in drafts against the live catalog", &price_check },
	{ "GUARD_INJECTION_MODEL", CFG_STR, INJECTION_MODEL_DEFAULT, 0, 0,
	  "prompt-injection model written by intent-train (\"\": rules only)", &injection_model_path },
	{ "GUARD_INJECTION_THRESHOLD", CFG_STR, "0.5", 0, 0,
	  "injection score (0..1) above which a turn is declined; above 1 turns the check off",
	  &injection_threshold_s },
	{ "GUARD_COMPETITORS_FILE", CFG_STR, COMPETITORS_DEFAULT, 0, 0,
	  "competitor names per tenant (tenant<TAB>name lines; \"\": none)", &competitors_path },
};

/* A threshold as text: a number in [0, 2]. */
static int parse_threshold(const char *s, float *out)
{
	char *end;
	float v = strtof(s, &end);
	if (end == s || *end || !(v >= 0.0f && v <= 2.0f))
		return -1;
	*out = v;
	return 0;
}

/* `guardrail --injection`: score stdin lines, no Kafka. Reads
 * GUARD_INJECTION_MODEL and GUARD_INJECTION_THRESHOLD from the environment. */
static int injection_main(void)
{
	const char *path = getenv("GUARD_INJECTION_MODEL");
	const char *ts = getenv("GUARD_INJECTION_THRESHOLD");
	float threshold = GUARD_INJECTION_THRESHOLD_DEFAULT;
	if (ts && parse_threshold(ts, &threshold) < 0) {
		fprintf(stderr, "guardrail: GUARD_INJECTION_THRESHOLD must be a number in [0, 2]\n");
		return 2;
	}
	if (!path)
		path = INJECTION_MODEL_DEFAULT;
	struct icm *model = NULL;
	if (path[0]) {
		char errstr[256];
		model = icm_load(path, errstr, sizeof(errstr));
		if (!model) {
			fprintf(stderr, "guardrail: cannot load the injection model (GUARD_INJECTION_MODEL): %s\n", errstr);
			return 2;
		}
	}
	int rc = guard_injection_filter(model, threshold, stdin, stdout);
	icm_free(model);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	/* `guardrail --redact`, `guardrail --injection`: filters for
	 * evaluation, no Kafka. */
	if (argc == 2 && !strcmp(argv[1], "--redact"))
		return redact_filter(stdin, stdout) ? 1 : 0;
	if (argc == 2 && !strcmp(argv[1], "--injection"))
		return injection_main();
	int rc = svc_init(&base, "guardrail", "checks drafts and streamed text before customers see them\n"
			  "(guardrail --redact: redact each line of stdin to stdout;\n"
			  " guardrail --injection: `score<TAB>flag` for each line of stdin; no Kafka)", cfg,
			  ARRAY_LEN(cfg), argc, argv);
	if (rc)
		return rc > 0 ? 0 : 2;
	float threshold;
	if (parse_threshold(injection_threshold_s, &threshold) < 0) {
		log_error("configuration: GUARD_INJECTION_THRESHOLD \"%s\" is not a number in [0, 2]", injection_threshold_s);
		return 2;
	}
	char errstr[256];
	struct icm *model = NULL;
	if (injection_model_path[0]) {
		model = icm_load(injection_model_path, errstr, sizeof(errstr));
		if (!model) {
			log_error("configuration: cannot load the injection model (GUARD_INJECTION_MODEL): %s", errstr);
			return 2;
		}
	}
	struct guard_comp comp = { .n = 0 };
	if (competitors_path[0] && guard_comp_load(&comp, competitors_path, errstr, sizeof(errstr)) < 0) {
		log_error("configuration: %s (GUARD_COMPETITORS_FILE)", errstr);
		icm_free(model);
		return 2;
	}
	log_info("injection check: model \"%s\", threshold %.2f; %zu competitor names; price check %s",
		 injection_model_path, (double)threshold, comp.n, price_check ? "on" : "off");
	struct guard g;
	guard_init(&g, TOPIC_CHECKED, TOPIC_STREAM, (size_t)max_streams, stream_ttl_s);
	g.injection_model = model;
	g.injection_threshold = threshold;
	g.competitors = &comp;
	struct guard_store *store = NULL;
	if (price_check) {
		store = guard_store_new(database_url);
		g.io = guard_store_io(store);
	}
	struct kstage_route routes[] = {
		{ TOPIC_DRAFTED, guard_drafted, &g },
		{ TOPIC_STREAM_RAW, guard_stream, &g },
	};
	struct svc_check checks[] = { { "postgresql", cpg_check, (void *)database_url } };
	rc = svc_run(&base, routes, 2, checks, price_check ? 1 : 0, NULL, NULL);
	guard_release(&g);
	guard_store_free(store);
	guard_comp_release(&comp);
	icm_free(model);
	return rc;
}
