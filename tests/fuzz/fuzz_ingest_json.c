/* The JSON forms of POS stock and ERP price events (ingestion). Each body
 * is tried as both. An accepted event has every string set and packs and
 * unpacks as the topic's protobuf; its quantity is the JSON's; its price
 * in sen is the JSON's price_sen, or the "price" string read exactly, and
 * never negative. A refused one says why (and leaks nothing). */
#include <ctype.h>
#include <jansson.h>

#include "fuzz.h"
#include "services/ingestion/ingestion.h"

/* "1299" or "1299.9" or "1299.90" in sen, or -1 for anything else. */
static int64_t amount(const char *s)
{
	int64_t v = 0;
	int d = 0;
	for (; isdigit((unsigned char)*s) && d < 15; s++, d++)
		v = v * 10 + (*s - '0');
	if (!d)
		return -1;
	v *= 100;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)s[0]))
			return -1;
		v += (s[0] - '0') * 10;
		s++;
		if (isdigit((unsigned char)s[0]))
			v += *s++ - '0';
	}
	return *s ? -1 : v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char err[256] = "";
	json_t *j = json_loadb(s, size, 0, NULL);
	uint8_t buf[INGEST_JSON_MAX * 2 + 256];

	Chat__InventoryEvent inv;
	if (ingest_inventory_json(s, size, &inv, err, sizeof(err)) == 0) {
		FUZZ_CHECK(inv.tenant_id && inv.sku && inv.store_id && inv.source && inv.event_id);
		FUZZ_CHECK(json_is_object(j) && inv.quantity == json_integer_value(json_object_get(j, "quantity")));
		size_t n = chat__inventory_event__get_packed_size(&inv);
		FUZZ_CHECK(n <= sizeof(buf) && chat__inventory_event__pack(&inv, buf) == n);
		Chat__InventoryEvent *back = chat__inventory_event__unpack(NULL, n, buf);
		FUZZ_CHECK(back && back->quantity == inv.quantity && !strcmp(back->sku, inv.sku) &&
			   back->event_time_us == inv.event_time_us);
		chat__inventory_event__free_unpacked(back, NULL);
		ingest_inventory_event_release(&inv);
	} else {
		FUZZ_CHECK(err[0]);
	}

	Chat__PriceEvent pr;
	err[0] = '\0';
	if (ingest_price_json(s, size, &pr, err, sizeof(err)) == 0) {
		FUZZ_CHECK(pr.tenant_id && pr.sku && pr.currency && pr.source && pr.event_id);
		FUZZ_CHECK(pr.price_sen >= 0);
		json_t *sen = json_object_get(j, "price_sen"), *amt = json_object_get(j, "price");
		if (json_is_integer(sen))
			FUZZ_CHECK(pr.price_sen == json_integer_value(sen));
		else if (json_is_string(amt) && amount(json_string_value(amt)) >= 0)
			FUZZ_CHECK(pr.price_sen == amount(json_string_value(amt)));
		size_t n = chat__price_event__get_packed_size(&pr);
		FUZZ_CHECK(n <= sizeof(buf) && chat__price_event__pack(&pr, buf) == n);
		Chat__PriceEvent *back = chat__price_event__unpack(NULL, n, buf);
		FUZZ_CHECK(back && back->price_sen == pr.price_sen && !strcmp(back->currency, pr.currency));
		chat__price_event__free_unpacked(back, NULL);
		ingest_price_event_release(&pr);
	} else {
		FUZZ_CHECK(err[0]);
	}
	json_decref(j);
	return 0;
}
