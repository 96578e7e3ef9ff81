/* events: chatctl's stock and price events. */
#include "events.h"

#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/topics.h"
#include "kstage.h"
#include "proto/chat.pb-c.h"
#include "util.h"

int64_t cc_parse_amount(const char *s)
{
	int64_t whole = 0;
	int digits = 0;
	for (; isdigit((unsigned char)*s); s++, digits++) {
		if (whole > INT64_MAX / 1000)
			return -1;
		whole = whole * 10 + (*s - '0');
	}
	int64_t cents = 0;
	if (*s == '.') {
		s++;
		int frac = 0;
		for (; frac < 2 && isdigit((unsigned char)*s); frac++)
			cents = cents * 10 + (*s++ - '0');
		if (frac == 0 || *s)
			return -1;
		if (frac == 1)
			cents *= 10;
	}
	return *s || !digits ? -1 : whole * 100 + cents;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
	(void)rk;
	(void)opaque;
	int *done = rkm->_private;
	*done = rkm->err ? -1 : 1;
	if (rkm->err)
		fprintf(stderr, "chatctl: delivery failed: %s\n", rd_kafka_err2str(rkm->err));
}

/* Produce value to topic keyed by key, with a content-type header; wait. */
static int produce(const char *brokers, const char *topic, const char *key, const void *value, size_t len,
		   const char *content_type)
{
	char errstr[512];
	rd_kafka_conf_t *conf = kstage_base_conf(brokers, errstr, sizeof(errstr));
	if (!conf || kstage_producer_conf(conf, errstr, sizeof(errstr)) ||
	    kstage_conf_set(conf, "message.timeout.ms", "15000", errstr, sizeof(errstr))) {
		fprintf(stderr, "chatctl: %s\n", errstr);
		if (conf)
			rd_kafka_conf_destroy(conf);
		return 1;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "chatctl: %s\n", errstr);
		return 1;
	}
	int done = 0;
	rd_kafka_resp_err_t err = rd_kafka_producev(
	    rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE((void *)value, len),
	    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADER("content-type", content_type, -1),
	    RD_KAFKA_V_OPAQUE(&done), RD_KAFKA_V_END);
	if (err) {
		fprintf(stderr, "chatctl: cannot produce to %s: %s\n", topic, rd_kafka_err2str(err));
		rd_kafka_destroy(rk);
		return 1;
	}
	while (!done)
		rd_kafka_poll(rk, 100);
	rd_kafka_flush(rk, 5000);
	rd_kafka_destroy(rk);
	return done == 1 ? 0 : 1;
}

static int check_ids(const char *sku, const char *store)
{
	if (!util_valid_id(sku, 64) || (store && !util_valid_id(store, 64))) {
		fprintf(stderr, "chatctl: a SKU and a store id are 1..64 letters, digits, '-', '_' or '.'\n");
		return 2;
	}
	return 0;
}

int cc_inventory(const char *brokers, const char *tenant, const char *sku, const char *store, long qty, int json)
{
	int rc = check_ids(sku, store);
	if (rc)
		return rc;
	char id[37];
	util_uuid(id);
	Chat__InventoryEvent ev = CHAT__INVENTORY_EVENT__INIT;
	ev.tenant_id = (char *)tenant;
	ev.sku = (char *)sku;
	ev.store_id = (char *)store;
	ev.quantity = (int32_t)qty;
	ev.event_time_us = util_now_us();
	ev.source = (char *)"chatctl";
	ev.event_id = id;
	void *buf;
	size_t len;
	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s}", "tenant_id", tenant, "sku", sku, "store_id",
				      store, "quantity", (json_int_t)qty, "event_time_us", (json_int_t)ev.event_time_us,
				      "source", "chatctl", "event_id", id);
		buf = json_dumps(o, JSON_COMPACT);
		len = strlen(buf);
		json_decref(o);
	} else {
		len = chat__inventory_event__get_packed_size(&ev);
		buf = xmalloc(len);
		chat__inventory_event__pack(&ev, buf);
	}
	rc = produce(brokers, TOPIC_INVENTORY, sku, buf, len, json ? "application/json" : "application/x-protobuf");
	free(buf);
	if (!rc)
		printf("inventory: %s at %s = %ld (event %s) published to %s\n", sku, store, qty, id, TOPIC_INVENTORY);
	return rc;
}

int cc_price(const char *brokers, const char *tenant, const char *sku, int64_t price_sen, const char *currency,
	     int json)
{
	int rc = check_ids(sku, NULL);
	if (rc)
		return rc;
	char id[37];
	util_uuid(id);
	Chat__PriceEvent ev = CHAT__PRICE_EVENT__INIT;
	ev.tenant_id = (char *)tenant;
	ev.sku = (char *)sku;
	ev.price_sen = price_sen;
	ev.currency = (char *)currency;
	ev.event_time_us = util_now_us();
	ev.source = (char *)"chatctl";
	ev.event_id = id;
	void *buf;
	size_t len;
	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:I, s:s, s:s}", "tenant_id", tenant, "sku", sku, "price_sen",
				      (json_int_t)price_sen, "currency", currency, "event_time_us",
				      (json_int_t)ev.event_time_us, "source", "chatctl", "event_id", id);
		buf = json_dumps(o, JSON_COMPACT);
		len = strlen(buf);
		json_decref(o);
	} else {
		len = chat__price_event__get_packed_size(&ev);
		buf = xmalloc(len);
		chat__price_event__pack(&ev, buf);
	}
	rc = produce(brokers, TOPIC_PRICES, sku, buf, len, json ? "application/json" : "application/x-protobuf");
	free(buf);
	if (!rc)
		printf("price: %s = %s %" PRId64 ".%02" PRId64 " (event %s) published to %s\n", sku, currency,
		       price_sen / 100, price_sen % 100, id, TOPIC_PRICES);
	return rc;
}
