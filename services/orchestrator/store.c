/* store: session memory in Redis, transcripts in PostgreSQL, and the
 * retail look-ups of the tools (PostgreSQL, stock cache in Redis). */
#include "store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

/* Append both sides of an exchange once per turn: the marker key makes a
 * replayed reply a no-op, atomically with the append. */
static const char remember_lua[] =
    "if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[4]) then "
    "redis.call('RPUSH', KEYS[1], ARGV[1], ARGV[2]) "
    "redis.call('LTRIM', KEYS[1], -tonumber(ARGV[3]), -1) "
    "redis.call('EXPIRE', KEYS[1], ARGV[4]) "
    "return 1 end return 0";

static char *memory_key(const Chat__Turn *turn)
{
	return xasprintf("mem:%s:%s", turn_tenant(turn->tenant_id), turn->session_id);
}

/* A string member of j as a fresh heap string, "" when missing. */
static char *jstr(const json_t *j, const char *name)
{
	const char *v = json_string_value(json_object_get(j, name));
	return xstrdup(v ? v : "");
}

static int load_history(void *arg, Chat__Turn *turn, int max)
{
	struct orch_store *st = arg;
	char *key = memory_key(turn);
	redisReply *rep = credis_cmd(st->redis, "LRANGE %s %d -1", key, -max);
	free(key);
	if (!rep)
		return -1;
	if (rep->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(rep);
		return -1;
	}
	turn->history = xrealloc(turn->history, (turn->n_history + rep->elements) * sizeof(*turn->history));
	for (size_t i = 0; i < rep->elements; i++) {
		json_t *j = json_loadb(rep->element[i]->str, rep->element[i]->len, 0, NULL);
		if (!j)
			continue;
		Chat__HistoryEntry *h = xmalloc(sizeof(*h));
		chat__history_entry__init(h);
		h->turn_id = jstr(j, "turn_id");
		h->role = jstr(j, "role");
		h->text = jstr(j, "text");
		h->intent = jstr(j, "intent");
		h->at_us = json_integer_value(json_object_get(j, "at_us"));
		turn->history[turn->n_history++] = h;
		json_decref(j);
	}
	freeReplyObject(rep);
	return 0;
}

static char *entry_json(const Chat__Turn *turn, const char *role, const char *text, int64_t at_us)
{
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:I}", "turn_id", turn->turn_id, "role", role, "text", text,
			      "intent", turn->intent, "at_us", (json_int_t)at_us);
	char *s = j ? json_dumps(j, JSON_COMPACT) : xstrdup("{}");
	json_decref(j);
	return s;
}

static int remember(void *arg, const Chat__Turn *turn, const char *reply, int max)
{
	struct orch_store *st = arg;
	char *key = memory_key(turn);
	char *done = xasprintf("mem:done:%s", turn->turn_id);
	char *cust = entry_json(turn, "customer", turn->text, turn->received_at_us);
	char *asst = entry_json(turn, "assistant", reply, util_now_us());
	char maxs[16], ttl[24];
	snprintf(maxs, sizeof(maxs), "%d", max);
	snprintf(ttl, sizeof(ttl), "%ld", st->memory_ttl_s);
	const char *argv[] = { "EVAL", remember_lua, "2", key, done, cust, asst, maxs, ttl };
	redisReply *rep = credis_cmdargv(st->redis, (int)ARRAY_LEN(argv), argv, NULL);
	int rc = rep && rep->type != REDIS_REPLY_ERROR ? 0 : -1;
	if (rep && rep->type == REDIS_REPLY_ERROR)
		log_warn("redis refused the memory update: %s", rep->str);
	if (rep)
		freeReplyObject(rep);
	free(key);
	free(done);
	free(cust);
	free(asst);
	return rc;
}

static int persist(void *arg, const Chat__Turn *turn, const char *reply, char *errstr, size_t errlen)
{
	struct orch_store *st = arg;
	static const char sql[] =
	    "INSERT INTO transcripts (turn_id, role, tenant_id, session_id, customer_id, text, intent) "
	    "VALUES ($1, 'customer', $2, $3, NULLIF($4, ''), $5, $6), ($1, 'assistant', $2, $3, NULLIF($4, ''), $7, $6) "
	    "ON CONFLICT DO NOTHING";
	const char *customer = turn->customer ? turn->customer->id : "";
	const char *params[] = { turn->turn_id, turn_tenant(turn->tenant_id), turn->session_id,
				 customer, turn->text, turn->intent, reply };
	return cpg_run(st->pg, sql, 7, params, NULL, errstr, errlen);
}

/* Run a tool query: the result with rows, or NULL with *rc -1 (database
 * unreachable) or -2 (refused; logged without parameters). */
static PGresult *tool_query(struct orch_store *st, const char *what, const char *sql, int nparams,
			    const char *const *params, int *rc)
{
	PGresult *res = cpg_exec(st->pg, sql, nparams, params);
	if (!res) {
		*rc = -1;
		return NULL;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		/* The SQLSTATE only: a message may quote the customer's words. */
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		log_warn("tool query \"%s\" failed: SQLSTATE %s", what, state ? state : "unknown");
		PQclear(res);
		*rc = -2;
		return NULL;
	}
	*rc = 0;
	return res;
}

static void col(const PGresult *res, int row, int c, char *out, size_t len)
{
	const char *v = PQgetvalue(res, row, c);
	size_t n = util_utf8_prefix(v, len - 1);
	memcpy(out, v, n);
	out[n] = '\0';
}

static long long col_ll(const PGresult *res, int row, int c)
{
	return strtoll(PQgetvalue(res, row, c), NULL, 10);
}

static int find_order(void *arg, const char *tenant, const char *order_id, struct orch_order *out)
{
	static const char sql[] =
	    "SELECT o.order_id, coalesce(o.customer_id, ''), o.email, o.status, "
	    "to_char(o.placed_at AT TIME ZONE 'Asia/Kuala_Lumpur', 'YYYY-MM-DD'), coalesce(o.carrier, ''), "
	    "coalesce(o.tracking_no, ''), o.total_sen, "
	    "(SELECT coalesce(sum(i.qty), 0) FROM order_items i WHERE i.tenant_id = o.tenant_id "
	    "AND i.order_id = o.order_id) "
	    "FROM orders o WHERE o.tenant_id = $1 AND o.order_id = $2";
	const char *params[] = { tenant, order_id };
	int rc;
	PGresult *res = tool_query(arg, "order", sql, 2, params, &rc);
	if (!res)
		return rc;
	int found = PQntuples(res) > 0;
	if (found) {
		col(res, 0, 0, out->order_id, sizeof(out->order_id));
		col(res, 0, 1, out->customer_id, sizeof(out->customer_id));
		col(res, 0, 2, out->email, sizeof(out->email));
		col(res, 0, 3, out->status, sizeof(out->status));
		col(res, 0, 4, out->placed, sizeof(out->placed));
		col(res, 0, 5, out->carrier, sizeof(out->carrier));
		col(res, 0, 6, out->tracking, sizeof(out->tracking));
		out->total_sen = col_ll(res, 0, 7);
		out->items = (int)col_ll(res, 0, 8);
	}
	PQclear(res);
	return found;
}

static int find_products(void *arg, const char *tenant, const char *sku, const char *words, struct orch_product *out,
			 int max)
{
	/* Prices are read here, at answer time, never from a cache. */
	static const char by_sku[] =
	    "SELECT p.sku, p.name, coalesce(pr.price_sen, -1), coalesce(pr.currency, 'MYR'), 0 "
	    "FROM products p LEFT JOIN prices pr ON pr.tenant_id = p.tenant_id AND pr.sku = p.sku "
	    "WHERE p.tenant_id = $1 AND p.sku = upper($2) AND p.active LIMIT $3";
	/* Names in every language, as products_name_all_fts_idx indexes them. */
	static const char by_name[] =
	    "SELECT p.sku, p.name, coalesce(pr.price_sen, -1), coalesce(pr.currency, 'MYR'), "
	    "ts_rank(to_tsvector('simple', p.name || ' ' || coalesce(p.name_ms, '') || ' ' || "
	    "coalesce(p.name_zh, '')), q) AS r "
	    "FROM products p LEFT JOIN prices pr ON pr.tenant_id = p.tenant_id AND pr.sku = p.sku, "
	    "to_tsquery('simple', $2) q "
	    "WHERE p.tenant_id = $1 AND p.active AND to_tsvector('simple', p.name || ' ' || "
	    "coalesce(p.name_ms, '') || ' ' || coalesce(p.name_zh, '')) @@ q "
	    "ORDER BY r DESC, p.sku LIMIT $3";
	char lim[16];
	snprintf(lim, sizeof(lim), "%d", max);
	const char *params[] = { tenant, sku ? sku : words, lim };
	int rc;
	PGresult *res = tool_query(arg, "products", sku ? by_sku : by_name, 3, params, &rc);
	if (!res)
		return rc;
	int n = PQntuples(res) < max ? PQntuples(res) : max;
	for (int i = 0; i < n; i++) {
		col(res, i, 0, out[i].sku, sizeof(out[i].sku));
		col(res, i, 1, out[i].name, sizeof(out[i].name));
		out[i].price_sen = col_ll(res, i, 2);
		col(res, i, 3, out[i].currency, sizeof(out[i].currency));
		out[i].rank = strtod(PQgetvalue(res, i, 4), NULL);
	}
	PQclear(res);
	return n;
}

/* Stock per store: the database row, replaced by the Redis cache entry
 * (written by ingestion) when there is one; Redis down means database
 * only. */
static int stock(void *arg, const char *tenant, const char *sku, struct orch_stock *out, int max)
{
	struct orch_store *st = arg;
	static const char sql[] =
	    "SELECT s.store_id, s.name, coalesce(i.qty, 0) FROM stores s "
	    "LEFT JOIN inventory i ON i.tenant_id = s.tenant_id AND i.store_id = s.store_id AND i.sku = $2 "
	    "WHERE s.tenant_id = $1 AND s.active ORDER BY s.store_id";
	const char *params[] = { tenant, sku };
	int rc;
	PGresult *res = tool_query(st, "stock", sql, 2, params, &rc);
	if (!res)
		return rc;
	int n = PQntuples(res) < max ? PQntuples(res) : max;
	for (int i = 0; i < n; i++) {
		col(res, i, 0, out[i].store_id, sizeof(out[i].store_id));
		col(res, i, 1, out[i].store_name, sizeof(out[i].store_name));
		out[i].qty = (int)col_ll(res, i, 2);
	}
	PQclear(res);
	redisReply *rep = credis_cmd(st->redis, "HGETALL stock:%s:%s", tenant, sku);
	if (rep && rep->type == REDIS_REPLY_ARRAY) {
		for (size_t k = 0; k + 1 < rep->elements; k += 2) {
			long q;
			if (!rep->element[k]->str || !rep->element[k + 1]->str ||
			    util_parse_long(rep->element[k + 1]->str, -1000000, 1000000, &q))
				continue;
			for (int i = 0; i < n; i++)
				if (!strcmp(out[i].store_id, rep->element[k]->str))
					out[i].qty = (int)q;
		}
	}
	if (rep)
		freeReplyObject(rep);
	return n;
}

static int loyalty(void *arg, const char *tenant, const char *customer_id, struct orch_loyalty *out)
{
	static const char sql[] =
	    "SELECT c.loyalty_tier, c.loyalty_points, coalesce(n.tier, ''), coalesce(n.min_points, 0) "
	    "FROM customers c JOIN loyalty_tiers t ON t.tenant_id = c.tenant_id AND t.tier = c.loyalty_tier "
	    "LEFT JOIN LATERAL (SELECT x.tier, x.min_points FROM loyalty_tiers x WHERE x.tenant_id = c.tenant_id "
	    "AND x.rank > t.rank ORDER BY x.rank LIMIT 1) n ON true "
	    "WHERE c.tenant_id = $1 AND c.customer_id = $2";
	const char *params[] = { tenant, customer_id };
	int rc;
	PGresult *res = tool_query(arg, "loyalty", sql, 2, params, &rc);
	if (!res)
		return rc;
	int found = PQntuples(res) > 0;
	if (found) {
		col(res, 0, 0, out->tier, sizeof(out->tier));
		out->points = (long)col_ll(res, 0, 1);
		col(res, 0, 2, out->next_tier, sizeof(out->next_tier));
		out->next_min_points = (long)col_ll(res, 0, 3);
	}
	PQclear(res);
	return found;
}

static int promotions(void *arg, const char *tenant, struct orch_promo *out, int max)
{
	static const char sql[] = "SELECT title, description FROM promotions "
				  "WHERE tenant_id = $1 AND starts_at <= now() AND now() < ends_at "
				  "ORDER BY ends_at, promo_id LIMIT $2";
	char lim[16];
	snprintf(lim, sizeof(lim), "%d", max);
	const char *params[] = { tenant, lim };
	int rc;
	PGresult *res = tool_query(arg, "promotions", sql, 2, params, &rc);
	if (!res)
		return rc;
	int n = PQntuples(res) < max ? PQntuples(res) : max;
	for (int i = 0; i < n; i++) {
		col(res, i, 0, out[i].title, sizeof(out[i].title));
		col(res, i, 1, out[i].description, sizeof(out[i].description));
	}
	PQclear(res);
	return n;
}

static int stores(void *arg, const char *tenant, struct orch_store_info *out, int max)
{
	static const char sql[] =
	    "SELECT store_id, name, address || ', ' || postcode || ' ' || city, phone, "
	    "coalesce(opening_hours -> lower(to_char(now() AT TIME ZONE timezone, 'Dy')) ->> 'open', ''), "
	    "coalesce(opening_hours -> lower(to_char(now() AT TIME ZONE timezone, 'Dy')) ->> 'close', '') "
	    "FROM stores WHERE tenant_id = $1 AND active ORDER BY store_id LIMIT $2";
	char lim[16];
	snprintf(lim, sizeof(lim), "%d", max);
	const char *params[] = { tenant, lim };
	int rc;
	PGresult *res = tool_query(arg, "stores", sql, 2, params, &rc);
	if (!res)
		return rc;
	int n = PQntuples(res) < max ? PQntuples(res) : max;
	for (int i = 0; i < n; i++) {
		col(res, i, 0, out[i].store_id, sizeof(out[i].store_id));
		col(res, i, 1, out[i].name, sizeof(out[i].name));
		col(res, i, 2, out[i].address, sizeof(out[i].address));
		col(res, i, 3, out[i].phone, sizeof(out[i].phone));
		col(res, i, 4, out[i].open, sizeof(out[i].open));
		col(res, i, 5, out[i].close, sizeof(out[i].close));
	}
	PQclear(res);
	return n;
}

struct orch_store *orch_store_new(const char *redis_url, const char *database_url, long memory_ttl_s)
{
	char errstr[256];
	struct credis *r = credis_new(redis_url, 300, errstr, sizeof(errstr));
	if (!r) {
		log_error("%s", errstr);
		return NULL;
	}
	struct orch_store *st = xcalloc(1, sizeof(*st));
	st->redis = r;
	st->pg = cpg_new(database_url);
	st->memory_ttl_s = memory_ttl_s;
	return st;
}

void orch_store_free(struct orch_store *st)
{
	if (!st)
		return;
	credis_free(st->redis);
	cpg_free(st->pg);
	free(st);
}

struct orch_io orch_store_io(struct orch_store *st)
{
	return (struct orch_io){ load_history, remember, persist, st };
}

struct orch_tools orch_store_tools(struct orch_store *st)
{
	return (struct orch_tools){ find_order, find_products, stock, loyalty, promotions, stores, st };
}
