/* store: products and live prices for the guardrail's price check. Which
 * products a draft names is found in memory, from the tenant's product
 * names read at most once a minute (catalog.c); their prices are read from
 * PostgreSQL every time, and only when the draft names a product. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "cpg.h"
#include "hmap.h"
#include "log.h"
#include "util.h"

#define CATALOG_TTL_US (60 * 1000000LL) /* names are read again after a minute */
#define CATALOG_TENANTS 64              /* tenants whose names are kept */

struct tenant_names {
	struct guard_catalog *cat;
	int64_t loaded_us;
};

struct guard_store {
	struct cpg *pg;
	struct hmap *names; /* tenant -> struct tenant_names */
};

/* The catalogue's product names, to find which products a draft names. */
static const char names_sql[] = "SELECT sku, name, coalesce(name_ms, ''), coalesce(name_zh, '') FROM products "
				"WHERE tenant_id = $1";

/* The products a draft names or its turn is about, with live prices. */
static const char products_sql[] =
    "SELECT p.sku, p.name, coalesce(p.name_ms, ''), coalesce(p.name_zh, ''), coalesce(pr.price_sen, -1) "
    "FROM products p LEFT JOIN prices pr ON pr.tenant_id = p.tenant_id AND pr.sku = p.sku "
    "WHERE p.tenant_id = $1 AND p.sku = ANY($2::text[]) ORDER BY p.sku LIMIT 64";

static int drop_names(void *arg, const char *key, void *value)
{
	(void)key;
	struct tenant_names *t = value;
	int64_t *now = arg;
	if (now && *now - t->loaded_us < CATALOG_TTL_US)
		return 0;
	guard_catalog_free(t->cat);
	free(t);
	return 1;
}

/* The tenant's product names, read again when older than a minute (the
 * ones read before while PostgreSQL does not answer); NULL when it never
 * did. */
static const struct guard_catalog *tenant_names(struct guard_store *st, const char *tenant)
{
	int64_t now = util_mono_us();
	struct tenant_names *t = hmap_get(st->names, tenant);
	if (t && now - t->loaded_us < CATALOG_TTL_US)
		return t->cat;
	const char *params[] = { tenant };
	PGresult *res = cpg_exec(st->pg, names_sql, 1, params);
	if (!res)
		return t ? t->cat : NULL;
	if (!cpg_ok(res)) {
		log_write(LOG_ERROR, NULL, NULL, "catalog look-up refused: %s", PQresultErrorMessage(res));
		PQclear(res);
		return t ? t->cat : NULL;
	}
	struct guard_catalog *cat = guard_catalog_new();
	for (int r = 0; r < PQntuples(res); r++)
		guard_catalog_add(cat, PQgetvalue(res, r, 0), PQgetvalue(res, r, 1), PQgetvalue(res, r, 2),
				  PQgetvalue(res, r, 3));
	PQclear(res);
	if (!t) {
		if (hmap_len(st->names) >= CATALOG_TENANTS)
			hmap_sweep(st->names, drop_names, &now);
		if (hmap_len(st->names) >= CATALOG_TENANTS)
			hmap_sweep(st->names, drop_names, NULL);
		t = xcalloc(1, sizeof(*t));
		hmap_put(st->names, tenant, t);
	} else {
		guard_catalog_free(t->cat);
	}
	t->cat = cat;
	t->loaded_us = now;
	return cat;
}

static int products(void *arg, const char *tenant, const char *text, char skus[][GUARD_PRICE_SKU_MAX], size_t nskus,
		    struct guard_product *out, size_t max)
{
	struct guard_store *st = arg;
	const struct guard_catalog *cat = tenant_names(st, tenant);
	if (!cat)
		return -1;
	/* the SKUs given (written in the text, or the turn's) and those of the
	 * products the text names */
	char(*all)[GUARD_PRICE_SKU_MAX] = xcalloc(GUARD_MAX_PRODUCTS, GUARD_PRICE_SKU_MAX);
	size_t n = 0;
	for (size_t i = 0; i < nskus && n < GUARD_MAX_PRODUCTS; i++)
		util_strlcpy(all[n++], skus[i], GUARD_PRICE_SKU_MAX);
	n = guard_catalog_match(cat, text, all, n, GUARD_MAX_PRODUCTS);
	if (n == 0) {
		free(all);
		return 0; /* no product named: nothing to ask */
	}
	/* a text[] literal: SKUs are letters, digits and '-' only, and the
	 * catalogue's are quoted as they are */
	size_t cap = 3 + n * (GUARD_PRICE_SKU_MAX * 2 + 3), o = 0;
	char *arr = xmalloc(cap);
	arr[o++] = '{';
	for (size_t i = 0; i < n; i++) {
		if (i)
			arr[o++] = ',';
		arr[o++] = '"';
		for (const char *c = all[i]; *c; c++) {
			if (*c == '"' || *c == '\\')
				arr[o++] = '\\';
			arr[o++] = *c;
		}
		arr[o++] = '"';
	}
	arr[o++] = '}';
	arr[o] = '\0';
	free(all);
	const char *params[] = { tenant, arr };
	PGresult *res = cpg_exec(st->pg, products_sql, 2, params);
	free(arr);
	if (!res)
		return -1;
	if (!cpg_ok(res)) {
		log_write(LOG_ERROR, NULL, NULL, "catalog look-up refused: %s", PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	size_t got = 0;
	for (int r = 0; r < PQntuples(res) && got < max; r++) {
		struct guard_product *p = &out[got++];
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
	return (int)got;
}

struct guard_store *guard_store_new(const char *database_url)
{
	struct guard_store *st = xcalloc(1, sizeof(*st));
	st->pg = cpg_new(database_url);
	st->names = hmap_new(8);
	return st;
}

void guard_store_free(struct guard_store *st)
{
	if (!st)
		return;
	cpg_free(st->pg);
	hmap_sweep(st->names, drop_names, NULL);
	hmap_free(st->names);
	free(st);
}

struct guard_io guard_store_io(struct guard_store *st)
{
	return (struct guard_io){ products, st };
}
