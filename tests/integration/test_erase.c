/* Right to erasure against the running stack: a customer with a profile,
 * an order, conversations (transcripts, memory, follow-up state), a ticket
 * with messages, feedback and a knowledge gap is erased through the admin
 * endpoint; every table and Redis key is checked afterwards. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "util.h"

static long long count(const char *sql, const char *p1)
{
	char *v = it_pg_value(sql, p1, NULL);
	long long n = v ? strtoll(v, NULL, 10) : -1;
	free(v);
	return n;
}

Test(erase, one_customer_everywhere, .timeout = 180)
{
	char uuid[37], cust[48], order[16], sid[64], sid2[64];
	util_uuid(uuid);
	snprintf(cust, sizeof(cust), "CUST-IT-%.8s", uuid);
	snprintf(order, sizeof(order), "ORD-9%05u", (unsigned)(util_now_us() % 100000));
	free(it_pg_value("INSERT INTO customers (customer_id, name, email, loyalty_tier) VALUES ($1, 'Erase Me', "
			 "$1 || '@example.com', 'bronze')",
			 cust, NULL));
	free(it_pg_value("INSERT INTO orders (order_id, customer_id, email, status, subtotal_sen, total_sen, placed_at, "
			 "updated_at) VALUES ($1, $2, $2 || '@example.com', 'paid', 1000, 1000, now(), now()) "
			 "ON CONFLICT DO NOTHING",
			 order, cust));
	it_open_session(sid, sizeof(sid));
	it_open_session(sid2, sizeof(sid2));
	json_t *ev = it_ask_as(sid, cust, "Where is my order?", NULL, 30000);
	cr_assert_not_null(ev);
	json_decref(ev);
	ev = it_ask_as(sid, cust, "zorblax quibbity frandle", NULL, 30000); /* a knowledge gap */
	json_decref(ev);
	ev = it_ask_as(sid2, cust, "I want to speak to a person", NULL, 30000);
	json_decref(ev);
	char *tk = it_pg_wait("SELECT id::text FROM handoff_tickets WHERE session_id = $1", sid2, 20000);
	cr_assert_not_null(tk, "setup: no ticket");
	char cpath[96];
	long cst;
	snprintf(cpath, sizeof(cpath), "/v1/tickets/%s/claim", tk);
	json_decref(it_agent("POST", cpath, "{}", getenv("HANDOFF_AGENT_TOKEN"), &cst));
	cr_assert_eq(cst, 200);
	free(tk);
	ev = it_ask_as(sid2, cust, "are you there?", NULL, 30000);
	json_decref(ev);
	free(it_pg_value("INSERT INTO feedback (turn_id, session_id, rating) VALUES ($1 || '-fb', $1, 1)", sid, NULL));
	char *w = it_pg_wait("SELECT 1 FROM ticket_messages m JOIN handoff_tickets t ON t.id = m.ticket_id "
			     "WHERE t.session_id = $1",
			     sid2, 20000);
	cr_assert_not_null(w, "setup: the ticket message did not arrive");
	free(w);
	w = it_pg_wait("SELECT 1 FROM knowledge_gaps WHERE session_id = $1", sid, 20000);
	cr_assert_not_null(w, "setup: no knowledge gap");
	free(w);
	w = it_pg_wait("SELECT 1 FROM transcripts WHERE session_id = $1", sid, 20000);
	free(w);
	char *k = it_redis("EXISTS orch:state:demo:%s", sid);
	cr_assert_str_eq(k, "1", "setup: no session state in Redis");
	free(k);

	char *ticket = it_pg_value("SELECT id::text FROM handoff_tickets WHERE session_id = $1", sid2, NULL);
	cr_assert_not_null(ticket);
	long status;
	char path[128];
	snprintf(path, sizeof(path), "/v1/customers/%s?tenant=demo", cust);
	json_t *r = it_agent("DELETE", path, NULL, getenv("HANDOFF_ADMIN_TOKEN"), &status);
	cr_assert_eq(status, 200, "erasure answered %ld", status);
	cr_assert_geq(json_integer_value(json_object_get(r, "transcripts")), 4);
	cr_assert_eq(json_integer_value(json_object_get(r, "tickets")), 1);
	cr_assert_geq(json_integer_value(json_object_get(r, "ticket_messages")), 1);
	cr_assert_eq(json_integer_value(json_object_get(r, "feedback")), 1);
	cr_assert_geq(json_integer_value(json_object_get(r, "knowledge_gaps")), 1);
	cr_assert_eq(json_integer_value(json_object_get(r, "profile")), 1);
	cr_assert_eq(json_integer_value(json_object_get(r, "orders_unlinked")), 1);
	cr_assert_geq(json_integer_value(json_object_get(r, "redis_keys")), 3);
	json_decref(r);

	/* Every table, checked. */
	const char *sess[] = { sid, sid2 };
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(count("SELECT count(*) FROM transcripts WHERE session_id = $1", sess[i]), 0);
		cr_assert_eq(count("SELECT count(*) FROM handoff_tickets WHERE session_id = $1", sess[i]), 0);
		cr_assert_eq(count("SELECT count(*) FROM feedback WHERE session_id = $1", sess[i]), 0);
		cr_assert_eq(count("SELECT count(*) FROM knowledge_gaps WHERE session_id = $1", sess[i]), 0);
		char *m = it_redis("EXISTS mem:demo:%s orch:state:demo:%s handoff:owner:demo:%s", sess[i], sess[i],
				   sess[i]);
		cr_assert_str_eq(m, "0", "Redis keys of session %s remain", sess[i]);
		free(m);
	}
	cr_assert_eq(count("SELECT count(*) FROM transcripts WHERE customer_id = $1", cust), 0);
	cr_assert_eq(count("SELECT count(*) FROM handoff_tickets WHERE customer_id = $1", cust), 0);
	cr_assert_eq(count("SELECT count(*) FROM knowledge_gaps WHERE customer_id = $1", cust), 0);
	cr_assert_eq(count("SELECT count(*) FROM return_requests WHERE customer_id = $1", cust), 0);
	cr_assert_eq(count("SELECT count(*) FROM customers WHERE customer_id = $1", cust), 0);
	cr_assert_eq(count("SELECT count(*) FROM orders WHERE customer_id = $1", cust), 0);
	cr_assert_eq(count("SELECT count(*) FROM orders WHERE order_id = $1 AND customer_id IS NULL", order), 1,
		     "the order is kept, unlinked");
	cr_assert_eq(count("SELECT count(*) FROM ticket_messages WHERE ticket_id = $1::bigint", ticket), 0);
	free(ticket);
	char *set = it_redis("EXISTS cust:sessions:demo:%s", cust);
	cr_assert_str_eq(set, "0");
	free(set);

	/* Without the admin token: refused. */
	r = it_agent("DELETE", path, NULL, "nope", &status);
	cr_assert_eq(status, 401);
	json_decref(r);
	r = it_agent("DELETE", "/v1/customers/bad%20id", NULL, getenv("HANDOFF_ADMIN_TOKEN"), &status);
	cr_assert_eq(status, 400);
	json_decref(r);
}

Test(erase, chatctl_prints_counts_per_kind, .timeout = 60)
{
	char uuid[37], cmd[512], out[4096];
	util_uuid(uuid);
	free(it_pg_value("INSERT INTO customers (customer_id, name, email) VALUES ($1, 'Cli', $1 || '@example.com')",
			 uuid, NULL));
	snprintf(cmd, sizeof(cmd), "%s/build/bin/chatctl erase --customer %s 2>&1",
		 getenv("REPO_DIR") ? getenv("REPO_DIR") : ".", uuid);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	int rc = pclose(p);
	cr_assert_eq(rc, 0, "chatctl erase failed: %s", out);
	cr_assert(strstr(out, "profile") && strstr(out, "transcripts") && strstr(out, "orders_unlinked"), "%s", out);
	cr_assert_eq(count("SELECT count(*) FROM customers WHERE customer_id = $1", uuid), 0);
}
