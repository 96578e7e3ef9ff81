/* agent: the tickets and erase commands of chatctl. */
#include "agent.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define RESP_MAX (4 << 20)

struct buf {
	char *s;
	size_t n;
};

static size_t collect(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t len = size * nmemb;
	if (b->n + len > RESP_MAX)
		return 0;
	b->s = xrealloc(b->s, b->n + len + 1);
	memcpy(b->s + b->n, ptr, len);
	b->n += len;
	b->s[b->n] = '\0';
	return len;
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

int cc_agent_call(const char *method, const char *path, const char *body, const char *token, long *status,
		  json_t **resp, char *errstr, size_t errlen)
{
	char url[1024], auth[512];
	snprintf(url, sizeof(url), "%s%s", env_or("HANDOFF_API_URL", "http://127.0.0.1:9110"), path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token ? token : "");
	CURL *curl = curl_easy_init();
	struct curl_slist *hdr = curl_slist_append(NULL, auth);
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	struct buf b = { NULL, 0 };
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
	if (body)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	CURLcode cc = curl_easy_perform(curl);
	int rc = 0;
	*resp = NULL;
	*status = 0;
	if (cc != CURLE_OK) {
		snprintf(errstr, errlen, "%s %s: %s", method, url, curl_easy_strerror(cc));
		rc = -1;
	} else {
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
		*resp = b.s ? json_loads(b.s, 0, NULL) : NULL;
	}
	free(b.s);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(curl);
	return rc;
}

static const char *str(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

/* Print an API error and return the exit code 1. */
static int fail(long status, const json_t *resp)
{
	fprintf(stderr, "chatctl: HTTP %ld: %s\n", status, resp ? str(resp, "error") : "(no JSON body)");
	return 1;
}

static void print_list(const json_t *resp)
{
	const json_t *ts = json_object_get(resp, "tickets");
	printf("%-6s %-12s %-9s %-12s %-10s %-4s %-28s %s\n", "id", "tenant", "status", "agent", "customer", "lang",
	       "reason", "session");
	for (size_t i = 0; i < json_array_size(ts); i++) {
		const json_t *t = json_array_get(ts, i);
		printf("%-6lld %-12s %-9s %-12s %-10s %-4s %-28.28s %s\n",
		       (long long)json_integer_value(json_object_get(t, "id")), str(t, "tenant_id"), str(t, "status"), *str(t, "agent") ? str(t, "agent") : "-",
		       *str(t, "customer_id") ? str(t, "customer_id") : "guest", str(t, "language"), str(t, "reason"),
		       str(t, "session_id"));
	}
	if (!json_array_size(ts))
		printf("(no tickets)\n");
}

static void print_lines(const char *title, const json_t *arr)
{
	printf("%s:\n", title);
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const json_t *m = json_array_get(arr, i);
		printf("  [%.19s] %-9s %s\n", str(m, "at"), str(m, "role"), str(m, "text"));
	}
	if (!json_array_size(arr))
		printf("  (none)\n");
}

static void print_ticket(const json_t *t)
{
	char *intents = json_dumps(json_object_get(t, "intents"), JSON_COMPACT);
	char *orders = json_dumps(json_object_get(t, "order_ids"), JSON_COMPACT);
	char *ctx = json_dumps(json_object_get(t, "context"), JSON_COMPACT);
	printf("ticket %lld  %s  agent %s  session %s  language %s\n",
	       (long long)json_integer_value(json_object_get(t, "id")), str(t, "status"),
	       *str(t, "agent") ? str(t, "agent") : "-", str(t, "session_id"), str(t, "language"));
	printf("intents %s  orders %s\ncustomer %s\n\n%s\n", intents ? intents : "[]", orders ? orders : "[]",
	       ctx ? ctx : "{}", str(t, "summary"));
	print_lines("transcript", json_object_get(t, "transcript"));
	print_lines("since the hand-off", json_object_get(t, "messages"));
	free(intents);
	free(orders);
	free(ctx);
}

static const char tickets_usage[] =
    "usage: chatctl tickets [list [--all] [--tenant T]|show ID|claim ID [--agent NAME]|reply ID TEXT [--agent NAME]|"
    "close ID]\n";

int cc_tickets(int argc, char **argv)
{
	const char *token = env_or("HANDOFF_AGENT_TOKEN", "");
	const char *sub = argc >= 2 ? argv[1] : "list";
	const char *agent = env_or("HANDOFF_AGENT_NAME", env_or("USER", "agent"));
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--agent"))
			agent = argv[i + 1];
	char path[256], errstr[512];
	long status;
	json_t *resp = NULL;
	int rc = 0;
	if (!strcmp(sub, "list")) {
		/* --tenant narrows the operator's list; a tenant's token lists
		 * its own tickets whatever is asked. */
		int all = 0;
		const char *tenant = NULL;
		for (int i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "--all")) {
				all = 1;
			} else if (!strcmp(argv[i], "--tenant") && i + 1 < argc && util_valid_id(argv[i + 1], 64)) {
				tenant = argv[++i];
			} else if (!strcmp(argv[i], "--agent") && i + 1 < argc) {
				i++;
			} else {
				fputs(tickets_usage, stderr);
				return 2;
			}
		}
		snprintf(path, sizeof(path), "/v1/tickets?status=%s%s%s", all ? "all" : "active",
			 tenant ? "&tenant=" : "", tenant ? tenant : "");
		if (cc_agent_call("GET", path, NULL, token, &status, &resp, errstr, sizeof(errstr)))
			goto transport;
		if (status != 200)
			rc = fail(status, resp);
		else
			print_list(resp);
		goto out;
	}
	long id;
	if (argc < 3 || util_parse_long(argv[2], 1, 1000000000000L, &id)) {
		fputs(tickets_usage, stderr);
		return 2;
	}
	json_t *body = json_pack("{s:s}", "agent", agent);
	const char *method = "POST";
	if (!strcmp(sub, "show")) {
		method = "GET";
		snprintf(path, sizeof(path), "/v1/tickets/%ld", id);
	} else if (!strcmp(sub, "claim") || !strcmp(sub, "close")) {
		snprintf(path, sizeof(path), "/v1/tickets/%ld/%s", id, sub);
	} else if (!strcmp(sub, "reply") && argc >= 4 && strcmp(argv[3], "--agent")) {
		snprintf(path, sizeof(path), "/v1/tickets/%ld/reply", id);
		json_object_set_new(body, "text", json_string(argv[3]));
	} else {
		json_decref(body);
		fputs(tickets_usage, stderr);
		return 2;
	}
	char *b = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	int t = cc_agent_call(method, path, strcmp(method, "GET") ? b : NULL, token, &status, &resp, errstr,
			      sizeof(errstr));
	free(b);
	if (t)
		goto transport;
	if (status != 200) {
		rc = fail(status, resp);
	} else if (!strcmp(sub, "show")) {
		print_ticket(resp);
	} else if (!strcmp(sub, "reply")) {
		printf("reply delivered to session %s (turn %s)\n", str(resp, "session_id"), str(resp, "turn_id"));
	} else if (!strcmp(sub, "claim")) {
		printf("ticket %ld claimed by %s\n", id, str(resp, "agent"));
	} else {
		printf("ticket %ld closed; the assistant answers session %s again%s\n", id, str(resp, "session_id"),
		       json_is_true(json_object_get(resp, "customer_told")) ? "" : " (customer not told: Kafka unreachable)");
	}
	goto out;
transport:
	fprintf(stderr, "chatctl: %s\n", errstr);
	rc = 1;
out:
	json_decref(resp);
	return rc;
}

int cc_erase(int argc, char **argv)
{
	const char *customer = NULL, *tenant = env_or("CHAT_TENANT", "demo");
	for (int i = 1; i + 1 < argc; i++) {
		if (!strcmp(argv[i], "--customer"))
			customer = argv[i + 1];
		else if (!strcmp(argv[i], "--tenant"))
			tenant = argv[i + 1];
	}
	if (!customer || !util_valid_id(customer, 64) || !util_valid_id(tenant, 64)) {
		fputs("usage: chatctl erase --customer ID [--tenant T]\n", stderr);
		return 2;
	}
	char path[256], errstr[512];
	snprintf(path, sizeof(path), "/v1/customers/%s?tenant=%s", customer, tenant);
	long status;
	json_t *resp = NULL;
	if (cc_agent_call("DELETE", path, NULL, env_or("HANDOFF_ADMIN_TOKEN", ""), &status, &resp, errstr,
			  sizeof(errstr))) {
		fprintf(stderr, "chatctl: %s\n", errstr);
		return 1;
	}
	if (status != 200) {
		int rc = fail(status, resp);
		json_decref(resp);
		return rc;
	}
	printf("erased customer %s (tenant %s):\n", customer, tenant);
	static const char *const kinds[] = { "sessions", "redis_keys", "transcripts", "tickets", "ticket_messages",
					     "feedback", "knowledge_gaps", "profile", "orders_unlinked",
					     "return_requests_unlinked" };
	for (size_t i = 0; i < ARRAY_LEN(kinds); i++)
		printf("  %-26s %lld\n", kinds[i], (long long)json_integer_value(json_object_get(resp, kinds[i])));
	if (json_object_get(resp, "redis_error"))
		printf("warning: %s\n", str(resp, "redis_error"));
	json_decref(resp);
	return 0;
}
