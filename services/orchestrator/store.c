/* store: session memory in Redis and transcripts in PostgreSQL. */
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
	return xasprintf("mem:%s:%s", *turn->tenant_id ? turn->tenant_id : "demo", turn->session_id);
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
	const char *params[] = { turn->turn_id, *turn->tenant_id ? turn->tenant_id : "demo", turn->session_id,
				 customer, turn->text, turn->intent, reply };
	return cpg_run(st->pg, sql, 7, params, NULL, errstr, errlen);
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
