/* chatctl: the operator's command line for the assistant. */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "bench.h"
#include "client.h"
#include "events.h"
#include "kb.h"
#include "topics.h"
#include "util.h"
#include "wsbench.h"

static const char usage[] =
    "usage: chatctl COMMAND [options]\n"
    "\n"
    "  ask TEXT [--wait MS] [--locale L] [--assertion JWT] [--session ID --token T]\n"
    "                                        send one message in a new session (a guest, or the\n"
    "                                        customer a signed assertion names) or in session ID\n"
    "                                        with its token; print the reply and each hop's latency\n"
    "  status                                readiness of every service (their /readyz)\n"
    "  topics                                topics, partitions and consumer-group lag\n"
    "  topics create --file F [--partitions N] [--replication N]\n"
    "                                        create the topics named in F (one per line)\n"
    "  bench [--rate R] [--duration S] [--sessions N] [--workers N] [--text T]\n"
    "                                        open-loop load at R turns/s, latency percentiles\n"
    "  ws-bench [--connections N] [--sources K] [--gateway-pid P] [--active A] [--turns T] [--hold S]\n"
    "           [--metrics URL]   (the gateway's /metrics: its own in/out histograms for the turns)\n"
    "                                        hold N idle WebSockets (from K loopback addresses), the\n"
    "                                        gateway's RSS per 1,000, then T turns over A of them\n"
    "  kb ingest PATH... [--tenant T]        publish documents (.md .markdown .txt .html .htm .pdf; folders\n"
    "                                        recursively) to kb.documents.v1; doc id = path under PATH\n"
    "  kb rm DOC_ID [--tenant T]             remove a document (publish a tombstone)\n"
    "  inventory SKU QTY --store S [--tenant T] [--json]\n"
    "                                        publish a stock event (quantity on hand) to pos.inventory.v1\n"
    "  price SKU AMOUNT [--currency C] [--tenant T] [--json]\n"
    "                                        publish a price event (AMOUNT in ringgit, e.g. 1299.00)\n"
    "  tickets [list [--all] [--tenant T]|show ID|claim ID [--agent NAME]|reply ID TEXT [--agent NAME]|close ID]\n"
    "                                        hand-off tickets through the agent API\n"
    "  erase --customer ID [--tenant T]      delete one customer's data (right to erasure), print counts\n"
    "\n"
    "environment: GATEWAY_URL (http://127.0.0.1:8080), KAFKA_BROKERS (127.0.0.1:9092),\n"
    "ADMIN_HOST (127.0.0.1) with the services' admin ports from ADMIN_PORT_BASE (9101),\n"
    "CHAT_TENANT (demo) for kb and erase, HANDOFF_API_URL (http://127.0.0.1:9110) with\n"
    "HANDOFF_AGENT_TOKEN (tickets: the operator's token, or a tenant's from HANDOFF_AGENT_TOKENS) and\n"
    "HANDOFF_ADMIN_TOKEN (erase).\n";

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

/* --name VALUE from argv[from..argc); def when absent. */
static const char *opt(int argc, char **argv, int from, const char *name, const char *def)
{
	for (int i = from; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return def;
}

static long opt_long(int argc, char **argv, int from, const char *name, long def, long min, long max)
{
	const char *v = opt(argc, argv, from, name, NULL);
	long out;
	if (!v)
		return def;
	if (util_parse_long(v, min, max, &out)) {
		fprintf(stderr, "chatctl: %s must be a whole number from %ld to %ld\n", name, min, max);
		exit(2);
	}
	return out;
}

static int cmd_ask(int argc, char **argv)
{
	if (argc < 3) {
		fputs(usage, stderr);
		return 2;
	}
	char errstr[256], sidbuf[160];
	const char *sid = opt(argc, argv, 3, "--session", NULL);
	const char *token = opt(argc, argv, 3, "--token", NULL);
	long wait_ms = opt_long(argc, argv, 3, "--wait", 15000, 1, 120000);
	struct cc_http h;
	if (cc_http_init(&h, env_or("GATEWAY_URL", "http://127.0.0.1:8080")))
		return 1;
	long status = 0;
	json_t *resp = NULL;
	if (sid && token) {
		cc_set_token(sid, token, 900);
	} else if (sid || token) {
		fprintf(stderr, "chatctl: --session and --token go together\n");
		cc_http_release(&h);
		return 2;
	} else {
		if (cc_open_session(&h, opt(argc, argv, 3, "--assertion", NULL), opt(argc, argv, 3, "--locale", NULL), sidbuf,
				    sizeof(sidbuf), &status, &resp, errstr, sizeof(errstr))) {
			fprintf(stderr, "chatctl: cannot reach the gateway: %s\n", errstr);
			cc_http_release(&h);
			return 1;
		}
		if (status != 201) {
			const char *err = json_string_value(json_object_get(resp, "error"));
			fprintf(stderr, "chatctl: cannot open a session (%ld): %s\n", status, err ? err : "(no message)");
			json_decref(resp);
			cc_http_release(&h);
			return 1;
		}
		json_decref(resp);
		resp = NULL;
		sid = sidbuf;
	}
	int64_t t0 = util_mono_us();
	int rc = cc_post_message(&h, sid, argv[2], NULL, (int)wait_ms, &status, &resp, errstr, sizeof(errstr));
	int64_t took = util_mono_us() - t0;
	cc_http_release(&h);
	if (rc) {
		fprintf(stderr, "chatctl: cannot reach the gateway: %s\n", errstr);
		return 1;
	}
	if (status != 200) {
		const char *err = json_string_value(json_object_get(resp, "error"));
		fprintf(stderr, "chatctl: gateway answered %ld: %s\n", status, err ? err : "(no message)");
		json_decref(resp);
		return 1;
	}
	printf("%s\n\n", json_string_value(json_object_get(resp, "text")));
	printf("session %s  turn %s  action %s\n", sid, json_string_value(json_object_get(resp, "turn_id")),
	       json_string_value(json_object_get(resp, "action")));
	json_t *st = json_object_get(resp, "stage_times");
	printf("%-22s %10s\n", "hop", "ms");
	for (size_t i = 1; i < json_array_size(st); i++) {
		const json_t *a = json_array_get(st, i - 1), *b = json_array_get(st, i);
		char hop[96];
		snprintf(hop, sizeof(hop), "%s -> %s", json_string_value(json_object_get(a, "stage")),
			 json_string_value(json_object_get(b, "stage")));
		printf("%-40s %8.2f\n", hop,
		       (double)(json_integer_value(json_object_get(b, "at_us")) -
				json_integer_value(json_object_get(a, "at_us"))) /
			   1000.0);
	}
	printf("%-40s %8.2f\n", "gateway-to-gateway", (double)cc_stage_delta(resp, "gateway", "gateway.out") / 1000.0);
	printf("%-40s %8.2f\n", "round trip seen by chatctl", (double)took / 1000.0);
	json_decref(resp);
	return 0;
}

static const struct {
	const char *name;
	int port; /* offset from ADMIN_PORT_BASE */
} services[] = {
	{ "gateway", 0 },   { "intent-classifier", 1 }, { "orchestrator", 2 },
	{ "retriever", 3 }, { "llm-caller", 4 },        { "guardrail", 5 },
	{ "formatter", 6 }, { "ingestion", 7 },         { "handoff", 8 },
};

static int cmd_status(void)
{
	struct cc_http h;
	char errstr[256];
	int not_ready = 0;
	const char *host = env_or("ADMIN_HOST", "127.0.0.1");
	long base = 9101;
	if (util_parse_long(env_or("ADMIN_PORT_BASE", "9101"), 1, 65535 - 8, &base)) {
		fprintf(stderr, "chatctl: ADMIN_PORT_BASE must be a port number\n");
		return 2;
	}
	if (cc_http_init(&h, "http://unused"))
		return 1;
	for (size_t i = 0; i < ARRAY_LEN(services); i++) {
		char url[256], *body = NULL;
		long status = 0;
		snprintf(url, sizeof(url), "http://%s:%ld/readyz", host, base + services[i].port);
		if (cc_get(&h, url, &status, &body, errstr, sizeof(errstr))) {
			printf("%-18s %-9s %s\n", services[i].name, "down", errstr);
			not_ready++;
			continue;
		}
		body[strcspn(body, "\n")] = '\0';
		printf("%-18s %-9s %s\n", services[i].name, status == 200 ? "ready" : "not-ready", body);
		not_ready += status != 200;
		free(body);
	}
	cc_http_release(&h);
	return not_ready ? 1 : 0;
}

/* kb ingest PATH... | kb rm DOC_ID, with --tenant T anywhere after "kb". */
static int cmd_kb(int argc, char **argv, const char *brokers)
{
	const char *tenant = opt(argc, argv, 2, "--tenant", env_or("CHAT_TENANT", "demo"));
	char **args = xcalloc((size_t)argc + 1, sizeof(*args));
	int n = 0, rc;
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--tenant") && i + 1 < argc) {
			i++;
			continue;
		}
		args[n++] = argv[i];
	}
	if (argc >= 3 && !strcmp(argv[2], "ingest") && n >= 1) {
		rc = cc_kb_ingest(brokers, tenant, args, n);
	} else if (argc >= 3 && !strcmp(argv[2], "rm") && n == 1) {
		rc = cc_kb_rm(brokers, tenant, args[0]);
	} else {
		fputs(usage, stderr);
		rc = 2;
	}
	free(args);
	return rc;
}

/* inventory SKU QTY --store S | price SKU AMOUNT [--currency C]; --tenant,
 * --json anywhere after the command. */
static int cmd_event(int argc, char **argv, const char *brokers)
{
	const char *tenant = opt(argc, argv, 2, "--tenant", env_or("CHAT_TENANT", "demo"));
	const char *pos[2] = { NULL, NULL };
	int npos = 0, json = 0;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strncmp(argv[i], "--", 2)) {
			i++; /* an option's value */
		} else if (npos < 2) {
			pos[npos++] = argv[i];
		} else {
			npos = 3;
		}
	}
	if (npos != 2) {
		fputs(usage, stderr);
		return 2;
	}
	if (!strcmp(argv[1], "inventory")) {
		const char *store = opt(argc, argv, 2, "--store", NULL);
		long qty;
		if (!store) {
			fputs("chatctl: inventory needs --store S\n", stderr);
			return 2;
		}
		if (util_parse_long(pos[1], 0, 1000000000, &qty)) {
			fputs("chatctl: QTY must be a whole number from 0 to 1000000000\n", stderr);
			return 2;
		}
		return cc_inventory(brokers, tenant, pos[0], store, qty, json);
	}
	int64_t sen = cc_parse_amount(pos[1]);
	if (sen < 0) {
		fputs("chatctl: AMOUNT is ringgit with at most two decimals, e.g. 1299 or 1299.90\n", stderr);
		return 2;
	}
	return cc_price(brokers, tenant, pos[0], sen, opt(argc, argv, 2, "--currency", "MYR"), json);
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const char *brokers = env_or("KAFKA_BROKERS", "127.0.0.1:9092");
	int rc;
	if (!strcmp(argv[1], "ask")) {
		rc = cmd_ask(argc, argv);
	} else if (!strcmp(argv[1], "status")) {
		rc = cmd_status();
	} else if (!strcmp(argv[1], "topics") && argc >= 3 && !strcmp(argv[2], "create")) {
		const char *file = opt(argc, argv, 3, "--file", NULL);
		if (!file) {
			fputs("chatctl: topics create needs --file\n", stderr);
			return 2;
		}
		rc = cc_topics_create(brokers, file, (int)opt_long(argc, argv, 3, "--partitions", 6, 1, 10000),
				      (int)opt_long(argc, argv, 3, "--replication", 1, 1, 10))
			 ? 1
			 : 0;
	} else if (!strcmp(argv[1], "topics")) {
		rc = cc_topics_list(brokers) ? 1 : 0;
	} else if (!strcmp(argv[1], "ws-bench")) {
		long ws_port;
		if (util_parse_long(env_or("GATEWAY_WS_PORT", "8081"), 1, 65535, &ws_port)) {
			fprintf(stderr, "chatctl: GATEWAY_WS_PORT must be a port number\n");
			return 2;
		}
		struct wsbench_conf wc = {
			.url = env_or("GATEWAY_URL", "http://127.0.0.1:8080"),
			.host = "127.0.0.1",
			.ws_port = (int)ws_port,
			.connections = (int)opt_long(argc, argv, 2, "--connections", 10000, 1, 1000000),
			.sources = (int)opt_long(argc, argv, 2, "--sources", 4, 1, 250),
			.gateway_pid = (int)opt_long(argc, argv, 2, "--gateway-pid", 0, 0, 1 << 22),
			.active = (int)opt_long(argc, argv, 2, "--active", 100, 1, 100000),
			.turns = (int)opt_long(argc, argv, 2, "--turns", 2000, 1, 10000000),
			.hold_s = (int)opt_long(argc, argv, 2, "--hold", 10, 0, 3600),
			.metrics_url = opt(argc, argv, 2, "--metrics", NULL),
		};
		rc = cc_wsbench(&wc) ? 1 : 0;
	} else if (!strcmp(argv[1], "bench")) {
		struct bench_conf bc = {
			.url = env_or("GATEWAY_URL", "http://127.0.0.1:8080"),
			.rate = (double)opt_long(argc, argv, 2, "--rate", 200, 1, 100000),
			.duration_s = (int)opt_long(argc, argv, 2, "--duration", 10, 1, 7200),
			.sessions = (int)opt_long(argc, argv, 2, "--sessions", 100, 1, 1000000),
			.workers = (int)opt_long(argc, argv, 2, "--workers", 64, 1, 1000),
			.text = opt(argc, argv, 2, "--text", "Do you deliver to Penang?"),
		};
		rc = cc_bench(&bc);
		rc = rc < 0 ? 2 : rc;
	} else if (!strcmp(argv[1], "tickets")) {
		rc = cc_tickets(argc - 1, argv + 1);
	} else if (!strcmp(argv[1], "erase")) {
		rc = cc_erase(argc - 1, argv + 1);
	} else if (!strcmp(argv[1], "kb")) {
		rc = cmd_kb(argc, argv, brokers);
	} else if (!strcmp(argv[1], "inventory") || !strcmp(argv[1], "price")) {
		rc = cmd_event(argc, argv, brokers);
	} else {
		fprintf(stderr, "chatctl: unknown command \"%s\"\n\n%s", argv[1], usage);
		rc = 2;
	}
	curl_global_cleanup();
	return rc;
}
