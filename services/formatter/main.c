/* formatter: chat.checked.v1 -> chat.outbound.v1 (partition = reply_partition). */
#include "formatter.h"
#include "svc.h"
#include "topics.h"
#include "util.h"

static struct svc_base base;
static const struct cfg_entry cfg[] = {
	SVC_BASE_CFG(base, "9107", "formatter"),
};

int main(int argc, char **argv)
{
	int rc = svc_init(&base, "formatter", "renders replies for each channel", cfg, ARRAY_LEN(cfg), argc, argv);
	if (rc)
		return rc > 0 ? 0 : 2;
	struct fmt f = { TOPIC_OUTBOUND };
	struct turn_stage ts = { "formatter", fmt_process, &f };
	struct kstage_route routes[] = { { TOPIC_CHECKED, turn_stage_handle, &ts } };
	return svc_run(&base, routes, 1, NULL, 0, NULL, NULL);
}
