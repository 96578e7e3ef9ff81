/* store: the guardrail's catalog look-up in PostgreSQL (products, prices),
 * behind struct guard_io. */
#ifndef SERVICES_GUARDRAIL_STORE_H
#define SERVICES_GUARDRAIL_STORE_H

#include "guardrail.h"

struct guard_store;

/* No connection is made yet (cpg reconnects by itself). */
struct guard_store *guard_store_new(const char *database_url);
void guard_store_free(struct guard_store *st);
struct guard_io guard_store_io(struct guard_store *st);

#endif
