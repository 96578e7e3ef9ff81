/* catalog: one tenant's product names, indexed by their first word, to tell
 * which products a draft names without asking PostgreSQL for every draft.
 * Names only: prices are never kept here (store.c reads them live). */
#ifndef SERVICES_GUARDRAIL_CATALOG_H
#define SERVICES_GUARDRAIL_CATALOG_H

#include <stddef.h>

#include "price.h"

struct guard_catalog;

struct guard_catalog *guard_catalog_new(void);
void guard_catalog_free(struct guard_catalog *c);

/* Add a product's names (en, ms, zh; NULL or "" when it has none). Each is
 * found whole, and an en or ms name also by its part before the first
 * comma when that is 6 bytes or more ("Damai Queen Bed Frame" for "Damai
 * Queen Bed Frame, Charcoal Grey"), a zh name by its part before "（"
 * (2 characters or more). */
void guard_catalog_add(struct guard_catalog *c, const char *sku, const char *name, const char *name_ms,
		       const char *name_zh);
size_t guard_catalog_len(const struct guard_catalog *c);

/* Append to skus[n..max) the SKUs of the products text names (ASCII
 * letters match in any case; a name that starts with an ASCII letter or
 * digit only at the start of a word), each once and not already among
 * skus[0..n). Returns the new count. */
size_t guard_catalog_match(const struct guard_catalog *c, const char *text, char skus[][GUARD_PRICE_SKU_MAX],
			   size_t n, size_t max);

#endif
