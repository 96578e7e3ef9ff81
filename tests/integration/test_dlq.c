/* A poison message goes to the dead-letter topic with its reason, and the
 * stage that met it keeps serving. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "kstage.h"
#include "util.h"

static char *header(rd_kafka_message_t *rkm, const char *name)
{
	rd_kafka_headers_t *hdrs = NULL;
	const void *val;
	size_t size;
	if (rd_kafka_message_headers(rkm, &hdrs) || rd_kafka_header_get_last(hdrs, name, &val, &size))
		return NULL;
	return xstrndup(val, size);
}

Test(dlq, undecodable_turn_is_dead_lettered_and_the_stage_goes_on, .timeout = 60)
{
	char errstr[512], key[64];
	it_session(key, sizeof(key), "poison");
	/* Read the dead-letter topic from where it ends now. */
	rd_kafka_t *rk = it_tail("chat.dlq.v1");

	/* Garbage where the orchestrator expects a chat.Turn. */
	rd_kafka_conf_t *pconf = kstage_base_conf(it_brokers(), errstr, sizeof(errstr));
	rd_kafka_t *prod = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, errstr, sizeof(errstr));
	cr_assert_not_null(prod, "%s", errstr);
	static const char garbage[] = "\xff\xff\xff\x07 definitely not protobuf";
	cr_assert_eq(rd_kafka_producev(prod, RD_KAFKA_V_TOPIC("chat.classified.v1"), RD_KAFKA_V_KEY(key, strlen(key)),
				       RD_KAFKA_V_VALUE((void *)garbage, sizeof(garbage) - 1),
				       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
		     RD_KAFKA_RESP_ERR_NO_ERROR);
	cr_assert_eq(rd_kafka_flush(prod, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);

	rd_kafka_message_t *found = it_poll_key(rk, key, 30000);
	cr_assert_not_null(found, "poison message not in chat.dlq.v1 within 30 s");
	cr_assert_eq(found->len, sizeof(garbage) - 1, "the original bytes are kept");
	cr_assert_eq(memcmp(found->payload, garbage, found->len), 0);
	char *stage = header(found, "dlq.stage"), *topic = header(found, "dlq.topic"), *err = header(found, "dlq.error");
	char *offset = header(found, "dlq.offset");
	cr_assert_str_eq(stage, "orchestrator");
	cr_assert_str_eq(topic, "chat.classified.v1");
	cr_assert(err && strstr(err, "cannot decode chat.Turn"), "dlq.error: %s", err ? err : "(none)");
	cr_assert_not_null(offset);
	free(stage);
	free(topic);
	free(err);
	free(offset);
	rd_kafka_message_destroy(found);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	rd_kafka_destroy(prod);

	/* The orchestrator is still serving. */
	char sid[64];
	it_open_session(sid, sizeof(sid));
	json_t *ev = it_ask(sid, "hello again");
	cr_assert(strstr(json_string_value(json_object_get(ev, "text")), "How can I help"));
	json_decref(ev);
}
