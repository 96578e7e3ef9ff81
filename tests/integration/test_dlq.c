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
	char errstr[512], key[64], group[64];
	it_session(key, sizeof(key), "poison");
	it_session(group, sizeof(group), "dlq-reader");
	rd_kafka_conf_t *conf = kstage_base_conf(it_brokers(), errstr, sizeof(errstr));
	cr_assert_not_null(conf, "%s", errstr);
	cr_assert_eq(kstage_conf_set(conf, "group.id", group, errstr, sizeof(errstr)), 0);
	cr_assert_eq(kstage_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof(errstr)), 0);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	cr_assert_not_null(rk, "%s", errstr);

	/* Read the dead-letter topic from where it ends now. */
	int64_t hi[64];
	int parts = it_watermarks(rk, "chat.dlq.v1", hi, 64);
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(parts);
	for (int p = 0; p < parts; p++)
		rd_kafka_topic_partition_list_add(l, "chat.dlq.v1", p)->offset = hi[p];
	cr_assert_eq(rd_kafka_assign(rk, l), RD_KAFKA_RESP_ERR_NO_ERROR);
	rd_kafka_topic_partition_list_destroy(l);

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

	rd_kafka_message_t *found = NULL;
	int64_t deadline = util_mono_us() + 30 * 1000000LL;
	while (!found && util_mono_us() < deadline) {
		rd_kafka_message_t *rkm = rd_kafka_consumer_poll(rk, 200);
		if (!rkm)
			continue;
		if (!rkm->err && rkm->key_len == strlen(key) && !memcmp(rkm->key, key, rkm->key_len))
			found = rkm;
		else
			rd_kafka_message_destroy(rkm);
	}
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
	it_session(sid, sizeof(sid), "after-poison");
	json_t *ev = it_ask(sid, "hello again");
	cr_assert(strstr(json_string_value(json_object_get(ev, "text")), "How can I help"));
	json_decref(ev);
}
