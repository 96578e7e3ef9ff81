/* WhatsApp channel against the running stack: Meta's handshake, signed
 * webhooks through the whole pipeline, replies to a local Graph API
 * (fake_graph.c on WHATSAPP_GRAPH_BASE, see deploy/env.sh), dedupe by
 * wamid, signatures, statuses and the 24-hour service window. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_graph.h"
#include "helpers.h"
#include "turn.h"
#include "util.h"

#define PNID "106540352242922"

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

static int graph_port(void)
{
	const char *base = getenv("WHATSAPP_GRAPH_BASE");
	const char *colon = base ? strrchr(base, ':') : NULL;
	long port = 0;
	cr_assert(colon && !util_parse_long(colon + 1, 1, 65535, &port),
		  "WHATSAPP_GRAPH_BASE must be http://127.0.0.1:PORT (deploy/env.sh sets it)");
	return (int)port;
}

static struct fake_graph *start_graph(void)
{
	struct fake_graph *fg = fg_start(graph_port(), env_or("WHATSAPP_API_VERSION", "v21.0"),
					 env_or("WHATSAPP_ACCESS_TOKEN", "dev-access-token"));
	cr_assert_not_null(fg, "cannot listen on the Graph API port %d", graph_port());
	return fg;
}

/* A customer number unique to this run. */
static void phone(char out[16])
{
	char uuid[37];
	util_uuid(uuid);
	out[0] = '6';
	out[1] = '0';
	for (int i = 0; i < 10; i++)
		out[2 + i] = (char)('0' + (unsigned char)uuid[i] % 10);
	out[12] = '\0';
}

static char *notification(const char *from, const char *wamid, const char *text, long long timestamp)
{
	char ts[32];
	snprintf(ts, sizeof(ts), "%lld", timestamp);
	json_t *j = json_pack(
	    "{s:s,s:[{s:s,s:[{s:s,s:{s:s,s:{s:s,s:s},s:[{s:{s:s},s:s}],s:[{s:s,s:s,s:s,s:s,s:{s:s}}]}}]}]}", "object",
	    "whatsapp_business_account", "entry", "id", "102290129340398", "changes", "field", "messages", "value",
	    "messaging_product", "whatsapp", "metadata", "display_phone_number", "15550783881", "phone_number_id", PNID,
	    "contacts", "profile", "name", "Customer", "wa_id", from, "messages", "from", from, "id", wamid,
	    "timestamp", ts, "type", "text", "text", "body", text);
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

static void sign(const char *body, char out[72])
{
	const char *secret = env_or("WHATSAPP_APP_SECRET", "dev-app-secret");
	unsigned char md[32];
	unsigned int len = 0;
	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, strlen(body), md, &len);
	memcpy(out, "sha256=", 7);
	for (int i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

struct got {
	char buf[4096];
	size_t len;
};

static size_t got_data(char *p, size_t size, size_t n, void *arg)
{
	struct got *g = arg;
	size_t take = size * n < sizeof(g->buf) - 1 - g->len ? size * n : sizeof(g->buf) - 1 - g->len;
	memcpy(g->buf + g->len, p, take);
	g->len += take;
	g->buf[g->len] = '\0';
	return size * n;
}

/* GET url, or POST body with signature sig (no header when NULL). */
static long http(const char *url, const char *body, const char *sig, struct got *got)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	if (sig) {
		char line[128];
		snprintf(line, sizeof(line), "X-Hub-Signature-256: %s", sig);
		hdr = curl_slist_append(hdr, line);
	}
	memset(got, 0, sizeof(*got));
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, got_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, got);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	long status = 0;
	CURLcode rc = curl_easy_perform(c);
	cr_assert_eq(rc, CURLE_OK, "%s: %s", url, curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return status;
}

static long post_webhook(const char *body, const char *sig)
{
	char url[256];
	struct got g;
	snprintf(url, sizeof(url), "%s/v1/webhooks/whatsapp", it_gateway_url());
	return http(url, body, sig, &g);
}

static long post_signed(const char *body)
{
	char sig[72];
	sign(body, sig);
	return post_webhook(body, sig);
}

/* The value of a series (e.g. `name{result="ok"}`) on the gateway's
 * /metrics, 0 when absent. */
static long long metric(const char *series)
{
	char url[128];
	struct got g;
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/metrics", env_or("ADMIN_PORT_BASE", "9101"));
	/* The page is long: read it into a heap buffer through a file. */
	CURL *c = curl_easy_init();
	char *page = NULL;
	size_t plen = 0;
	FILE *f = open_memstream(&page, &plen);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	CURLcode rc = curl_easy_perform(c);
	curl_easy_cleanup(c);
	fclose(f);
	(void)g;
	cr_assert_eq(rc, CURLE_OK, "gateway metrics: %s", curl_easy_strerror(rc));
	long long v = 0;
	size_t sl = strlen(series);
	for (char *line = page; line && *line;) {
		char *nl = strchr(line, '\n');
		if (!strncmp(line, series, sl) && line[sl] == ' ')
			v = strtoll(line + sl + 1, NULL, 10);
		line = nl ? nl + 1 : NULL;
	}
	free(page);
	return v;
}

static long long wait_metric(const char *series, long long at_least, int timeout_ms)
{
	int64_t deadline = util_mono_us() + (int64_t)timeout_ms * 1000;
	for (;;) {
		long long v = metric(series);
		if (v >= at_least || util_mono_us() > deadline)
			return v;
		util_sleep_ms(100, NULL);
	}
}

#define M_ENQUEUED "gateway_whatsapp_messages_total{result=\"enqueued\"}"
#define M_DUPES "gateway_whatsapp_messages_total{result=\"duplicate\"}"
#define M_STATUSES "gateway_whatsapp_statuses_total"
#define M_WINDOW "gateway_whatsapp_window_closed_total"
#define M_BADSIG "gateway_whatsapp_webhooks_total{result=\"bad_signature\"}"

/* The session id the gateway derives (the same rule as whatsapp.c, written
 * out again here so a change to it shows). */
static void session_of(const char *from, char out[40])
{
	unsigned char md[32];
	unsigned int n = 0;
	char *in = xasprintf("%s\x1f%s\x1f%s", env_or("GATEWAY_TENANT_ID", "demo"), PNID, from);
	EVP_Digest(in, strlen(in), md, &n, EVP_sha256(), NULL);
	free(in);
	memcpy(out, "wa-", 3);
	for (int i = 0; i < 16; i++)
		snprintf(out + 3 + 2 * i, 3, "%02x", md[i]);
}

/* Texts of the turns keyed sid on chat.inbound.v1 (from where rk started)
 * up to and including the one whose text is last; returns their count. */
static int inbound_until(rd_kafka_t *rk, const char *sid, const char *last, char seen[][128], int max)
{
	int n = 0;
	for (;;) {
		rd_kafka_message_t *m = it_poll_key(rk, sid, 60000);
		cr_assert_not_null(m, "no turn for %s on chat.inbound.v1 within 60 s", sid);
		char errstr[256];
		Chat__Turn *t = turn_decode(m->payload, m->len, errstr, sizeof(errstr));
		cr_assert_not_null(t, "%s", errstr);
		cr_assert_eq(t->channel, CHAT__CHANNEL__CHANNEL_WHATSAPP);
		int done = !strcmp(t->text, last);
		if (n < max)
			util_strlcpy(seen[n], t->text, 128);
		n++;
		turn_free(t);
		rd_kafka_message_destroy(m);
		if (done)
			return n;
	}
}

Test(whatsapp, verification_handshake)
{
	char url[512];
	struct got g;
	snprintf(url, sizeof(url), "%s/v1/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=%s&hub.challenge=1158201444",
		 it_gateway_url(), env_or("WHATSAPP_VERIFY_TOKEN", "dev-verify-token"));
	cr_assert_eq(http(url, NULL, NULL, &g), 200, "%s", g.buf);
	cr_assert_str_eq(g.buf, "1158201444", "the raw challenge, nothing else");
	snprintf(url, sizeof(url), "%s/v1/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=not-it&hub.challenge=1",
		 it_gateway_url());
	cr_assert_eq(http(url, NULL, NULL, &g), 403);
	cr_assert(strstr(g.buf, "verify_token") != NULL, "%s", g.buf);
}

Test(whatsapp, signed_message_gets_a_reply_through_the_graph_api, .timeout = 120)
{
	struct fake_graph *fg = start_graph();
	char from[16], wamid[64];
	phone(from);
	snprintf(wamid, sizeof(wamid), "wamid.it-%s-1", from);
	char *body = notification(from, wamid, "What is your return policy?", (long long)(util_now_us() / 1000000));
	cr_assert_eq(post_signed(body), 200);
	free(body);
	cr_assert_geq(fg_wait(fg, from, 1, 90000), 1, "no reply reached the Graph API within 90 s");
	struct fg_record r[8];
	size_t n = fg_records(fg, from, r, 8);
	for (size_t i = 0; i < n && i < 8; i++) {
		cr_assert(r[i].ok, "request %zu refused by the Graph API: %s: %s", i, r[i].problem, r[i].body);
		cr_assert_str_eq(r[i].to, from);
		cr_assert_str_eq(r[i].phone_number_id, PNID, "sent from the number that received the message");
	}
	cr_log_info("first message sent: %s", r[0].body);
	json_t *j = json_loads(r[0].body, 0, NULL);
	const char *text = json_string_value(json_object_get(json_object_get(j, "text"), "body"));
	if (!text)
		text = json_string_value(
		    json_object_get(json_object_get(json_object_get(j, "interactive"), "body"), "text"));
	cr_assert(text && strlen(text) > 10, "a real answer: %s", r[0].body);
	json_decref(j);
	fg_records_free(r, n < 8 ? n : 8);
	fg_stop(fg);
}

Test(whatsapp, same_webhook_twice_is_one_turn, .timeout = 180)
{
	char from[16], sid[40], wamid[64];
	phone(from);
	session_of(from, sid);
	rd_kafka_t *rk = it_tail("chat.inbound.v1");
	snprintf(wamid, sizeof(wamid), "wamid.it-%s-dup", from);
	long long dupes = metric(M_DUPES);
	char *body = notification(from, wamid, "Do you deliver to Penang?", (long long)(util_now_us() / 1000000));
	cr_assert_eq(post_signed(body), 200);
	cr_assert_eq(post_signed(body), 200, "Meta's retry is acknowledged too");
	free(body);
	cr_assert_geq(wait_metric(M_DUPES, dupes + 1, 30000), dupes + 1, "the second delivery is dropped");
	/* A later message from the same customer; everything before it in its
	 * session's order must be the first delivery alone. */
	snprintf(wamid, sizeof(wamid), "wamid.it-%s-next", from);
	body = notification(from, wamid, "Thanks, and Johor?", (long long)(util_now_us() / 1000000));
	cr_assert_eq(post_signed(body), 200);
	free(body);
	char seen[4][128];
	int n = inbound_until(rk, sid, "Thanks, and Johor?", seen, 4);
	cr_assert_eq(n, 2, "one turn per message id");
	cr_assert_str_eq(seen[0], "Do you deliver to Penang?");
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
}

Test(whatsapp, wrong_or_missing_signature_is_401_and_nothing_enqueued, .timeout = 120)
{
	char from[16], sid[40], wamid[64], sig[72];
	phone(from);
	session_of(from, sid);
	rd_kafka_t *rk = it_tail("chat.inbound.v1");
	long long bad = metric(M_BADSIG);
	snprintf(wamid, sizeof(wamid), "wamid.it-%s-bad", from);
	char *body = notification(from, wamid, "forged message", (long long)(util_now_us() / 1000000));
	cr_assert_eq(post_webhook(body, NULL), 401, "missing");
	sign(body, sig);
	sig[10] = sig[10] == '0' ? '1' : '0';
	cr_assert_eq(post_webhook(body, sig), 401, "wrong");
	sign("{}", sig);
	cr_assert_eq(post_webhook(body, sig), 401, "signature of another body");
	free(body);
	cr_assert_geq(metric(M_BADSIG), bad + 3);
	snprintf(wamid, sizeof(wamid), "wamid.it-%s-good", from);
	body = notification(from, wamid, "a genuine message", (long long)(util_now_us() / 1000000));
	cr_assert_eq(post_signed(body), 200);
	free(body);
	char seen[4][128];
	int n = inbound_until(rk, sid, "a genuine message", seen, 4);
	cr_assert_eq(n, 1, "the forged message never reached the pipeline (saw \"%s\")", seen[0]);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
}

Test(whatsapp, statuses_only_webhook_enqueues_nothing)
{
	static const char body[] =
	    "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"102290129340398\",\"changes\":[{\"field\":"
	    "\"messages\",\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":"
	    "\"15550783881\",\"phone_number_id\":\"" PNID "\"},\"statuses\":[{\"id\":\"wamid.x1\",\"status\":\"sent\","
	    "\"timestamp\":\"1700000000\",\"recipient_id\":\"60123456789\"},{\"id\":\"wamid.x1\",\"status\":"
	    "\"delivered\",\"timestamp\":\"1700000001\",\"recipient_id\":\"60123456789\"}]}}]}]}";
	long long statuses = metric(M_STATUSES), enqueued = metric(M_ENQUEUED);
	cr_assert_eq(post_signed(body), 200);
	cr_assert_geq(wait_metric(M_STATUSES, statuses + 2, 30000), statuses + 2, "both statuses seen");
	cr_assert_eq(metric(M_ENQUEUED), enqueued, "and nothing enqueued");
}

Test(whatsapp, outside_the_window_nothing_is_sent, .timeout = 150)
{
	struct fake_graph *fg = start_graph();
	char from[16], wamid[64];
	phone(from);
	long long closed = metric(M_WINDOW), enqueued = metric(M_ENQUEUED);
	snprintf(wamid, sizeof(wamid), "wamid.it-%s-old", from);
	/* Written two days ago, delivered only now (Meta retries for days). */
	char *body = notification(from, wamid, "Where is my order?", (long long)(util_now_us() / 1000000) - 2 * 86400);
	cr_assert_eq(post_signed(body), 200);
	free(body);
	cr_assert_geq(wait_metric(M_ENQUEUED, enqueued + 1, 30000), enqueued + 1, "the message is still a turn");
	cr_assert_geq(wait_metric(M_WINDOW, closed + 1, 90000), closed + 1,
		      "the reply was refused for the closed window");
	cr_assert_eq(fg_records(fg, from, NULL, 0), 0, "no free-form message went out");
	fg_stop(fg);
}

Test(whatsapp, body_over_the_limit_is_413)
{
	size_t n = 300 * 1024; /* WHATSAPP_MAX_BODY defaults to 256 KiB */
	char *body = xmalloc(n + 1);
	memset(body, ' ', n);
	memcpy(body, "{\"entry\":[]", 11);
	body[n - 1] = '}';
	body[n] = '\0';
	char url[256];
	struct got g;
	snprintf(url, sizeof(url), "%s/v1/webhooks/whatsapp", it_gateway_url());
	char sig[72];
	sign(body, sig);
	cr_assert_eq(http(url, body, sig, &g), 413, "%s", g.buf);
	cr_assert(strstr(g.buf, "limit") != NULL, "%s", g.buf);
	free(body);
}

/* A notification with the given messages (JSON array text) from one
 * customer. */
static char *notification_raw(const char *messages)
{
	return xasprintf("{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"102290129340398\",\"changes\":"
			 "[{\"field\":\"messages\",\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":"
			 "{\"display_phone_number\":\"15550783881\",\"phone_number_id\":\"" PNID "\"},"
			 "\"messages\":%s}}]}]}",
			 messages);
}

Test(whatsapp, taps_become_the_customers_text_and_an_image_a_polite_reply, .timeout = 150)
{
	struct fake_graph *fg = start_graph();
	char from[16], sid[40];
	phone(from);
	session_of(from, sid);
	rd_kafka_t *rk = it_tail("chat.inbound.v1");
	long long ts = (long long)(util_now_us() / 1000000);
	char *msgs = xasprintf(
	    "[{\"from\":\"%s\",\"id\":\"wamid.it-%s-b\",\"timestamp\":\"%lld\",\"type\":\"interactive\","
	    "\"interactive\":{\"type\":\"button_reply\",\"button_reply\":{\"id\":\"Track my order\",\"title\":\"Track "
	    "order\"}}},"
	    "{\"from\":\"%s\",\"id\":\"wamid.it-%s-l\",\"timestamp\":\"%lld\",\"type\":\"interactive\","
	    "\"interactive\":{\"type\":\"list_reply\",\"list_reply\":{\"id\":\"Is the golf umbrella in stock?\","
	    "\"title\":\"Golf umbrella\",\"description\":\"RM 45.00\"}}},"
	    "{\"from\":\"%s\",\"id\":\"wamid.it-%s-i\",\"timestamp\":\"%lld\",\"type\":\"image\","
	    "\"image\":{\"id\":\"1479537139650973\",\"mime_type\":\"image/jpeg\",\"sha256\":\"abc\"}},"
	    "{\"from\":\"%s\",\"id\":\"wamid.it-%s-t\",\"timestamp\":\"%lld\",\"type\":\"button\","
	    "\"button\":{\"payload\":\"PROMO_STOP\",\"text\":\"Stop promotions\"}}]",
	    from, from, ts, from, from, ts, from, from, ts, from, from, ts);
	char *body = notification_raw(msgs);
	free(msgs);
	cr_assert_eq(post_signed(body), 200);
	free(body);
	char seen[4][128];
	int n = inbound_until(rk, sid, "Stop promotions", seen, 4);
	cr_assert_eq(n, 3, "the image is no turn");
	cr_assert_str_eq(seen[0], "Track my order", "a button tap sends its id (the quick reply's payload)");
	cr_assert_str_eq(seen[1], "Is the golf umbrella in stock?");
	/* The polite answer to the image reaches the customer. */
	int found = 0;
	int64_t deadline = util_mono_us() + 90000000;
	while (!found && util_mono_us() < deadline) {
		struct fg_record r[16];
		size_t k = fg_records(fg, from, r, 16);
		for (size_t i = 0; i < k && i < 16; i++) {
			cr_assert(r[i].ok, "%s: %s", r[i].problem, r[i].body);
			found |= strstr(r[i].body, "only read text") != NULL;
		}
		fg_records_free(r, k < 16 ? k : 16);
		if (!found)
			util_sleep_ms(100, NULL);
	}
	cr_assert(found, "no \"I can only read text\" reply within 90 s");
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	fg_stop(fg);
}
