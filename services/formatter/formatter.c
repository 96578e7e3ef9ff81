/* formatter: renders a checked turn for its channel. */
#include "formatter.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *action_name(Chat__Action a)
{
	switch (a) {
	case CHAT__ACTION__ACTION_ANSWER: return "answer";
	case CHAT__ACTION__ACTION_CLARIFY: return "clarify";
	case CHAT__ACTION__ACTION_HAND_OFF: return "hand_off";
	case CHAT__ACTION__ACTION_DECLINE: return "decline";
	default: return "answer";
	}
}

char *fmt_render_web(const Chat__Turn *turn)
{
	const Chat__Draft *dr = turn->draft;
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string("final"));
	json_object_set_new(o, "turn_id", json_string(turn->turn_id));
	json_object_set_new(o, "session_id", json_string(turn->session_id));
	json_object_set_new(o, "action", json_string(action_name(dr->action)));
	json_object_set_new(o, "text", json_string(dr->text));
	json_object_set_new(o, "language", json_string(turn->language));
	json_t *cites = json_array();
	for (size_t i = 0; i < dr->n_citations; i++) {
		json_t *c = json_object();
		json_object_set_new(c, "id", json_string(dr->citations[i]));
		for (size_t p = 0; p < turn->n_passages; p++)
			if (!strcmp(turn->passages[p]->id, dr->citations[i]))
				json_object_set_new(c, "title", json_string(turn->passages[p]->title));
		json_array_append_new(cites, c);
	}
	json_object_set_new(o, "citations", cites);
	json_t *qr = json_array();
	for (size_t i = 0; i < dr->n_quick_replies; i++)
		json_array_append_new(qr, json_pack("{s:s,s:s}", "title", dr->quick_replies[i]->title, "payload",
						    dr->quick_replies[i]->payload));
	json_object_set_new(o, "quick_replies", qr);
	json_t *cards = json_array();
	for (size_t i = 0; i < dr->n_cards; i++) {
		const Chat__ProductCard *c = dr->cards[i];
		json_array_append_new(cards, json_pack("{s:s,s:s,s:I,s:s,s:i}", "sku", c->sku, "name", c->name,
						       "price_sen", (json_int_t)c->price_sen, "currency", c->currency,
						       "stock", c->stock));
	}
	json_object_set_new(o, "cards", cards);
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

int fmt_process(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen)
{
	struct fmt *f = ctx;
	if (!turn->draft) {
		snprintf(errstr, errlen, "turn reached the formatter without a draft");
		return KSTAGE_EPOISON;
	}
	if (turn->reply_partition < 0) {
		snprintf(errstr, errlen, "turn has a negative reply_partition %d", turn->reply_partition);
		return KSTAGE_EPOISON;
	}
	char *body = fmt_render_web(turn);
	if (!turn->rendered) {
		turn->rendered = xmalloc(sizeof(*turn->rendered));
		chat__rendered__init(turn->rendered);
	}
	turn_set_str(&turn->rendered->content_type, "application/json");
	free(turn->rendered->payload.data);
	turn->rendered->payload.data = (uint8_t *)body;
	turn->rendered->payload.len = strlen(body);
	turn_route(d, f->out_topic, turn->reply_partition);
	return 0;
}
