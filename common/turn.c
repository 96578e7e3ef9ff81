/* turn: helpers for the Turn envelope and the stage adapter. */
#include "turn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

Chat__Turn *turn_decode(const void *buf, size_t len, char *errstr, size_t errlen)
{
	Chat__Turn *turn = chat__turn__unpack(NULL, len, buf);
	if (!turn) {
		snprintf(errstr, errlen, "cannot decode chat.Turn from %zu bytes", len);
		return NULL;
	}
	/* protobuf-c accepts a field numbered 0 (a non-minimal tag) as unknown
	 * and would encode it again into bytes no stage can decode: refuse it
	 * here, where the message arrived. */
	for (unsigned i = 0; i < turn->base.n_unknown_fields; i++) {
		if (turn->base.unknown_fields[i].tag == 0) {
			snprintf(errstr, errlen, "chat.Turn has a field numbered 0");
			turn_free(turn);
			return NULL;
		}
	}
	if (!util_valid_id(turn->turn_id, 64) || !util_valid_id(turn->session_id, 128)) {
		snprintf(errstr, errlen, "chat.Turn without a valid turn_id and session_id");
		turn_free(turn);
		return NULL;
	}
	if (strlen(turn->text) > TURN_MAX_TEXT) {
		snprintf(errstr, errlen, "chat.Turn text is %zu bytes, over the %d limit", strlen(turn->text),
			 TURN_MAX_TEXT);
		turn_free(turn);
		return NULL;
	}
	return turn;
}

void *turn_encode(const Chat__Turn *turn, size_t *len)
{
	*len = chat__turn__get_packed_size(turn);
	uint8_t *buf = xmalloc(*len);
	chat__turn__pack(turn, buf);
	return buf;
}

void turn_free(Chat__Turn *turn)
{
	if (turn)
		chat__turn__free_unpacked(turn, NULL);
}

void turn_set_str(char **field, const char *val)
{
	if (*field && *field != protobuf_c_empty_string)
		free(*field);
	*field = xstrdup(val ? val : "");
}

void turn_stamp(Chat__Turn *turn, const char *stage)
{
	Chat__StageTime *st = xmalloc(sizeof(*st));
	chat__stage_time__init(st);
	st->stage = xstrdup(stage);
	st->at_us = util_now_us();
	turn->stage_times = xrealloc(turn->stage_times, (turn->n_stage_times + 1) * sizeof(*turn->stage_times));
	turn->stage_times[turn->n_stage_times++] = st;
}

Chat__Draft *turn_draft(Chat__Turn *turn)
{
	if (!turn->draft) {
		turn->draft = xmalloc(sizeof(*turn->draft));
		chat__draft__init(turn->draft);
	}
	return turn->draft;
}

Chat__Turn *turn_new(void)
{
	Chat__Turn *turn = xmalloc(sizeof(*turn));
	chat__turn__init(turn);
	return turn;
}

const char *turn_tenant(const char *tenant_id)
{
	return tenant_id && *tenant_id ? tenant_id : TURN_DEFAULT_TENANT;
}

void turn_route(struct turn_dests *d, const char *topic, int32_t partition)
{
	if (d->n >= TURN_MAX_DESTS)
		return;
	d->topic[d->n] = topic;
	d->partition[d->n] = partition;
	d->n++;
}

int turn_stage_handle(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr,
		      size_t errlen)
{
	struct turn_stage *ts = ctx;
	struct turn_dests d = { .n = 0 };
	Chat__Turn *turn = turn_decode(msg->payload, msg->len, errstr, errlen);
	if (!turn)
		return KSTAGE_EPOISON;
	int rc = ts->fn(ts->ctx, turn, &d, errstr, errlen);
	if (rc == 0) {
		turn_stamp(turn, ts->stage);
		for (int i = 0; i < d.n; i++) {
			size_t len;
			void *buf = turn_encode(turn, &len);
			kstage_emit(em, d.topic[i], d.partition[i], turn->session_id, strlen(turn->session_id), buf,
				    len);
		}
	}
	turn_free(turn);
	return rc;
}
