/* guardrail: checks a draft before the customer sees it. */
#include "guardrail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static int cited_passage_exists(const Chat__Turn *turn, const char *id)
{
	for (size_t i = 0; i < turn->n_passages; i++)
		if (!strcmp(turn->passages[i]->id, id))
			return 1;
	return 0;
}

static void add_flag(Chat__Verdict *v, const char *flag)
{
	v->flags = xrealloc(v->flags, (v->n_flags + 1) * sizeof(*v->flags));
	v->flags[v->n_flags++] = xstrdup(flag);
}

int guard_process(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen)
{
	struct guard *g = ctx;
	if (!turn->draft) {
		snprintf(errstr, errlen, "turn reached the guardrail without a draft");
		return KSTAGE_EPOISON;
	}
	if (!turn->verdict) {
		turn->verdict = xmalloc(sizeof(*turn->verdict));
		chat__verdict__init(turn->verdict);
	}
	Chat__Draft *draft = turn->draft;
	for (size_t i = 0; i < draft->n_citations; i++) {
		if (cited_passage_exists(turn, draft->citations[i]))
			continue;
		/* An answer that cites what was not retrieved is not grounded:
		 * the customer gets a person instead of a made-up source. */
		draft->action = CHAT__ACTION__ACTION_HAND_OFF;
		turn_set_str(&draft->text, "I can't answer that reliably, so I'm passing you to a member of our team.");
		turn_set_str(&draft->reason, "citation not among retrieved passages");
		add_flag(turn->verdict, "ungrounded_citation");
		turn->verdict->downgraded = 1;
		break;
	}
	turn_route(d, g->out_topic, RD_KAFKA_PARTITION_UA);
	return 0;
}

int guard_stream(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen)
{
	struct guard *g = ctx;
	Chat__StreamChunk *c = chat__stream_chunk__unpack(NULL, msg->len, msg->payload);
	if (!c) {
		snprintf(errstr, errlen, "cannot decode chat.StreamChunk from %zu bytes", msg->len);
		return KSTAGE_EPOISON;
	}
	if (!util_valid_id(c->session_id, 128) || !util_valid_id(c->turn_id, 64)) {
		snprintf(errstr, errlen, "chat.StreamChunk without a valid session_id and turn_id");
		chat__stream_chunk__free_unpacked(c, NULL);
		return KSTAGE_EPOISON;
	}
	size_t len = chat__stream_chunk__get_packed_size(c);
	void *buf = xmalloc(len);
	chat__stream_chunk__pack(c, buf);
	kstage_emit(em, g->stream_topic, c->reply_partition, c->session_id, strlen(c->session_id), buf, len);
	chat__stream_chunk__free_unpacked(c, NULL);
	return 0;
}
