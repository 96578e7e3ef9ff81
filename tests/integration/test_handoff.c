/* Human hand-off against the running stack: a ticket with its context, the
 * webhook notification, the agent API (list, show, claim, reply delivered to
 * the customer, close), messages that go to the ticket while a person has
 * the session, and the bot answering again after close. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"
#include "util.h"

/* A one-shot webhook receiver on the port deploy/env.sh names
 * (20050 + PORT_OFFSET): keeps the bodies it gets, answers 200. */
struct hook {
	int fd;
	char bodies[8192];
	size_t n;
	volatile int stop;
};

static void *hook_run(void *arg)
{
	struct hook *h = arg;
	while (!h->stop) {
		int c = accept(h->fd, NULL, NULL);
		if (c < 0)
			continue;
		char buf[4096];
		ssize_t r = recv(c, buf, sizeof(buf) - 1, 0);
		if (r > 0) {
			buf[r] = '\0';
			const char *body = strstr(buf, "\r\n\r\n");
			if (body && h->n + strlen(body) < sizeof(h->bodies) - 1) {
				memcpy(h->bodies + h->n, body + 4, strlen(body + 4) + 1);
				h->n += strlen(body + 4);
			}
		}
		static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
		send(c, ok, sizeof(ok) - 1, 0);
		close(c);
	}
	return NULL;
}

static int hook_start(struct hook *h, pthread_t *th)
{
	long off = 0;
	const char *s = getenv("PORT_OFFSET");
	if (s && *s)
		util_parse_long(s, 0, 40000, &off);
	memset(h, 0, sizeof(*h));
	h->fd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct timeval tv = { 0, 200000 };
	setsockopt(h->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)(20050 + off)) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (bind(h->fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(h->fd, 8))
		return -1;
	pthread_create(th, NULL, hook_run, h);
	return 0;
}

static const char *token(void)
{
	const char *t = getenv("HANDOFF_AGENT_TOKEN");
	return t ? t : "";
}

static long long ticket_of(const char *sid)
{
	char *id = it_pg_wait("SELECT id::text FROM handoff_tickets WHERE session_id = $1", sid, 20000);
	cr_assert_not_null(id, "no ticket for session %s", sid);
	long long v = strtoll(id, NULL, 10);
	free(id);
	return v;
}

Test(handoff, ticket_agent_api_ownership_and_close, .timeout = 180)
{
	struct hook hk;
	pthread_t th;
	int hooked = hook_start(&hk, &th) == 0;

	char sid[64], path[128];
	it_open_session(sid, sizeof(sid));
	json_decref(it_ask_as(sid, "CUST-1001", "Where is my order ORD-102695?", NULL, 30000));
	json_t *ev = it_ask_as(sid, "CUST-1001", "I want to talk to a real person please", NULL, 30000);
	cr_assert_not_null(ev);
	cr_assert_str_eq(json_string_value(json_object_get(ev, "action")), "hand_off");
	json_decref(ev);
	long long id = ticket_of(sid);

	/* The ticket: intents seen, order ids, the customer's context. */
	char ids[32];
	snprintf(ids, sizeof(ids), "%lld", id);
	char *intents = it_pg_value("SELECT array_to_string(intents, ',') FROM handoff_tickets WHERE id = $1::bigint", ids, NULL);
	cr_assert(strstr(intents, "order_status") && strstr(intents, "human_agent"), "%s", intents);
	free(intents);
	char *orders = it_pg_value("SELECT array_to_string(order_ids, ',') FROM handoff_tickets WHERE id = $1::bigint", ids, NULL);
	cr_assert(strstr(orders, "ORD-102695"), "%s", orders);
	free(orders);
	char *tier = it_pg_value("SELECT context->>'loyalty_tier' FROM handoff_tickets WHERE id = $1::bigint", ids, NULL);
	cr_assert_str_eq(tier, "gold");
	free(tier);

	/* The API needs the token. */
	long status;
	json_t *r = it_agent("GET", "/v1/tickets", NULL, "wrong-token", &status);
	cr_assert_eq(status, 401);
	json_decref(r);
	r = it_agent("GET", "/v1/tickets", NULL, token(), &status);
	cr_assert_eq(status, 200);
	char *dump = json_dumps(r, JSON_COMPACT);
	cr_assert(strstr(dump, sid), "the open ticket is listed");
	free(dump);
	json_decref(r);

	/* Until a person claims it the assistant still answers. */
	ev = it_ask_as(sid, "CUST-1001", "hello", NULL, 30000);
	cr_assert_not_null(ev);
	cr_assert_str_eq(json_string_value(json_object_get(ev, "action")), "answer");
	json_decref(ev);

	snprintf(path, sizeof(path), "/v1/tickets/%lld/claim", id);
	r = it_agent("POST", path, "{\"agent\":\"mei\"}", token(), &status);
	cr_assert_eq(status, 200);
	cr_assert_str_eq(json_string_value(json_object_get(r, "status")), "assigned");
	json_decref(r);

	/* Once a person owns the session the customer's messages go to the
	 * ticket; the customer is told once. */
	ev = it_ask_as(sid, "CUST-1001", "Hello, is anyone there?", NULL, 30000);
	cr_assert_not_null(ev, "the first message after the hand-off is acknowledged");
	cr_assert(strstr(json_string_value(json_object_get(ev, "text")), "passed your message on"));
	json_decref(ev);
	char tid[40];
	util_uuid(tid);
	ev = it_ask_as(sid, "CUST-1001", "My parcel is late", tid, 4000);
	cr_assert_null(ev, "told once only");
	char *msg = it_pg_wait("SELECT text FROM ticket_messages WHERE msg_key = $1", tid, 20000);
	cr_assert_not_null(msg, "the message reached the ticket");
	cr_assert_str_eq(msg, "My parcel is late");
	free(msg);

	/* The agent's reply reaches the customer's session like any reply. */
	snprintf(path, sizeof(path), "/v1/tickets/%lld/reply", id);
	r = it_agent("POST", path, "{\"text\":\"Hi, Mei here. Your parcel is with J&T.\"}", token(), &status);
	cr_assert_eq(status, 200);
	const char *reply_turn = json_string_value(json_object_get(r, "turn_id"));
	cr_assert_not_null(reply_turn);
	struct cc_http h;
	char errstr[256];
	json_t *evs = NULL;
	int seen = 0;
	cc_http_init(&h, it_gateway_url());
	/* long-poll from the last event seen, so each call waits for new ones */
	uint64_t after = 0;
	int64_t deadline = util_mono_us() + 30 * 1000000LL;
	while (!seen && util_mono_us() < deadline) {
		json_decref(evs);
		evs = NULL;
		if (cc_get_events(&h, sid, after, 2000, &status, &evs, errstr, sizeof(errstr)) || status != 200) {
			util_sleep_ms(200, NULL);
			continue;
		}
		json_t *arr = json_object_get(evs, "events");
		for (size_t k = 0; k < json_array_size(arr); k++) {
			const char *et = json_string_value(json_object_get(json_array_get(arr, k), "text"));
			const char *eid = json_string_value(json_object_get(json_array_get(arr, k), "turn_id"));
			seen |= eid && !strcmp(eid, reply_turn) && et && strstr(et, "Mei here");
		}
		json_int_t next = json_integer_value(json_object_get(evs, "next"));
		if (next > 0)
			after = (uint64_t)next;
	}
	json_decref(evs);
	cc_http_release(&h);
	json_decref(r);
	cr_assert(seen, "the agent's reply was not delivered to the session");

	snprintf(path, sizeof(path), "/v1/tickets/%lld", id);
	r = it_agent("GET", path, NULL, token(), &status);
	cr_assert_eq(status, 200);
	dump = json_dumps(json_object_get(r, "messages"), JSON_COMPACT);
	cr_assert(strstr(dump, "My parcel is late") && strstr(dump, "Mei here"), "%s", dump);
	free(dump);
	json_decref(r);

	/* Close: the assistant answers again. */
	snprintf(path, sizeof(path), "/v1/tickets/%lld/close", id);
	r = it_agent("POST", path, "{}", token(), &status);
	cr_assert_eq(status, 200);
	json_decref(r);
	r = it_agent("POST", path, "{}", token(), &status);
	cr_assert_eq(status, 409, "closing twice is a conflict");
	json_decref(r);
	ev = it_ask_as(sid, "CUST-1001", "hello", NULL, 30000);
	cr_assert_not_null(ev);
	cr_assert_str_eq(json_string_value(json_object_get(ev, "action")), "answer");
	json_decref(ev);

	if (hooked) {
		for (int i = 0; i < 50 && !strstr(hk.bodies, ids); i++)
			util_sleep_ms(100, NULL);
		hk.stop = 1;
		pthread_join(th, NULL);
		close(hk.fd);
		cr_assert(strstr(hk.bodies, "\"text\""), "the webhook got Slack-style JSON: %s", hk.bodies);
		cr_assert(strstr(hk.bodies, ids), "the webhook names ticket %s: %s", ids, hk.bodies);
	}
}

Test(handoff, bad_requests_are_clear_4xx, .timeout = 30)
{
	long status;
	json_t *r = it_agent("GET", "/v1/tickets/999999999", NULL, token(), &status);
	cr_assert_eq(status, 404);
	json_decref(r);
	r = it_agent("POST", "/v1/tickets/1/reply", "{\"text\":\"\"}", token(), &status);
	cr_assert_eq(status, 400);
	cr_assert_not_null(json_object_get(r, "error"));
	json_decref(r);
	r = it_agent("POST", "/v1/tickets/1/reply", "not json", token(), &status);
	cr_assert_eq(status, 400);
	json_decref(r);
	r = it_agent("DELETE", "/v1/customers/CUST-1001", NULL, token(), &status);
	cr_assert_eq(status, 401, "the agent token cannot erase");
	json_decref(r);
}

/* The token HANDOFF_AGENT_TOKENS gives tenant (deploy/env.sh), into out. */
static void tenant_token(const char *tenant, char *out, size_t len)
{
	const char *all = getenv("HANDOFF_AGENT_TOKENS");
	cr_assert(all && *all, "HANDOFF_AGENT_TOKENS is not set (source deploy/env.sh)");
	size_t tl = strlen(tenant);
	for (const char *p = all; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
		if (!strncmp(p, tenant, tl) && p[tl] == '=') {
			const char *v = p + tl + 1, *e = strchr(v, ',');
			size_t n = e ? (size_t)(e - v) : strlen(v);
			cr_assert_lt(n, len);
			memcpy(out, v, n);
			out[n] = '\0';
			return;
		}
	}
	cr_assert_fail("HANDOFF_AGENT_TOKENS has no token for tenant %s", tenant);
}

/* A ticket of tenant written straight into the table (its session id is
 * its key, unique to this run): its id. */
static long long insert_ticket(const char *tenant, char *sid, size_t len)
{
	char uuid[37];
	util_uuid(uuid);
	snprintf(sid, len, "tenant-test-%s", uuid);
	char *id = it_pg_value("INSERT INTO handoff_tickets (ticket_key, tenant_id, session_id, reason) "
			       "VALUES ($1, $2, $1, 'tenant test') RETURNING id::text",
			       sid, tenant);
	cr_assert_not_null(id);
	long long v = strtoll(id, NULL, 10);
	free(id);
	return v;
}

/* Whether the list answer r names session sid. */
static int lists(const json_t *r, const char *sid)
{
	const json_t *ts = json_object_get(r, "tickets");
	cr_assert(json_is_array(ts), "no tickets array");
	for (size_t i = 0; i < json_array_size(ts); i++) {
		const char *s = json_string_value(json_object_get(json_array_get(ts, i), "session_id"));
		if (s && !strcmp(s, sid))
			return 1;
	}
	return 0;
}

/* GET path with token: the answer (caller decrefs), failing unless 200. */
static json_t *list_as(const char *path, const char *tok)
{
	long status;
	json_t *r = it_agent("GET", path, NULL, tok, &status);
	cr_assert_eq(status, 200, "GET %s: %ld", path, status);
	return r;
}

Test(handoff, tenant_tokens_see_and_act_on_their_own_tickets_only, .timeout = 60)
{
	char demo[300], acme[300], dsid[80], asid[80], path[160], ids[32];
	tenant_token("demo", demo, sizeof(demo));
	tenant_token("acme-test", acme, sizeof(acme));
	long long did = insert_ticket("demo", dsid, sizeof(dsid));
	long long aid = insert_ticket("acme-test", asid, sizeof(asid));
	snprintf(ids, sizeof(ids), "%lld", aid);

	/* Lists: each tenant its own; the operator both, or one tenant's. */
	json_t *r = list_as("/v1/tickets?status=all", demo);
	cr_assert(lists(r, dsid) && !lists(r, asid), "demo's token lists demo's ticket only");
	json_decref(r);
	r = list_as("/v1/tickets", acme);
	cr_assert(lists(r, asid) && !lists(r, dsid), "acme-test's token lists acme-test's ticket only");
	json_decref(r);
	r = list_as("/v1/tickets?tenant=acme-test", demo);
	cr_assert(!lists(r, asid) && !lists(r, dsid), "naming another tenant lists nothing of it");
	json_decref(r);
	r = list_as("/v1/tickets?status=all", token());
	cr_assert(lists(r, dsid) && lists(r, asid), "the operator's token lists every tenant's tickets");
	json_decref(r);
	r = list_as("/v1/tickets?tenant=acme-test", token());
	cr_assert(lists(r, asid) && !lists(r, dsid), "the operator's ?tenant= filters");
	json_decref(r);
	long status;
	r = it_agent("GET", "/v1/tickets?tenant=bad%20tenant", NULL, token(), &status);
	cr_assert_eq(status, 400);
	json_decref(r);

	/* Another tenant's ticket does not exist for demo's token: 404 for
	 * read, claim, reply and close, and the ticket is left as it was. */
	snprintf(path, sizeof(path), "/v1/tickets/%lld", aid);
	r = it_agent("GET", path, NULL, demo, &status);
	cr_assert_eq(status, 404, "GET another tenant's ticket: %ld", status);
	json_decref(r);
	static const char *const acts[][2] = { { "claim", "{\"agent\":\"mallory\"}" },
					       { "reply", "{\"text\":\"not yours\",\"agent\":\"mallory\"}" },
					       { "close", "{}" } };
	for (size_t i = 0; i < ARRAY_LEN(acts); i++) {
		snprintf(path, sizeof(path), "/v1/tickets/%lld/%s", aid, acts[i][0]);
		r = it_agent("POST", path, acts[i][1], demo, &status);
		cr_assert_eq(status, 404, "%s another tenant's ticket: %ld", acts[i][0], status);
		json_decref(r);
	}
	char *st = it_pg_value("SELECT status || ':' || coalesce(agent, '-') FROM handoff_tickets WHERE id = $1::bigint",
			       ids, NULL);
	cr_assert_str_eq(st, "open:-", "another tenant's token changed the ticket");
	free(st);
	char *msgs = it_pg_value("SELECT count(*)::text FROM ticket_messages WHERE ticket_id = $1::bigint", ids, NULL);
	cr_assert_str_eq(msgs, "0", "another tenant's token added a message");
	free(msgs);

	/* Its own: read, claim, reply, close. */
	snprintf(path, sizeof(path), "/v1/tickets/%lld", did);
	r = it_agent("GET", path, NULL, demo, &status);
	cr_assert_eq(status, 200);
	cr_assert_str_eq(json_string_value(json_object_get(r, "session_id")), dsid);
	json_decref(r);
	snprintf(path, sizeof(path), "/v1/tickets/%lld/claim", did);
	r = it_agent("POST", path, "{\"agent\":\"mei\"}", demo, &status);
	cr_assert_eq(status, 200);
	cr_assert_str_eq(json_string_value(json_object_get(r, "status")), "assigned");
	json_decref(r);
	snprintf(path, sizeof(path), "/v1/tickets/%lld/reply", did);
	r = it_agent("POST", path, "{\"text\":\"Mei here.\",\"agent\":\"mei\"}", demo, &status);
	cr_assert_eq(status, 200);
	json_decref(r);
	snprintf(path, sizeof(path), "/v1/tickets/%lld/close", did);
	r = it_agent("POST", path, "{}", demo, &status);
	cr_assert_eq(status, 200);
	json_decref(r);

	/* A closed ticket of another tenant is still 404, not 409. */
	snprintf(path, sizeof(path), "/v1/tickets/%lld/close", aid);
	r = it_agent("POST", path, "{}", acme, &status);
	cr_assert_eq(status, 200, "acme-test closes its own ticket");
	json_decref(r);
	r = it_agent("POST", path, "{}", demo, &status);
	cr_assert_eq(status, 404, "closing another tenant's closed ticket: %ld", status);
	json_decref(r);
	r = it_agent("POST", path, "{}", token(), &status);
	cr_assert_eq(status, 409, "the operator sees it is closed");
	json_decref(r);

	/* Tenant tokens cannot erase. */
	r = it_agent("DELETE", "/v1/customers/CUST-1001?tenant=demo", NULL, demo, &status);
	cr_assert_eq(status, 401);
	json_decref(r);
}
