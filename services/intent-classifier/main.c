/* intent-classifier: chat.inbound.v1 -> chat.classified.v1; with --classify,
 * labels stdin lines for operators and evaluation. */
#include <stdlib.h>
#include <string.h>

#include "intent-classifier.h"
#include "log.h"
#include "svc.h"
#include "topics.h"
#include "util.h"

static struct svc_base base;
static const char *model_path, *min_conf_s, *stores_s;
static const struct cfg_entry cfg[] = {
	SVC_BASE_CFG(base, "9102", "intent-classifier"),
	{ "INTENT_MODEL", CFG_STR, "build/models/intent.model", 0, 0,
	  "intent model file written by intent-train (relative to the working directory)", &model_path },
	{ "INTENT_MIN_CONFIDENCE", CFG_STR, "0.5", 0, 0,
	  "confidence (0..1) below which a turn counts as uncertain; the intent stays the model's best guess",
	  &min_conf_s },
	{ "INTENT_STORES", CFG_STR, "Mid Valley,Sunway Pyramid,Penang Gurney,Johor Bahru,IOI City,Penang,Gurney,Sunway,Johor,Putrajaya", 0, 0,
	  "comma-separated store names recognized as entities", &stores_s },
};

int main(int argc, char **argv)
{
	int rc = svc_init(&base, "intent-classifier",
			  "labels each customer message with intent, language and entities "
			  "(--classify: stdin lines -> intent<TAB>confidence<TAB>language)",
			  cfg, ARRAY_LEN(cfg), argc, argv);
	if (rc)
		return rc > 0 ? 0 : 2;
	int classify = 0;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--classify"))
			classify = 1;

	char *end;
	double min_conf = strtod(min_conf_s, &end);
	if (end == min_conf_s || *end || !(min_conf >= 0 && min_conf <= 1)) {
		log_error("configuration: INTENT_MIN_CONFIDENCE=\"%s\" is not a number in 0..1", min_conf_s);
		return 2;
	}
	static struct ent_stores stores;
	static char stores_buf[2048];
	if (ent_stores_parse(&stores, stores_s, stores_buf, sizeof(stores_buf)) < 0) {
		log_error("configuration: INTENT_STORES holds more than %d names or is too long", ENT_MAX_STORES);
		return 2;
	}
	char errstr[512];
	struct icm *model = icm_load(model_path, errstr, sizeof(errstr));
	if (!model) {
		log_error("configuration: cannot load the intent model (INTENT_MODEL): %s", errstr);
		return 2;
	}
	if (classify) {
		ic_classify_stream(model, stdin, stdout);
		icm_free(model);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	log_info("loaded intent model \"%s\" with %d labels", model_path, icm_nlabels(model));

	struct ic ic = { TOPIC_CLASSIFIED, model, &stores, (float)min_conf };
	struct turn_stage ts = { "intent-classifier", ic_process, &ic };
	struct kstage_route routes[] = { { TOPIC_INBOUND, turn_stage_handle, &ts } };
	rc = svc_run(&base, routes, 1, NULL, 0, NULL, NULL);
	icm_free(model);
	return rc;
}
