/* store: products and live prices for the guardrail's price check. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpg.h"
#include "log.h"
#include "util.h"

struct guard_store {
	struct cpg *pg;
};

/* Products named by SKU or by name (en, ms, zh; the part before a comma is
 * enough) in the text. Prices come from `prices`, never from a cache. */
static const char products_sql[] =
    "SELECT p.sku, p.name, coalesce(p.name_ms, ''), coalesce(p.name_zh, ''), coalesce(pr.price_sen, -1) "
    "FROM products p LEFT JOIN prices pr ON pr.tenant_id = p.tenant_id AND pr.sku = p.sku "
    "WHERE p.tenant_id = $1 AND (p.sku = ANY($2::text[]) "
    "OR strpos(lower($3), lower(p.name)) > 0 "
    "OR (length(split_part(p.name, ',', 1)) >= 6 AND strpos(lower($3), lower(split_part(p.name, ',', 1))) > 0) "
    "OR (length(split_part(p.name_ms, ',', 1)) >= 6 AND strpos(lower($3), lower(split_part(p.name_ms, ',', 1))) > 0) "
    "OR (length(split_part(p.name_zh, '（', 1)) >= 2 AND strpos($3, split_part(p.name_zh, '（', 1)) > 0)) "
    "ORDER BY p.sku LIMIT 64";

static int products(void *arg, const char *tenant, const char *text, char skus[][GUARD_PRICE_SKU_MAX], size_t nskus,
		    struct guard_product *out, size_t max)
{
	struct guard_store *st = arg;
	/* a text[] literal: SKUs are letters, digits and '-' only */
	size_t cap = 3 + nskus * (GUARD_PRICE_SKU_MAX + 3), o = 0;
	char *arr = xmalloc(cap);
	arr[o++] = '{';
	for (size_t i = 0; i < nskus; i++)
		o += (size_t)snprintf(arr + o, cap - o, "%s\"%s\"", i ? "," : "", skus[i]);
	arr[o++] = '}';
	arr[o] = '\0';
	const char *params[] = { tenant, arr, text };
	PGresult *res = cpg_exec(st->pg, products_sql, 3, params);
	free(arr);
	if (!res)
		return -1;
	if (!cpg_ok(res)) {
		log_write(LOG_ERROR, NULL, NULL, "catalog look-up refused: %s", PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	size_t n = 0;
	for (int r = 0; r < PQntuples(res) && n < max; r++) {
		struct guard_product *p = &out[n++];
		memset(p, 0, sizeof(*p));
		util_strlcpy(p->sku, PQgetvalue(res, r, 0), sizeof(p->sku));
		for (int k = 0; k < 3; k++) {
			const char *v = PQgetvalue(res, r, 1 + k);
			p->names[k] = v[0] ? xstrdup(v) : NULL;
		}
		long long sen = strtoll(PQgetvalue(res, r, 4), NULL, 10);
		p->price_sen = sen;
		p->known = 1;
	}
	PQclear(res);
	return (int)n;
}

struct guard_store *guard_store_new(const char *database_url)
{
	struct guard_store *st = xcalloc(1, sizeof(*st));
	st->pg = cpg_new(database_url);
	return st;
}

void guard_store_free(struct guard_store *st)
{
	if (!st)
		return;
	cpg_free(st->pg);
	free(st);
}

struct guard_io guard_store_io(struct guard_store *st)
{
	return (struct guard_io){ products, st };
}
