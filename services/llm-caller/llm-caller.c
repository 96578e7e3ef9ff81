/* llm-caller: writes the draft answer of a RAG turn. */
#include "llm-caller.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int llm_process(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen)
{
	struct llm *l = ctx;
	if (strcmp(l->provider, "echo")) {
		snprintf(errstr, errlen, "unknown LLM provider \"%s\"", l->provider);
		return KSTAGE_ERETRY;
	}
	Chat__Draft *draft = turn_draft(turn);
	char *text = xasprintf("You said: %s", turn->text);
	turn_set_str(&draft->text, text);
	free(text);
	draft->action = CHAT__ACTION__ACTION_ANSWER;
	turn_set_str(&draft->producer, "llm-caller/echo");
	turn_route(d, l->out_topic, RD_KAFKA_PARTITION_UA);
	return 0;
}
