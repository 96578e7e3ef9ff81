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

/* Append the remembered entries of an LRANGE reply to turn->history. */
static void add_history(Chat__Turn *turn, const redisReply *rep)
{
	turn->history = xrealloc(turn->history, (turn->n_history + rep->elements + 1) * sizeof(*turn->history));
	for (size_t i = 0; i < rep->elements; i++) {
		if (rep->element[i]->type != REDIS_REPLY_STRING)
			continue;
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
	add_history(turn, rep);
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
	/* orch_find_order (migration 010_orch_lookups) keeps its plan per session. */
	static const char sql[] = "SELECT * FROM orch_find_order($1, $2)";
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
		out->delivered_days = (int)col_ll(res, 0, 9);
		out->return_window_days = (int)col_ll(res, 0, 10);
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
	/* Names in every language and the category, as products_search_fts_idx
	 * indexes them. A query of parenthesised groups, one per word of the
	 * customer's ("(outdoor:*) | (chairs:* | chair:*)"), ranks first by how
	 * many of the words a product matches. */
	static const char by_name[] =
	    "SELECT p.sku, p.name, coalesce(pr.price_sen, -1), coalesce(pr.currency, 'MYR'), "
	    "(SELECT count(*) FROM regexp_matches($2, '\\(([^)]*)\\)', 'g') m "
	    " WHERE to_tsvector('simple', p.name || ' ' || coalesce(p.name_ms, '') || ' ' || coalesce(p.name_zh, '') "
	    "  || ' ' || replace(p.category, '-', ' ')) @@ to_tsquery('simple', m[1])) + "
	    "ts_rank(to_tsvector('simple', p.name || ' ' || coalesce(p.name_ms, '') || ' ' || "
	    "coalesce(p.name_zh, '') || ' ' || replace(p.category, '-', ' ')), q) AS r "
	    "FROM products p LEFT JOIN prices pr ON pr.tenant_id = p.tenant_id AND pr.sku = p.sku, "
	    "to_tsquery('simple', $2) q "
	    "WHERE p.tenant_id = $1 AND p.active AND to_tsvector('simple', p.name || ' ' || "
	    "coalesce(p.name_ms, '') || ' ' || coalesce(p.name_zh, '') || ' ' || replace(p.category, '-', ' ')) @@ q "
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

/* --- session state, L1 context, returns, knowledge gaps --------------- */

static char *state_key(const Chat__Turn *turn)
{
	return xasprintf("orch:state:%s:%s", turn_tenant(turn->tenant_id), turn->session_id);
}

static void jcopy(const json_t *j, const char *name, char *out, size_t len)
{
	const char *v = json_string_value(json_object_get(j, name));
	util_strlcpy(out, v ? v : "", len);
}

static char *owner_key(const Chat__Turn *turn)
{
	return xasprintf("handoff:owner:%s:%s", turn_tenant(turn->tenant_id), turn->session_id);
}

/* Fill st from the state value and owner from the owner value (either may
 * be a nil reply). */
static void parse_state(const redisReply *state, const redisReply *own, struct orch_state *st, char *owner,
			size_t ownerlen)
{
	memset(st, 0, sizeof(*st));
	owner[0] = '\0';
	if (own->type == REDIS_REPLY_STRING)
		util_strlcpy(owner, own->str, ownerlen);
	json_t *j = state->type == REDIS_REPLY_STRING ? json_loadb(state->str, state->len, 0, NULL) : NULL;
	if (!j)
		return;
	jcopy(j, "intent", st->intent, sizeof(st->intent));
	jcopy(j, "order_id", st->order_id, sizeof(st->order_id));
	jcopy(j, "sku", st->sku, sizeof(st->sku));
	jcopy(j, "store", st->store, sizeof(st->store));
	jcopy(j, "email", st->email, sizeof(st->email));
	jcopy(j, "items_kind", st->items_kind, sizeof(st->items_kind));
	jcopy(j, "told", st->told, sizeof(st->told));
	st->fails = (int)json_integer_value(json_object_get(j, "fails"));
	st->low_conf = (int)json_integer_value(json_object_get(j, "low_conf"));
	json_t *items = json_object_get(j, "items");
	for (size_t i = 0; i < json_array_size(items) && st->n_items < ORCH_MAX_ITEMS; i++) {
		const char *v = json_string_value(json_array_get(items, i));
		if (v)
			util_strlcpy(st->items[st->n_items++], v, sizeof(st->items[0]));
	}
	json_decref(j);
}

static int load_state(void *arg, const Chat__Turn *turn, struct orch_state *st, char *owner, size_t ownerlen)
{
	struct orch_store *s = arg;
	char *key = state_key(turn), *okey = owner_key(turn);
	redisReply *rep = credis_cmd(s->redis, "MGET %s %s", key, okey);
	free(key);
	free(okey);
	memset(st, 0, sizeof(*st));
	owner[0] = '\0';
	if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
		if (rep)
			freeReplyObject(rep);
		return -1;
	}
	parse_state(rep->element[0], rep->element[1], st, owner, ownerlen);
	freeReplyObject(rep);
	return 0;
}

/* Memory, state and owner in one round trip. */
static const char load_lua[] = "local h = redis.call('LRANGE', KEYS[1], -tonumber(ARGV[1]), -1) "
			       "return {h, redis.call('GET', KEYS[2]), redis.call('GET', KEYS[3])}";

static int load_session(void *arg, Chat__Turn *turn, int max, struct orch_state *st, char *owner, size_t ownerlen)
{
	struct orch_store *s = arg;
	char *mkey = memory_key(turn), *key = state_key(turn), *okey = owner_key(turn);
	char maxs[16];
	snprintf(maxs, sizeof(maxs), "%d", max);
	const char *argv[] = { "EVAL", load_lua, "3", mkey, key, okey, maxs };
	redisReply *rep = credis_cmdargv(s->redis, (int)ARRAY_LEN(argv), argv, NULL);
	free(mkey);
	free(key);
	free(okey);
	memset(st, 0, sizeof(*st));
	owner[0] = '\0';
	if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 3 ||
	    rep->element[0]->type != REDIS_REPLY_ARRAY) {
		if (rep && rep->type == REDIS_REPLY_ERROR)
			log_warn("redis refused the session load: %s", rep->str);
		if (rep)
			freeReplyObject(rep);
		return -1;
	}
	add_history(turn, rep->element[0]);
	parse_state(rep->element[1], rep->element[2], st, owner, ownerlen);
	freeReplyObject(rep);
	return 0;
}

/* The state, and for a signed-in customer the session in their set of
 * sessions (what erasure finds), in one round trip. */
static const char save_lua[] = "redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) "
			       "if KEYS[2] then redis.call('SADD', KEYS[2], ARGV[3]) "
			       "redis.call('EXPIRE', KEYS[2], ARGV[2]) end return 1";

static int save_state(void *arg, const Chat__Turn *turn, const struct orch_state *st)
{
	struct orch_store *s = arg;
	json_t *items = json_array();
	for (int i = 0; i < st->n_items; i++)
		json_array_append_new(items, json_string(st->items[i]));
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:i,s:i}", "intent", st->intent, "order_id",
			      st->order_id, "sku", st->sku, "store", st->store, "email", st->email, "items_kind",
			      st->items_kind, "told", st->told, "items", items, "fails", st->fails, "low_conf",
			      st->low_conf);
	char *val = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	char *key = state_key(turn);
	char ttl[24];
	snprintf(ttl, sizeof(ttl), "%ld", s->memory_ttl_s);
	int customer = turn->customer && turn->customer->authenticated && *turn->customer->id;
	char *ckey = customer ? xasprintf("cust:sessions:%s:%s", turn_tenant(turn->tenant_id), turn->customer->id)
			      : NULL;
	const char *argv[] = { "EVAL", save_lua, customer ? "2" : "1", key, ckey ? ckey : val,
			       ckey ? val : ttl, ckey ? ttl : turn->session_id, turn->session_id };
	int argc = customer ? 8 : 6;
	redisReply *rep = credis_cmdargv(s->redis, argc, argv, NULL);
	int rc = rep && rep->type != REDIS_REPLY_ERROR ? 0 : -1;
	if (rep && rep->type == REDIS_REPLY_ERROR)
		log_warn("redis refused the session state: %s", rep->str);
	if (rep)
		freeReplyObject(rep);
	free(key);
	free(ckey);
	free(val);
	return rc;
}

/* A JSON string as a fresh heap string, "" when it is not one. */
static char *jdup(const json_t *v)
{
	const char *s = json_string_value(v);
	return xstrdup(s ? s : "");
}

static int load_context(void *arg, const char *tenant, const char *customer_id, Chat__CustomerContext *ctx)
{
	/* One round trip: the profile with its recent orders and open tickets
	 * (orch_customer_context, migration 010_orch_lookups). */
	static const char sql[] = "SELECT * FROM orch_customer_context($1, $2)";
	const char *params[] = { tenant, customer_id };
	int rc;
	PGresult *res = tool_query(arg, "context", sql, 2, params, &rc);
	if (!res)
		return rc;
	int found = PQntuples(res) > 0;
	if (found) {
		turn_set_str(&ctx->name, PQgetvalue(res, 0, 0));
		turn_set_str(&ctx->loyalty_tier, PQgetvalue(res, 0, 1));
		ctx->loyalty_points = col_ll(res, 0, 2);
		json_t *orders = json_loads(PQgetvalue(res, 0, 3), 0, NULL);
		size_t n = json_array_size(orders);
		ctx->recent_orders = n ? xcalloc(n, sizeof(*ctx->recent_orders)) : NULL;
		for (size_t i = 0; i < n; i++) {
			json_t *o = json_array_get(orders, i);
			Chat__OrderSummary *os = xmalloc(sizeof(*os));
			chat__order_summary__init(os);
			os->order_id = jdup(json_array_get(o, 0));
			os->status = jdup(json_array_get(o, 1));
			os->total_sen = json_integer_value(json_array_get(o, 2));
			os->placed_at_us = json_integer_value(json_array_get(o, 3));
			ctx->recent_orders[ctx->n_recent_orders++] = os;
		}
		json_decref(orders);
		json_t *tickets = json_loads(PQgetvalue(res, 0, 4), 0, NULL);
		n = json_array_size(tickets);
		ctx->open_tickets = n ? xcalloc(n, sizeof(*ctx->open_tickets)) : NULL;
		for (size_t i = 0; i < n; i++)
			ctx->open_tickets[ctx->n_open_tickets++] = jdup(json_array_get(tickets, i));
		json_decref(tickets);
	}
	PQclear(res);
	return found;
}

static int start_return(void *arg, const Chat__Turn *turn, const char *order_id, struct orch_return *out)
{
	/* An open return on the order (chat's or the ERP's) is reported, not
	 * doubled; this turn's own request (a replay) counts as opened. */
	static const char existing[] =
	    "SELECT return_id, status, turn_id FROM return_requests WHERE tenant_id = $1 AND order_id = $2 "
	    "AND status IN ('requested', 'approved') "
	    "UNION ALL SELECT return_id, status, coalesce(created_turn_id, '') FROM returns "
	    "WHERE tenant_id = $1 AND order_id = $2 AND status IN ('requested', 'approved', 'received') LIMIT 1";
	static const char insert[] =
	    "INSERT INTO return_requests (tenant_id, order_id, customer_id, turn_id, session_id, reason) "
	    "VALUES ($1, $2, NULLIF($3, ''), $4, $5, left($6, 500)) ON CONFLICT (turn_id) DO NOTHING";
	static const char by_turn[] = "SELECT return_id, status FROM return_requests WHERE turn_id = $1";
	const char *tenant = turn_tenant(turn->tenant_id);
	const char *customer = turn->customer && turn->customer->authenticated ? turn->customer->id : "";
	const char *p1[] = { tenant, order_id };
	int rc;
	PGresult *res = tool_query(arg, "open return", existing, 2, p1, &rc);
	if (!res)
		return rc;
	if (PQntuples(res) > 0) {
		col(res, 0, 0, out->return_id, sizeof(out->return_id));
		col(res, 0, 1, out->status, sizeof(out->status));
		int mine = !strcmp(PQgetvalue(res, 0, 2), turn->turn_id);
		PQclear(res);
		return mine ? 1 : 2;
	}
	PQclear(res);
	const char *p2[] = { tenant, order_id, customer, turn->turn_id, turn->session_id, turn->text };
	struct orch_store *s = arg;
	char errstr[256];
	rc = cpg_run(s->pg, insert, 6, p2, NULL, errstr, sizeof(errstr));
	if (rc < 0) {
		if (rc == -2)
			log_warn("return request refused: %s", errstr);
		return rc;
	}
	const char *p3[] = { turn->turn_id };
	res = tool_query(arg, "return by turn", by_turn, 1, p3, &rc);
	if (!res)
		return rc;
	int found = PQntuples(res) > 0;
	if (found) {
		col(res, 0, 0, out->return_id, sizeof(out->return_id));
		col(res, 0, 1, out->status, sizeof(out->status));
	}
	PQclear(res);
	return found ? 1 : -2;
}

static int log_gap(void *arg, const Chat__Turn *turn)
{
	struct orch_store *s = arg;
	static const char sql[] =
	    "INSERT INTO knowledge_gaps (turn_id, tenant_id, session_id, customer_id, text, intent, confidence, "
	    "language, action, top_score, passages) VALUES ($1, $2, $3, NULLIF($4, ''), $5, $6, $7::real, $8, $9, "
	    "NULLIF($10, '')::double precision, $11::jsonb) ON CONFLICT (turn_id) DO NOTHING";
	json_t *ps = json_array();
	double top = 0;
	for (size_t i = 0; i < turn->n_passages; i++) {
		const Chat__Passage *p = turn->passages[i];
		json_array_append_new(ps, json_pack("{s:s,s:s,s:f}", "id", p->id, "title", p->title, "score", p->score));
		if (i == 0 || p->score > top)
			top = p->score;
	}
	char *pjson = json_dumps(ps, JSON_COMPACT);
	json_decref(ps);
	char conf[32], tops[32] = "";
	snprintf(conf, sizeof(conf), "%.4f", (double)turn->confidence);
	if (turn->n_passages)
		snprintf(tops, sizeof(tops), "%.6f", top);
	const char *action = turn->draft->action == CHAT__ACTION__ACTION_DECLINE ? "decline" : "clarify";
	const char *params[] = { turn->turn_id, turn_tenant(turn->tenant_id), turn->session_id,
				 turn->customer ? turn->customer->id : "", turn->text, turn->intent, conf,
				 turn->language, action, tops, pjson };
	char errstr[256];
	int rc = cpg_run(s->pg, sql, 11, params, NULL, errstr, sizeof(errstr));
	if (rc == -2)
		log_warn("knowledge gap refused: %s", errstr);
	free(pjson);
	return rc;
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

struct orch_session_io orch_store_session(struct orch_store *st)
{
	return (struct orch_session_io){ load_state, save_state, load_context, start_return, log_gap, load_session,
					 st };
}

struct orch_tools orch_store_tools(struct orch_store *st)
{
	return (struct orch_tools){ find_order, find_products, stock, loyalty, promotions, stores, st };
}
