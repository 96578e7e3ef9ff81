/* store: tickets in PostgreSQL, session ownership in Redis, the agent
 * API's queries and erasure. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

static char *owner_key(const char *tenant, const char *session)
{
	return xasprintf("handoff:owner:%s:%s", tenant, session);
}

/* Run a query expected to return rows: the result, or NULL with *rc -1
 * (unreachable) or -2 (refused; the SQLSTATE is logged). */
static PGresult *query(struct handoff_store *st, const char *what, const char *sql, int n, const char *const *p,
		       int *rc)
{
	PGresult *res = cpg_exec(st->pg, sql, n, p);
	if (!res) {
		*rc = -1;
		return NULL;
	}
	ExecStatusType s = PQresultStatus(res);
	if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		log_warn("handoff query \"%s\" failed: SQLSTATE %s", what, state ? state : "unknown");
		PQclear(res);
		*rc = -2;
		return NULL;
	}
	*rc = 0;
	return res;
}

/* The first column of the first row as one JSON value (the queries build
 * their answer with json_build_object), or NULL when there is no row. */
static json_t *json_row(PGresult *res)
{
	if (PQntuples(res) < 1 || PQgetisnull(res, 0, 0))
		return NULL;
	return json_loads(PQgetvalue(res, 0, 0), 0, NULL);
}

static long long session_ticket(void *arg, const Chat__Turn *turn)
{
	static const char sql[] = "SELECT id FROM handoff_tickets WHERE tenant_id = $1 AND session_id = $2 "
				  "AND status <> 'closed' ORDER BY id DESC LIMIT 1";
	const char *p[] = { turn_tenant(turn->tenant_id), turn->session_id };
	int rc;
	PGresult *res = query(arg, "session ticket", sql, 2, p, &rc);
	if (!res)
		return rc;
	long long id = PQntuples(res) ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);
	return id;
}

static long long open_ticket(void *arg, const Chat__Turn *turn, const struct handoff_ticket *t, int *created,
			     char *errstr, size_t errlen)
{
	static const char ins[] =
	    "INSERT INTO handoff_tickets (ticket_key, tenant_id, session_id, customer_id, reason, summary, intents, "
	    "order_ids, context, language, channel, reply_partition) VALUES ($1, $2, $3, NULLIF($4, ''), $5, $6, "
	    "ARRAY(SELECT json_array_elements_text($7::json)), ARRAY(SELECT json_array_elements_text($8::json)), "
	    "$9::jsonb, $10, $11::int, $12::int) ON CONFLICT (ticket_key) DO NOTHING RETURNING id";
	static const char by_key[] = "SELECT id FROM handoff_tickets WHERE ticket_key = $1";
	char channel[16], part[16];
	snprintf(channel, sizeof(channel), "%d", (int)turn->channel);
	snprintf(part, sizeof(part), "%d", turn->reply_partition);
	const char *customer = turn->customer && turn->customer->authenticated ? turn->customer->id : "";
	const char *p[] = { turn->turn_id, turn_tenant(turn->tenant_id), turn->session_id, customer,
			    turn->draft ? turn->draft->reason : "", t->summary, t->intents_json, t->order_ids_json,
			    t->context_json, *turn->language ? turn->language : "en", channel, part };
	int rc;
	PGresult *res = query(arg, "open ticket", ins, 12, p, &rc);
	if (!res) {
		snprintf(errstr, errlen, "ticket not stored (%s)", rc == -1 ? "database unreachable" : "refused");
		return rc;
	}
	*created = PQntuples(res) > 0;
	long long id = *created ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);
	if (!*created) {
		const char *k[] = { turn->turn_id };
		res = query(arg, "ticket by key", by_key, 1, k, &rc);
		if (!res)
			return rc;
		id = PQntuples(res) ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : -2;
		PQclear(res);
	}
	return id;
}

static int append(void *arg, long long ticket, const char *msg_key, const char *role, const char *text)
{
	static const char sql[] = "INSERT INTO ticket_messages (ticket_id, msg_key, role, text) "
				  "VALUES ($1::bigint, $2, $3, $4) ON CONFLICT (msg_key) DO NOTHING RETURNING id";
	char id[32];
	snprintf(id, sizeof(id), "%lld", ticket);
	const char *p[] = { id, msg_key, role, text };
	int rc;
	PGresult *res = query(arg, "append", sql, 4, p, &rc);
	if (!res)
		return rc;
	int added = PQntuples(res) > 0;
	PQclear(res);
	if (added) {
		const char *q = "UPDATE handoff_tickets SET updated_at = now() WHERE id = $1::bigint";
		const char *pp[] = { id };
		struct handoff_store *st = arg;
		char err[128];
		cpg_run(st->pg, q, 1, pp, NULL, err, sizeof(err));
	}
	return added;
}

/* A person owns the session from now on: the orchestrator sends the
 * customer's messages to the ticket (best effort: Redis down means the
 * assistant keeps answering). */
static void set_owner(struct handoff_store *st, const json_t *t)
{
	char *key = owner_key(json_string_value(json_object_get(t, "tenant_id")),
			      json_string_value(json_object_get(t, "session_id")));
	long long id = (long long)json_integer_value(json_object_get(t, "id"));
	redisReply *rep = credis_cmd(st->redis, "SET %s %lld EX %ld", key, id, st->owner_ttl_s);
	if (!rep)
		log_warn("redis unreachable: ticket %lld does not hold its session", id);
	else
		freeReplyObject(rep);
	free(key);
}

static void notify(void *arg, const char *text)
{
	struct handoff_store *st = arg;
	if (st->nt)
		notifier_post(st->nt, text);
}

struct handoff_store *handoff_store_new(const char *database_url, const char *redis_url, long owner_ttl_s,
					struct notifier *nt)
{
	char errstr[256];
	struct credis *r = credis_new(redis_url, 300, errstr, sizeof(errstr));
	if (!r) {
		log_error("%s", errstr);
		return NULL;
	}
	struct handoff_store *st = xcalloc(1, sizeof(*st));
	st->redis = r;
	st->pg = cpg_new(database_url);
	st->owner_ttl_s = owner_ttl_s;
	st->nt = nt;
	return st;
}

void handoff_store_free(struct handoff_store *st)
{
	if (!st)
		return;
	credis_free(st->redis);
	cpg_free(st->pg);
	free(st);
}

struct handoff_io handoff_store_io(struct handoff_store *st)
{
	return (struct handoff_io){ session_ticket, open_ticket, append, notify, st };
}

/* --- agent API ------------------------------------------------------- */

#define TICKET_JSON                                                                                            \
	"json_build_object('id', t.id, 'tenant_id', t.tenant_id, 'session_id', t.session_id, 'customer_id', "   \
	"t.customer_id, 'status', t.status, 'agent', t.agent, 'reason', t.reason, 'language', t.language, "      \
	"'intents', to_json(t.intents), 'order_ids', to_json(t.order_ids), 'created_at', t.created_at, "         \
	"'updated_at', t.updated_at, 'closed_at', t.closed_at"

/* The condition that limits a query to tenant $n (NULL: every tenant). */
#define TENANT_IS(n) "($" #n "::text IS NULL OR t.tenant_id = $" #n ")"

int hs_list(struct handoff_store *st, const char *tenant, const char *status, json_t **out)
{
	static const char sql[] =
	    "SELECT coalesce(json_agg(" TICKET_JSON ") ORDER BY t.id), '[]') FROM handoff_tickets t "
	    "WHERE ($1 = 'all' OR ($1 = 'active' AND t.status <> 'closed') OR t.status = $1) AND " TENANT_IS(2);
	const char *p[] = { status, tenant };
	int rc;
	PGresult *res = query(st, "list tickets", sql, 2, p, &rc);
	if (!res)
		return rc;
	*out = json_row(res);
	PQclear(res);
	return *out ? 0 : -2;
}

int hs_get(struct handoff_store *st, const char *tenant, long long id, json_t **out)
{
	/* The ticket with its summary and context, the bot-era transcript of
	 * the session, and the messages since the hand-off. */
	static const char sql[] =
	    "SELECT " TICKET_JSON ", 'summary', t.summary, 'context', t.context, "
	    "'transcript', coalesce((SELECT json_agg(json_build_object('role', x.role, 'text', x.text, 'at', "
	    "x.created_at) ORDER BY x.created_at, x.role DESC) FROM transcripts x WHERE x.tenant_id = t.tenant_id "
	    "AND x.session_id = t.session_id), '[]'), "
	    "'messages', coalesce((SELECT json_agg(json_build_object('role', m.role, 'text', m.text, 'at', "
	    "m.created_at) ORDER BY m.id) FROM ticket_messages m WHERE m.ticket_id = t.id), '[]')) "
	    "FROM handoff_tickets t WHERE t.id = $1::bigint AND " TENANT_IS(2);
	char ids[32];
	snprintf(ids, sizeof(ids), "%lld", id);
	const char *p[] = { ids, tenant };
	int rc;
	PGresult *res = query(st, "get ticket", sql, 2, p, &rc);
	if (!res)
		return rc;
	*out = json_row(res);
	PQclear(res);
	return *out ? 0 : -3;
}

/* Status of ticket id of tenant (NULL: any): 0 with status filled, -3
 * none, or -1/-2. */
static int ticket_status(struct handoff_store *st, const char *tenant, const char *ids, char *status, size_t len)
{
	static const char sql[] = "SELECT t.status FROM handoff_tickets t WHERE t.id = $1::bigint AND " TENANT_IS(2);
	const char *p[] = { ids, tenant };
	int rc;
	PGresult *res = query(st, "ticket status", sql, 2, p, &rc);
	if (!res)
		return rc;
	rc = PQntuples(res) ? 0 : -3;
	if (!rc)
		util_strlcpy(status, PQgetvalue(res, 0, 0), len);
	PQclear(res);
	return rc;
}

int hs_claim(struct handoff_store *st, const char *tenant, long long id, const char *agent, json_t **out)
{
	static const char sql[] = "UPDATE handoff_tickets t SET status = 'assigned', agent = $2, updated_at = now() "
				  "WHERE t.id = $1::bigint AND t.status <> 'closed' AND " TENANT_IS(3)
				  " RETURNING " TICKET_JSON ")";
	char ids[32], status[16];
	snprintf(ids, sizeof(ids), "%lld", id);
	const char *p[] = { ids, agent, tenant };
	int rc;
	PGresult *res = query(st, "claim", sql, 3, p, &rc);
	if (!res)
		return rc;
	*out = json_row(res);
	PQclear(res);
	if (*out) {
		set_owner(st, *out);
		return 0;
	}
	rc = ticket_status(st, tenant, ids, status, sizeof(status));
	return rc < 0 ? rc : -4;
}

#define ROUTE_JSON                                                                                             \
	"json_build_object('id', t.id, 'tenant_id', t.tenant_id, 'session_id', t.session_id, 'channel', "        \
	"t.channel, 'reply_partition', t.reply_partition, 'language', t.language, 'customer_id', "              \
	"coalesce(t.customer_id, ''))"

int hs_reply(struct handoff_store *st, const char *tenant, long long id, const char *msg_key, const char *agent,
	     const char *text, json_t **out)
{
	/* One statement: the ticket must be open; the message and the
	 * transcript row are written together. */
	static const char sql[] =
	    "WITH t AS (SELECT * FROM handoff_tickets t WHERE t.id = $1::bigint AND t.status <> 'closed' AND "
	    TENANT_IS(5) "), "
	    "m AS (INSERT INTO ticket_messages (ticket_id, msg_key, role, text) SELECT t.id, $2, 'agent', $4 FROM t "
	    "ON CONFLICT (msg_key) DO NOTHING RETURNING ticket_id), "
	    "x AS (INSERT INTO transcripts (turn_id, role, tenant_id, session_id, customer_id, text, intent) "
	    "SELECT $2, 'agent', t.tenant_id, t.session_id, t.customer_id, $4, 'agent:' || $3 FROM t "
	    "ON CONFLICT DO NOTHING RETURNING 1), "
	    "u AS (UPDATE handoff_tickets h SET updated_at = now(), status = CASE WHEN h.status = 'open' THEN "
	    "'assigned' ELSE h.status END, agent = coalesce(h.agent, $3) FROM t WHERE h.id = t.id RETURNING 1) "
	    "SELECT " ROUTE_JSON " FROM t";
	char ids[32], status[16];
	snprintf(ids, sizeof(ids), "%lld", id);
	const char *p[] = { ids, msg_key, agent, text, tenant };
	int rc;
	PGresult *res = query(st, "reply", sql, 5, p, &rc);
	if (!res)
		return rc;
	*out = json_row(res);
	PQclear(res);
	if (*out) {
		set_owner(st, *out);
		return 0;
	}
	rc = ticket_status(st, tenant, ids, status, sizeof(status));
	return rc < 0 ? rc : -4;
}

int hs_close(struct handoff_store *st, const char *tenant, long long id, json_t **out)
{
	static const char sql[] = "UPDATE handoff_tickets t SET status = 'closed', closed_at = now(), "
				  "updated_at = now() WHERE t.id = $1::bigint AND t.status <> 'closed' AND " TENANT_IS(2)
				  " RETURNING " ROUTE_JSON;
	char ids[32], status[16];
	snprintf(ids, sizeof(ids), "%lld", id);
	const char *p[] = { ids, tenant };
	int rc;
	PGresult *res = query(st, "close", sql, 2, p, &rc);
	if (!res)
		return rc;
	*out = json_row(res);
	PQclear(res);
	if (!*out) {
		rc = ticket_status(st, tenant, ids, status, sizeof(status));
		return rc < 0 ? rc : -4;
	}
	/* The assistant answers the session again. */
	char *key = owner_key(json_string_value(json_object_get(*out, "tenant_id")),
			      json_string_value(json_object_get(*out, "session_id")));
	redisReply *rep = credis_cmd(st->redis, "DEL %s", key);
	if (!rep)
		log_warn("redis unreachable: ticket %lld closed, its session stays with people until the key expires",
			 id);
	else
		freeReplyObject(rep);
	free(key);
	return 0;
}

/* --- erasure --------------------------------------------------------- */

int hs_erase(struct handoff_store *st, const char *tenant, const char *customer_id, json_t **out, char *errstr,
	     size_t errlen)
{
	/* The customer's sessions: from the database, and the set the
	 * orchestrator keeps in Redis (sessions whose transcript may not have
	 * reached the database). */
	json_t *sessions = json_array();
	char *ckey = xasprintf("cust:sessions:%s:%s", tenant, customer_id);
	redisReply *rep = credis_cmd(st->redis, "SMEMBERS %s", ckey);
	int redis_up = rep != NULL;
	if (rep && rep->type == REDIS_REPLY_ARRAY)
		for (size_t i = 0; i < rep->elements; i++)
			if (rep->element[i]->str)
				json_array_append_new(sessions, json_string(rep->element[i]->str));
	if (rep)
		freeReplyObject(rep);
	char *sess_json = json_dumps(sessions, JSON_COMPACT);

	/* One transaction; each CTE counts what it removed. Sessions are the
	 * customer's when any of their rows names them. */
	static const char sql[] =
	    "WITH s AS (SELECT json_array_elements_text($3::json) AS session_id "
	    "UNION SELECT session_id FROM transcripts WHERE tenant_id = $1 AND customer_id = $2 "
	    "UNION SELECT session_id FROM handoff_tickets WHERE tenant_id = $1 AND customer_id = $2 "
	    "UNION SELECT session_id FROM return_requests WHERE tenant_id = $1 AND customer_id = $2 "
	    "UNION SELECT session_id FROM knowledge_gaps WHERE tenant_id = $1 AND customer_id = $2), "
	    "tk AS (SELECT id FROM handoff_tickets WHERE tenant_id = $1 AND (customer_id = $2 OR session_id IN "
	    "(SELECT session_id FROM s))), "
	    "d_msg AS (DELETE FROM ticket_messages WHERE ticket_id IN (SELECT id FROM tk) RETURNING 1), "
	    "d_tk AS (DELETE FROM handoff_tickets WHERE id IN (SELECT id FROM tk) RETURNING 1), "
	    "d_tr AS (DELETE FROM transcripts WHERE tenant_id = $1 AND (customer_id = $2 OR session_id IN "
	    "(SELECT session_id FROM s)) RETURNING 1), "
	    "d_fb AS (DELETE FROM feedback WHERE tenant_id = $1 AND session_id IN (SELECT session_id FROM s) "
	    "RETURNING 1), "
	    "d_kg AS (DELETE FROM knowledge_gaps WHERE tenant_id = $1 AND (customer_id = $2 OR session_id IN "
	    "(SELECT session_id FROM s)) RETURNING 1), "
	    "u_rr AS (UPDATE return_requests SET customer_id = NULL, reason = '' WHERE tenant_id = $1 AND "
	    "customer_id = $2 RETURNING 1), "
	    "u_or AS (UPDATE orders SET customer_id = NULL WHERE tenant_id = $1 AND customer_id = $2 RETURNING 1), "
	    "d_cu AS (DELETE FROM customers WHERE tenant_id = $1 AND customer_id = $2 AND "
	    "(SELECT count(*) FROM u_or) >= 0 RETURNING 1) "
	    "SELECT json_build_object('transcripts', (SELECT count(*) FROM d_tr), "
	    "'tickets', (SELECT count(*) FROM d_tk), 'ticket_messages', (SELECT count(*) FROM d_msg), "
	    "'feedback', (SELECT count(*) FROM d_fb), 'knowledge_gaps', (SELECT count(*) FROM d_kg), "
	    "'profile', (SELECT count(*) FROM d_cu), 'orders_unlinked', (SELECT count(*) FROM u_or), "
	    "'return_requests_unlinked', (SELECT count(*) FROM u_rr), "
	    "'sessions', (SELECT coalesce(json_agg(session_id), '[]') FROM s))";
	const char *p[] = { tenant, customer_id, sess_json };
	int rc;
	PGresult *res = query(st, "erase", sql, 3, p, &rc);
	free(sess_json);
	json_decref(sessions);
	if (!res) {
		snprintf(errstr, errlen, "%s", rc == -1 ? "database unreachable" : "the database refused the erasure");
		free(ckey);
		return rc;
	}
	*out = json_row(res);
	PQclear(res);
	if (!*out) {
		free(ckey);
		snprintf(errstr, errlen, "no answer from the erasure");
		return -2;
	}
	/* Memory, follow-up state and ownership of every session. */
	long keys = 0;
	json_t *all = json_object_get(*out, "sessions");
	for (size_t i = 0; redis_up && i < json_array_size(all); i++) {
		const char *sid = json_string_value(json_array_get(all, i));
		rep = credis_cmd(st->redis, "DEL mem:%s:%s orch:state:%s:%s handoff:owner:%s:%s", tenant, sid, tenant,
				 sid, tenant, sid);
		if (rep && rep->type == REDIS_REPLY_INTEGER)
			keys += (long)rep->integer;
		if (rep)
			freeReplyObject(rep);
	}
	rep = redis_up ? credis_cmd(st->redis, "DEL %s", ckey) : NULL;
	if (rep && rep->type == REDIS_REPLY_INTEGER)
		keys += (long)rep->integer;
	if (rep)
		freeReplyObject(rep);
	free(ckey);
	json_object_set_new(*out, "sessions", json_integer((json_int_t)json_array_size(all)));
	json_object_set_new(*out, "redis_keys", json_integer(keys));
	if (!redis_up) {
		snprintf(errstr, errlen, "redis unreachable: session memory not erased");
		json_object_set_new(*out, "redis_error", json_string(errstr));
	}
	return 0;
}
