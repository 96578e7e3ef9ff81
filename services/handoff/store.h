/* store: handoff tickets in PostgreSQL, behind struct handoff_io. */
#ifndef SERVICES_HANDOFF_STORE_H
#define SERVICES_HANDOFF_STORE_H

#include "cpg.h"
#include "handoff.h"

/* The handoff_io whose arg is pg (the caller keeps owning pg). */
struct handoff_io handoff_store_io(struct cpg *pg);

#endif
