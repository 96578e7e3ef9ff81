/* events: chatctl inventory / price publish a stock or price event, as a
 * point-of-sale or ERP system would, to pos.inventory.v1 / erp.prices.v1. */
#ifndef TOOLS_CHATCTL_EVENTS_H
#define TOOLS_CHATCTL_EVENTS_H

#include <stdint.h>

/* "1299", "1299.9", "1299.90" (ringgit) -> sen; -1 when malformed. */
int64_t cc_parse_amount(const char *s);

/* Publish an InventoryEvent (quantity on hand of sku at store) or a
 * PriceEvent (amount in sen), event time now, a fresh event id, keyed by
 * sku; json != 0 sends the documented JSON form (services/ingestion/
 * README.md) with a content-type header instead of protobuf. Waits for the
 * delivery report. Returns 0, or 1 with a message on stderr. */
int cc_inventory(const char *brokers, const char *tenant, const char *sku, const char *store, long qty, int json);
int cc_price(const char *brokers, const char *tenant, const char *sku, int64_t price_sen, const char *currency,
	     int json);

#endif
