/* orchestrator: routes classified turns and records delivered replies. */
#include "orchestrator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "topics.h"
#include "util.h"

struct template {
	const char *key, *en, *ms, *zh;
};

static const struct template templates[] = {
	{ "greeting", "Hi! I'm the store's assistant. How can I help you today?",
	  "Hai! Saya pembantu kedai. Apa yang boleh saya bantu hari ini?",
	  "您好！我是商店的智能助理，请问今天有什么可以帮您？" },
	{ "handoff", "I'm connecting you with a member of our team. They will reply here shortly.",
	  "Saya sedang menghubungkan anda dengan kakitangan kami. Mereka akan membalas di sini sebentar lagi.",
	  "正在为您转接我们的客服人员，他们很快会在这里回复您。" },
	{ "memory_unavailable", "(I may not remember earlier messages in this chat right now.)",
	  "(Saya mungkin tidak ingat mesej sebelum ini buat masa sekarang.)",
	  "（我目前可能无法记住此前的对话内容。）" },
};

const char *orch_template(const char *key, const char *lang)
{
	for (size_t i = 0; i < ARRAY_LEN(templates); i++) {
		const struct template *t = &templates[i];
		if (strcmp(t->key, key))
			continue;
		if (lang && !strcmp(lang, "ms"))
			return t->ms;
		if (lang && !strcmp(lang, "zh"))
			return t->zh;
		return t->en;
	}
	return "";
}

static void free_history(Chat__Turn *turn)
{
	for (size_t i = 0; i < turn->n_history; i++)
		chat__history_entry__free_unpacked(turn->history[i], NULL);
	turn->n_history = 0;
}

static void draft_template(Chat__Turn *turn, Chat__Action action, const char *key)
{
	Chat__Draft *dr = turn_draft(turn);
	dr->action = action;
	turn_set_str(&dr->text, orch_template(key, turn->language));
	turn_set_str(&dr->producer, "orchestrator/template");
}

int orch_route(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen)
{
	struct orch *o = ctx;
	(void)errstr;
	(void)errlen;
	/* A replayed turn gets its memory loaded afresh, never twice. */
	free_history(turn);
	int memory_ok = o->io.load_history(o->io.arg, turn, o->history_max) == 0;

	if (!strcmp(turn->intent, "human_agent")) {
		turn->route = CHAT__ROUTE__ROUTE_HANDOFF;
		draft_template(turn, CHAT__ACTION__ACTION_HAND_OFF, "handoff");
		turn_set_str(&turn->draft->reason, "customer asked for a person");
		turn_route(d, TOPIC_HANDOFF, RD_KAFKA_PARTITION_UA);
		turn_route(d, TOPIC_DRAFTED, RD_KAFKA_PARTITION_UA);
	} else if (!strcmp(turn->intent, "greeting")) {
		turn->route = CHAT__ROUTE__ROUTE_TEMPLATE;
		draft_template(turn, CHAT__ACTION__ACTION_ANSWER, "greeting");
		turn_route(d, TOPIC_DRAFTED, RD_KAFKA_PARTITION_UA);
	} else {
		turn->route = CHAT__ROUTE__ROUTE_RAG;
		turn_route(d, TOPIC_RETRIEVE, RD_KAFKA_PARTITION_UA);
	}
	if (!memory_ok && turn->draft) {
		char *text = xasprintf("%s %s", turn->draft->text, orch_template("memory_unavailable", turn->language));
		turn_set_str(&turn->draft->text, text);
		free(text);
	}
	return 0;
}

const char *orch_reply_text(const Chat__Turn *turn)
{
	return turn->draft ? turn->draft->text : "";
}

int orch_record(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen)
{
	struct orch *o = ctx;
	(void)em;
	Chat__Turn *turn = turn_decode(msg->payload, msg->len, errstr, errlen);
	if (!turn)
		return KSTAGE_EPOISON;
	const char *reply = orch_reply_text(turn);
	int rc = KSTAGE_OK;
	if (o->io.remember(o->io.arg, turn, reply, o->history_max) < 0)
		log_write(LOG_DEBUG, turn->trace_id, turn->session_id, "memory unreachable: reply not remembered");
	int prc = o->io.persist(o->io.arg, turn, reply, errstr, errlen);
	if (prc == -1) {
		snprintf(errstr, errlen, "transcript database unreachable");
		rc = KSTAGE_EBLOCKED;
	} else if (prc < 0) {
		rc = KSTAGE_ERETRY;
	}
	turn_free(turn);
	return rc;
}
