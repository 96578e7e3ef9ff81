/* entities: pulls order ids, SKUs, e-mail addresses, Malaysian phone
 * numbers, quantities and store names out of a customer message, with byte
 * offsets into it. Pattern rules, no model: these are formats, not meaning. */
#ifndef SERVICES_INTENT_CLASSIFIER_ENTITIES_H
#define SERVICES_INTENT_CLASSIFIER_ENTITIES_H

#include <stddef.h>

#define ENT_MAX 32
#define ENT_MAX_VALUE 128
#define ENT_MAX_STORES 32

struct ent {
	const char *type; /* order_id, sku, email, phone, quantity, store (static) */
	char value[ENT_MAX_VALUE]; /* normalized: ORD ids upper-case, phones digits
				    * only, quantities as a decimal number, stores
				    * by their configured name */
	int start, end;            /* byte offsets [start, end) into the text */
};

/* The store names to look for (matched case-insensitively at word
 * boundaries). Names point into the caller's storage. */
struct ent_stores {
	const char *name[ENT_MAX_STORES];
	int n;
};

/* Parse a comma-separated list into stores; the names are copied into buf
 * (size buflen) which must outlive stores. Empty items are skipped. Returns
 * the count, or -1 when there are more than ENT_MAX_STORES or buf is too
 * small. */
int ent_stores_parse(struct ent_stores *stores, const char *list, char *buf, size_t buflen);

/* Find entities in text (stores may be NULL). Fills out[0..max), sorted by
 * start, never overlapping; returns how many. */
int ent_extract(const char *text, const struct ent_stores *stores, struct ent *out, int max);

#endif
