/* whatsapp: signature check, notification parsing, the service window,
 * session ids, the Graph API client against a local server, and the
 * webhook end to end through libmicrohttpd (Redis unreachable: the
 * at-least-once path). */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../../testutil.h"
#include "services/gateway/graph.h"
#include "services/gateway/whatsapp.h"

TestSuite(wa, .fini = tu_leak_check);

/* --- signature ----------------------------------------------------------- */

/* RFC 4231 test case 2. */
#define RFC_KEY "Jefe"
#define RFC_DATA "what do ya want for nothing?"
#define RFC_MAC "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"

Test(wa, signature_good_wrong_missing_malformed)
{
	size_t n = strlen(RFC_DATA);
	cr_assert_eq(wa_verify_signature(RFC_KEY, RFC_DATA, n, "sha256=" RFC_MAC), 0, "RFC 4231 vector");
	cr_assert_eq(wa_verify_signature(RFC_KEY, RFC_DATA, n, "sha256=5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843"),
		     0, "upper-case hex");
	cr_assert_eq(wa_verify_signature("jefe", RFC_DATA, n, "sha256=" RFC_MAC), -2, "wrong secret");
	cr_assert_eq(wa_verify_signature(RFC_KEY, "what do ya want for nothing!", n, "sha256=" RFC_MAC), -2,
		     "one byte of the body changed");
	cr_assert_eq(wa_verify_signature(RFC_KEY, RFC_DATA, n - 1, "sha256=" RFC_MAC), -2, "body cut short");
	cr_assert_eq(wa_verify_signature(RFC_KEY, RFC_DATA, n,
					 "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3842"),
		     -2, "last digit wrong");
	cr_assert_eq(wa_verify_signature(RFC_KEY, RFC_DATA, n, NULL), -1, "missing");
	cr_assert_eq(wa_verify_signature(RFC_KEY, RFC_DATA, n, ""), -1, "empty");
	cr_assert_eq(wa_verify_signature(RFC_KEY, RFC_DATA, n, RFC_MAC), -1, "no prefix");
	cr_assert_eq(wa_verify_signature(RFC_KEY, RFC_DATA, n, "sha1=" RFC_MAC), -1, "wrong prefix");
	cr_assert_eq(wa_verify_signature(RFC_KEY, RFC_DATA, n, "SHA256=" RFC_MAC), -1, "prefix is lower case");
	cr_assert_eq(wa_verify_signature(RFC_KEY, RFC_DATA, n,
					 "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec38"),
		     -1, "truncated");
	cr_assert_eq(wa_verify_signature(RFC_KEY, RFC_DATA, n, "sha256=" RFC_MAC "00"), -1, "too long");
	cr_assert_eq(wa_verify_signature(RFC_KEY, RFC_DATA, n,
					 "sha256=zbdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
		     -1, "not hex");
	cr_assert_eq(wa_verify_signature(RFC_KEY, RFC_DATA, n, " sha256=" RFC_MAC), -1, "leading space");
	cr_assert_eq(wa_verify_signature("", RFC_DATA, n, "sha256=" RFC_MAC), -2, "no secret never matches");
}

static void sign(const char *secret, const char *body, char out[72])
{
	unsigned char md[32];
	unsigned int len = 0;
	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, strlen(body), md, &len);
	memcpy(out, "sha256=", 7);
	for (int i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

/* --- parsing ------------------------------------------------------------- */

#define VALUE_HEAD(pnid) \
	"{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":\"60300000000\",\"phone_number_id\":\"" pnid "\"},"

static const char batched[] =
    "{\"object\":\"whatsapp_business_account\",\"entry\":["
    "{\"id\":\"111\",\"changes\":["
    "{\"field\":\"messages\",\"value\":" VALUE_HEAD("1001")
    "\"contacts\":[{\"profile\":{\"name\":\"Aisyah\"},\"wa_id\":\"60123456789\"}],"
    "\"messages\":["
    "{\"from\":\"60123456789\",\"id\":\"wamid.A1\",\"timestamp\":\"1700000000\",\"type\":\"text\",\"text\":{\"body\":\"Ada stok payung?\"}},"
    "{\"from\":\"60123456789\",\"id\":\"wamid.A2\",\"timestamp\":\"1700000001\",\"type\":\"interactive\","
    "\"interactive\":{\"type\":\"button_reply\",\"button_reply\":{\"id\":\"Track my order\",\"title\":\"Track order\"}}}"
    "]}},"
    "{\"field\":\"messages\",\"value\":" VALUE_HEAD("1001")
    "\"statuses\":[{\"id\":\"wamid.S1\",\"status\":\"delivered\",\"recipient_id\":\"60123456789\"},"
    "{\"id\":\"wamid.S2\",\"status\":\"read\",\"recipient_id\":\"60123456789\"}]}}"
    "]},"
    "{\"id\":\"222\",\"changes\":["
    "{\"field\":\"messages\",\"value\":" VALUE_HEAD("2002")
    "\"messages\":["
    "{\"from\":\"6598765432\",\"id\":\"wamid.B1\",\"timestamp\":1700000002,\"type\":\"interactive\","
    "\"interactive\":{\"type\":\"list_reply\",\"list_reply\":{\"id\":\"\",\"title\":\"雨伞\",\"description\":\"RM 29.90\"}}},"
    "{\"from\":\"6598765432\",\"id\":\"wamid.B2\",\"type\":\"button\",\"button\":{\"payload\":\"STOP_PROMOS\",\"text\":\"Stop promotions\"}},"
    "{\"from\":\"6598765432\",\"id\":\"wamid.B3\",\"type\":\"image\",\"image\":{\"id\":\"m1\",\"mime_type\":\"image/jpeg\"}},"
    "{\"id\":\"wamid.B4\",\"type\":\"text\",\"text\":{\"body\":\"no sender\"}},"
    "{\"from\":\"+65 9876\",\"id\":\"wamid.B5\",\"type\":\"text\",\"text\":{\"body\":\"bad sender\"}},"
    "{\"from\":\"6598765432\",\"id\":\"wamid.B6\",\"type\":\"text\",\"text\":{\"body\":\"  \"}}"
    "]}},"
    "{\"field\":\"account_update\",\"value\":{\"messages\":[{\"from\":\"1\",\"id\":\"x\",\"type\":\"text\",\"text\":{\"body\":\"no\"}}]}}"
    "]}]}";

Test(wa, parse_batched_entries_and_every_type)
{
	struct wa_batch b;
	char err[256] = "";
	cr_assert_eq(wa_parse_webhook(batched, strlen(batched), &b, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(b.statuses, 2, "statuses are counted, not messages");
	cr_assert_eq(b.invalid, 2, "no sender, sender not digits");
	cr_assert_eq(b.n, 6);

	cr_assert_eq(b.msgs[0].kind, WA_TEXT);
	cr_assert_str_eq(b.msgs[0].text, "Ada stok payung?");
	cr_assert_str_eq(b.msgs[0].wamid, "wamid.A1");
	cr_assert_str_eq(b.msgs[0].from, "60123456789");
	cr_assert_str_eq(b.msgs[0].phone_number_id, "1001");
	cr_assert_eq(b.msgs[0].timestamp, 1700000000);

	cr_assert_eq(b.msgs[1].kind, WA_BUTTON_REPLY);
	cr_assert_str_eq(b.msgs[1].text, "Track my order", "the reply id is what tapping sends");

	cr_assert_eq(b.msgs[2].kind, WA_LIST_REPLY);
	cr_assert_str_eq(b.msgs[2].text, "雨伞", "an empty id falls back to the title");
	cr_assert_str_eq(b.msgs[2].phone_number_id, "2002", "each change has its own business number");
	cr_assert_eq(b.msgs[2].timestamp, 1700000002, "a numeric timestamp too");

	cr_assert_eq(b.msgs[3].kind, WA_BUTTON);
	cr_assert_str_eq(b.msgs[3].text, "Stop promotions");
	cr_assert_eq(b.msgs[3].timestamp, 0);

	cr_assert_eq(b.msgs[4].kind, WA_UNSUPPORTED);
	cr_assert_str_eq(b.msgs[4].type, "image");
	cr_assert_null(b.msgs[4].text);
	cr_assert_eq(b.msgs[5].kind, WA_UNSUPPORTED, "blank text is not a question");
	wa_batch_release(&b);
}

Test(wa, parse_blank_text_is_unsupported_not_a_turn)
{
	static const char body[] = "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"changes\":[{\"field\":"
				   "\"messages\",\"value\":" VALUE_HEAD("1") "\"messages\":[{\"from\":\"6\",\"id\":\"w\","
				   "\"type\":\"text\",\"text\":{\"body\":\" \\n \"}}]}}]}]}";
	struct wa_batch b;
	char err[256];
	cr_assert_eq(wa_parse_webhook(body, strlen(body), &b, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(b.n, 1);
	cr_assert_eq(b.msgs[0].kind, WA_UNSUPPORTED);
	wa_batch_release(&b);
}

Test(wa, parse_statuses_only)
{
	static const char body[] = "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"changes\":[{\"field\":"
				   "\"messages\",\"value\":" VALUE_HEAD("1") "\"statuses\":[{\"id\":\"w\",\"status\":\"sent\"}]}}]}]}";
	struct wa_batch b;
	char err[256];
	cr_assert_eq(wa_parse_webhook(body, strlen(body), &b, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(b.n, 0);
	cr_assert_eq(b.statuses, 1);
	wa_batch_release(&b);
}

Test(wa, parse_rejects_what_is_not_a_notification)
{
	static const char *const bad[] = {
		"", "{", "[]", "null", "{\"object\":\"whatsapp_business_account\"}", "{\"entry\":{}}",
		"{\"object\":\"page\",\"entry\":[]}", "{\"entry\":[1]} trailing",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct wa_batch b;
		char err[256] = "";
		cr_assert_eq(wa_parse_webhook(bad[i], strlen(bad[i]), &b, err, sizeof(err)), -1, "%s", bad[i]);
		cr_assert_neq(err[0], '\0', "says why: %s", bad[i]);
		cr_assert_eq(b.n, 0);
		wa_batch_release(&b);
	}
	/* Odd shapes inside a notification are skipped, not fatal. */
	static const char odd[] = "{\"entry\":[1,{\"changes\":7},{\"changes\":[null,{\"value\":{\"messages\":[1]}}]}]}";
	struct wa_batch b;
	char err[256];
	cr_assert_eq(wa_parse_webhook(odd, strlen(odd), &b, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(b.n, 0);
	cr_assert_eq(b.invalid, 1, "a message without a business number");
	wa_batch_release(&b);
}

Test(wa, parse_cuts_long_text_on_a_character)
{
	size_t n = TURN_MAX_TEXT + 100;
	json_t *text = json_string("");
	char *s = xmalloc(n * 3 + 1);
	for (size_t i = 0; i < n; i++)
		memcpy(s + 3 * i, "字", 3);
	s[3 * n] = '\0';
	json_string_set(text, s);
	free(s);
	json_t *root = json_pack("{s:[{s:[{s:s,s:{s:{s:s},s:[{s:s,s:s,s:s,s:{s:o}}]}}]}]}", "entry", "changes",
				 "field", "messages", "value", "metadata", "phone_number_id", "1", "messages", "from", "6",
				 "id", "w1", "type", "text", "text", "body", text);
	char *body = json_dumps(root, 0);
	json_decref(root);
	struct wa_batch b;
	char err[256];
	cr_assert_eq(wa_parse_webhook(body, strlen(body), &b, err, sizeof(err)), 0, "%s", err);
	free(body);
	cr_assert_eq(b.n, 1);
	size_t len = strlen(b.msgs[0].text);
	cr_assert_leq(len, TURN_MAX_TEXT);
	cr_assert_geq(len, TURN_MAX_TEXT - 3);
	cr_assert_eq(len % 3, 0, "never inside a character");
	wa_batch_release(&b);
}

/* --- window and ids ------------------------------------------------------ */

Test(wa, service_window)
{
	int64_t now = 1700000000LL * 1000000;
	cr_assert(wa_window_open(now, now, WA_WINDOW_S));
	cr_assert(wa_window_open(now - 1000000LL * (WA_WINDOW_S - 1), now, WA_WINDOW_S), "23:59:59 ago");
	cr_assert_not(wa_window_open(now - 1000000LL * WA_WINDOW_S, now, WA_WINDOW_S), "exactly 24 h ago");
	cr_assert_not(wa_window_open(now - 1000000LL * 2 * WA_WINDOW_S, now, WA_WINDOW_S), "two days ago");
	cr_assert_not(wa_window_open(0, now, WA_WINDOW_S), "never wrote");
	cr_assert_not(wa_window_open(now - 61000000LL, now, 60), "a shorter configured window");
}

Test(wa, session_ids_per_business_number_and_customer)
{
	char a[WA_SID_LEN], b[WA_SID_LEN], c[WA_SID_LEN], d[WA_SID_LEN];
	wa_session_id("demo", "1001", "60123456789", a);
	wa_session_id("demo", "1001", "60123456789", b);
	wa_session_id("demo", "1002", "60123456789", c);
	wa_session_id("demo", "1001", "60123456780", d);
	cr_assert_str_eq(a, b, "one session per user");
	cr_assert_str_neq(a, c);
	cr_assert_str_neq(a, d);
	cr_assert_eq(strlen(a), WA_SID_LEN - 1);
	cr_assert(util_valid_id(a, 128), "usable as a session id: %s", a);
	cr_assert_null(strstr(a, "60123456789"), "no phone number in the id");
}

/* --- Graph API client ---------------------------------------------------- */

Test(wa, graph_body_adds_recipient)
{
	char err[256];
	const char *m = "{\"type\":\"text\",\"text\":{\"body\":\"Hai\"}}";
	char *s = graph_message_body(m, strlen(m), "60123456789", err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	json_t *j = json_loads(s, 0, NULL);
	cr_assert_str_eq(json_string_value(json_object_get(j, "messaging_product")), "whatsapp");
	cr_assert_str_eq(json_string_value(json_object_get(j, "recipient_type")), "individual");
	cr_assert_str_eq(json_string_value(json_object_get(j, "to")), "60123456789");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "text"), "body")), "Hai");
	json_decref(j);
	free(s);
	cr_assert_null(graph_message_body("[1]", 3, "6", err, sizeof(err)));
	cr_assert_null(graph_message_body("{\"text\":1}", 10, "6", err, sizeof(err)), "no type");
}

Test(wa, graph_retryable_statuses)
{
	cr_assert(graph_retryable(0));
	cr_assert(graph_retryable(429));
	cr_assert(graph_retryable(500));
	cr_assert(graph_retryable(503));
	cr_assert_not(graph_retryable(400));
	cr_assert_not(graph_retryable(401));
	cr_assert_not(graph_retryable(404));
	cr_assert_not(graph_retryable(200));
}

/* A local Graph API: answers the scripted statuses in turn and records
 * what it was asked. */
struct fake {
	struct MHD_Daemon *mhd;
	int port;
	const unsigned *script;
	int nscript;
	pthread_mutex_t lock;
	int requests;
	char url[256], auth[256], body[4096];
};

struct upload {
	char buf[4096];
	size_t len;
};

static enum MHD_Result fake_handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				   const char *version, const char *data, size_t *data_len, void **req)
{
	struct fake *f = cls;
	(void)version;
	(void)method;
	struct upload *u = *req;
	if (!u) {
		*req = xcalloc(1, sizeof(*u));
		return MHD_YES;
	}
	if (*data_len) {
		size_t take = *data_len < sizeof(u->buf) - 1 - u->len ? *data_len : sizeof(u->buf) - 1 - u->len;
		memcpy(u->buf + u->len, data, take);
		u->len += take;
		*data_len = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&f->lock);
	int i = f->requests++;
	util_strlcpy(f->url, url, sizeof(f->url));
	const char *a = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	util_strlcpy(f->auth, a ? a : "", sizeof(f->auth));
	u->buf[u->len] = '\0';
	util_strlcpy(f->body, u->buf, sizeof(f->body));
	unsigned status = f->script[i < f->nscript ? i : f->nscript - 1];
	pthread_mutex_unlock(&f->lock);
	const char *rsp = status == 200 ? "{\"messaging_product\":\"whatsapp\",\"messages\":[{\"id\":\"wamid.OUT\"}]}"
					: "{\"error\":{\"message\":\"(#131047) Re-engagement message\",\"code\":131047}}";
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(rsp), (void *)(uintptr_t)rsp,
								 MHD_RESPMEM_PERSISTENT);
	enum MHD_Result q = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	free(u);
	*req = NULL;
	return q;
}

static void fake_start(struct fake *f, const unsigned *script, int n)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	f->script = script;
	f->nscript = n;
	f->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, fake_handle, f, MHD_OPTION_END);
	cr_assert_not_null(f->mhd);
	f->port = MHD_get_daemon_info(f->mhd, MHD_DAEMON_INFO_BIND_PORT)->port;
}

static void fake_stop(struct fake *f)
{
	MHD_stop_daemon(f->mhd);
	pthread_mutex_destroy(&f->lock);
}

static int graph_try(struct fake *f, long *status, int *attempts, char *err)
{
	char base[64];
	snprintf(base, sizeof(base), "http://127.0.0.1:%d/", f->port);
	struct graph_conf gc = { base, "v21.0", "tok-123", 5000, 4, 1 };
	struct graph *g = graph_new(&gc);
	int rc = graph_send(g, "1001", "{\"to\":\"6\"}", NULL, status, attempts, err, 256);
	graph_free(g);
	return rc;
}

Test(wa, graph_send_retries_5xx_and_429_then_succeeds)
{
	static const unsigned script[] = { 500, 429, 200 };
	struct fake f;
	fake_start(&f, script, 3);
	long status;
	int attempts;
	char err[256] = "";
	cr_assert_eq(graph_try(&f, &status, &attempts, err), 0, "%s", err);
	cr_assert_eq(status, 200);
	cr_assert_eq(attempts, 3);
	cr_assert_eq(f.requests, 3);
	cr_assert_str_eq(f.url, "/v21.0/1001/messages", "base's trailing slash dropped");
	cr_assert_str_eq(f.auth, "Bearer tok-123");
	cr_assert_str_eq(f.body, "{\"to\":\"6\"}");
	fake_stop(&f);
}

Test(wa, graph_send_gives_up_on_4xx_and_after_max_attempts)
{
	static const unsigned bad_request[] = { 400 };
	struct fake f;
	fake_start(&f, bad_request, 1);
	long status;
	int attempts;
	char err[256] = "";
	cr_assert_eq(graph_try(&f, &status, &attempts, err), -1);
	cr_assert_eq(status, 400);
	cr_assert_eq(attempts, 1, "a 4xx is final");
	cr_assert(strstr(err, "131047") != NULL && strstr(err, "400") != NULL, "%s", err);
	fake_stop(&f);

	static const unsigned down[] = { 503 };
	fake_start(&f, down, 1);
	cr_assert_eq(graph_try(&f, &status, &attempts, err), -1);
	cr_assert_eq(attempts, 4, "bounded");
	cr_assert_eq(f.requests, 4);
	fake_stop(&f);

	/* Nobody listening: a transport error, retried, then given up. */
	char base[64];
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", f.port);
	struct graph_conf gc = { base, "v21.0", "t", 2000, 2, 1 };
	struct graph *g = graph_new(&gc);
	cr_assert_eq(graph_send(g, "1", "{}", NULL, &status, &attempts, err, sizeof(err)), -1);
	cr_assert_eq(status, 0);
	cr_assert_eq(attempts, 2);
	cr_assert(strstr(err, "unreachable") != NULL, "%s", err);
	graph_free(g);
}

/* --- the webhook over HTTP ----------------------------------------------- */

#include "metrics.h"

/* The store key of a session's customer record (as whatsapp.c names it);
 * a static buffer, fine for one test at a time. */
static char *user_key_of(const char *sid)
{
	static char key[64];
	snprintf(key, sizeof(key), "wa:user:%s", sid);
	return key;
}

/* An in-memory wa_store (TTLs ignored: a test is shorter than any). */
#define MEM_MAX 64
struct mem {
	pthread_mutex_t lock;
	char keys[MEM_MAX][128];
	int nkeys;
	struct {
		char key[64], pnid[40], to[40];
		int64_t last_us;
	} users[MEM_MAX];
	int nusers;
};

static int mem_claim(void *arg, const char *key, long ttl_s)
{
	struct mem *m = arg;
	(void)ttl_s;
	pthread_mutex_lock(&m->lock);
	int rc = 1;
	for (int i = 0; i < m->nkeys && rc; i++)
		if (!strcmp(m->keys[i], key))
			rc = 0;
	if (rc && m->nkeys < MEM_MAX)
		util_strlcpy(m->keys[m->nkeys++], key, 128);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static void mem_unclaim(void *arg, const char *key)
{
	struct mem *m = arg;
	pthread_mutex_lock(&m->lock);
	for (int i = 0; i < m->nkeys; i++)
		if (!strcmp(m->keys[i], key))
			m->keys[i][0] = '\0';
	pthread_mutex_unlock(&m->lock);
}

static int mem_remember(void *arg, const char *key, const char *pnid, const char *to, int64_t at_us, long ttl_s)
{
	struct mem *m = arg;
	(void)ttl_s;
	pthread_mutex_lock(&m->lock);
	int i = 0;
	while (i < m->nusers && strcmp(m->users[i].key, key))
		i++;
	if (i == m->nusers && i < MEM_MAX) {
		m->nusers++;
		util_strlcpy(m->users[i].key, key, 64);
		m->users[i].last_us = 0;
	}
	util_strlcpy(m->users[i].pnid, pnid, 40);
	util_strlcpy(m->users[i].to, to, 40);
	if (at_us > m->users[i].last_us)
		m->users[i].last_us = at_us;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

static int mem_lookup(void *arg, const char *key, char *to, char *pnid, int64_t *last_us)
{
	struct mem *m = arg;
	int rc = -1;
	pthread_mutex_lock(&m->lock);
	for (int i = 0; i < m->nusers; i++)
		if (!strcmp(m->users[i].key, key)) {
			util_strlcpy(to, m->users[i].to, WA_MAX_PHONE + 1);
			util_strlcpy(pnid, m->users[i].pnid, WA_MAX_PHONE + 1);
			*last_us = m->users[i].last_us;
			rc = 0;
		}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

struct hook {
	struct MHD_Daemon *mhd;
	int port;
	struct wa *wa;
	struct mem mem;
	struct wa_store store;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int enqueued;
	char text[256], session[64];
	int channel, partition;
};

static int hook_enqueue(void *arg, const Chat__Turn *turn, char *errstr, size_t errlen)
{
	struct hook *h = arg;
	(void)errstr;
	(void)errlen;
	pthread_mutex_lock(&h->lock);
	h->enqueued++;
	util_strlcpy(h->text, turn->text, sizeof(h->text));
	util_strlcpy(h->session, turn->session_id, sizeof(h->session));
	h->channel = turn->channel;
	h->partition = turn->reply_partition;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	return 0;
}

static enum MHD_Result hook_handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				   const char *version, const char *data, size_t *data_len, void **req)
{
	struct hook *h = cls;
	(void)version;
	(void)url;
	struct upload *u = *req;
	if (!u) {
		*req = xcalloc(1, sizeof(*u));
		return MHD_YES;
	}
	if (*data_len) {
		size_t take = *data_len < sizeof(u->buf) - 1 - u->len ? *data_len : sizeof(u->buf) - 1 - u->len;
		memcpy(u->buf + u->len, data, take);
		u->len += take;
		*data_len = 0;
		return MHD_YES;
	}
	enum MHD_Result r = wa_http_handle(h->wa, conn, method, u->buf, u->len, 0);
	free(u);
	*req = NULL;
	return r;
}

/* enabled: the channel is on; graph_port: where replies go (0: nowhere);
 * redis: use the Redis store at an unreachable address instead of memory. */
static void hook_start_with(struct hook *h, int enabled, int graph_port, int redis)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	pthread_mutex_init(&h->mem.lock, NULL);
	h->store = (struct wa_store){ mem_claim, mem_unclaim, mem_remember, mem_lookup, &h->mem };
	char base[64];
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", graph_port ? graph_port : 9);
	struct wa_conf c = { "verify-me", "app-secret", "token", base, "v21.0",
			     "redis://127.0.0.1:9/0", "demo", 5, 4096, 600, 86400, 100, 1000, 1, 0 };
	if (enabled)
		h->wa = wa_new(&c, (struct wa_io){ hook_enqueue, h, redis ? NULL : &h->store });
	h->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, hook_handle, h, MHD_OPTION_END);
	cr_assert_not_null(h->mhd);
	h->port = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT)->port;
}

static void hook_start(struct hook *h, int enabled)
{
	hook_start_with(h, enabled, 0, 0);
}

static void hook_stop(struct hook *h)
{
	MHD_stop_daemon(h->mhd);
	wa_free(h->wa);
	pthread_mutex_destroy(&h->mem.lock);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
}

struct got {
	char buf[1024];
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

/* GET (body NULL) or POST; returns the status, the answer in got. */
static long request(struct hook *h, const char *query, const char *body, const char *sig, struct got *got)
{
	char url[512];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/webhooks/whatsapp%s", h->port, query ? query : "");
	CURL *c = curl_easy_init();
	struct curl_slist *hdr = NULL;
	if (sig) {
		char line[128];
		snprintf(line, sizeof(line), "X-Hub-Signature-256: %s", sig);
		hdr = curl_slist_append(hdr, line);
	}
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	memset(got, 0, sizeof(*got));
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, got_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, got);
	long status = 0;
	cr_assert_eq(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return status;
}

Test(wa, webhook_handshake)
{
	struct hook h;
	hook_start(&h, 1);
	struct got g;
	cr_assert_eq(request(&h, "?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444", NULL, NULL, &g),
		     200);
	cr_assert_str_eq(g.buf, "1158201444", "the raw challenge");
	cr_assert_eq(request(&h, "?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1", NULL, NULL, &g), 403);
	cr_assert_eq(request(&h, "?hub.mode=unsubscribe&hub.verify_token=verify-me&hub.challenge=1", NULL, NULL, &g),
		     403);
	cr_assert_eq(request(&h, "?hub.verify_token=verify-me&hub.challenge=1", NULL, NULL, &g), 403);
	cr_assert_eq(request(&h, "", NULL, NULL, &g), 403);
	hook_stop(&h);
}

Test(wa, webhook_off_without_secrets)
{
	struct hook h;
	hook_start(&h, 0);
	struct got g;
	cr_assert_eq(request(&h, "?hub.mode=subscribe&hub.verify_token=&hub.challenge=1", NULL, NULL, &g), 404);
	cr_assert(strstr(g.buf, "not configured") != NULL, "%s", g.buf);
	hook_stop(&h);
}

static int wait_enqueued(struct hook *h, int want)
{
	int64_t deadline = util_mono_us() + 20000000;
	pthread_mutex_lock(&h->lock);
	while (h->enqueued < want && util_mono_us() < deadline) {
		pthread_mutex_unlock(&h->lock);
		util_sleep_ms(10, NULL);
		pthread_mutex_lock(&h->lock);
	}
	int n = h->enqueued;
	pthread_mutex_unlock(&h->lock);
	return n;
}

Test(wa, webhook_signed_message_becomes_a_turn_and_bad_signatures_nothing)
{
	struct hook h;
	hook_start(&h, 1);
	struct got g;
	char sig[72];
	sign("app-secret", batched, sig);
	char bad[72];
	memcpy(bad, sig, sizeof(bad));
	bad[20] = bad[20] == 'a' ? 'b' : 'a';
	cr_assert_eq(request(&h, NULL, batched, bad, &g), 401, "wrong signature");
	cr_assert_eq(request(&h, NULL, batched, NULL, &g), 401, "missing signature");
	cr_assert(strstr(g.buf, "X-Hub-Signature-256") != NULL, "%s", g.buf);
	cr_assert_eq(request(&h, NULL, batched, "sha256=", &g), 401, "empty signature");

	/* Signed but not JSON: acknowledged (Meta would retry it for days),
	 * counted and logged, nothing enqueued. */
	char sig2[72];
	sign("app-secret", "{not json", sig2);
	cr_assert_eq(request(&h, NULL, "{not json", sig2, &g), 200);

	cr_assert_eq(request(&h, NULL, batched, sig, &g), 200);
	/* Four readable messages; the image gets a polite reply instead. */
	cr_assert_eq(wait_enqueued(&h, 4), 4);
	char sid[WA_SID_LEN];
	wa_session_id("demo", "2002", "6598765432", sid);
	pthread_mutex_lock(&h.lock);
	cr_assert_str_eq(h.session, sid);
	cr_assert_str_eq(h.text, "Stop promotions");
	cr_assert_eq(h.channel, CHAT__CHANNEL__CHANNEL_WHATSAPP);
	cr_assert_eq(h.partition, 5, "the gateway's ordinal");
	pthread_mutex_unlock(&h.lock);
	hook_stop(&h);
	cr_assert_eq(h.enqueued, 4, "nothing from the bad requests");
}

static int64_t counter_value(const char *name, const char *labels)
{
	return metrics_value(metrics_counter(name, "", labels));
}

static int64_t wait_counter(const char *name, const char *labels, int64_t want)
{
	int64_t deadline = util_mono_us() + 20000000;
	int64_t v;
	while ((v = counter_value(name, labels)) < want && util_mono_us() < deadline)
		util_sleep_ms(10, NULL);
	return v;
}

Test(wa, webhook_delivered_twice_is_one_turn)
{
	struct hook h;
	hook_start(&h, 1);
	struct got g;
	char sig[72];
	sign("app-secret", batched, sig);
	cr_assert_eq(request(&h, NULL, batched, sig, &g), 200);
	cr_assert_eq(request(&h, NULL, batched, sig, &g), 200, "Meta's retry is acknowledged");
	cr_assert_eq(wait_counter("gateway_whatsapp_messages_total", "result=\"duplicate\"", 6), 6,
		     "all six messages of the retry are dropped");
	cr_assert_eq(counter_value("gateway_whatsapp_messages_total", "result=\"enqueued\""), 4);
	cr_assert_eq(counter_value("gateway_whatsapp_statuses_total", ""), 4, "statuses of both deliveries counted");
	hook_stop(&h);
	cr_assert_eq(h.enqueued, 4, "each message once");
}

Test(wa, webhook_without_a_store_processes_at_least_once)
{
	struct hook h;
	hook_start_with(&h, 1, 0, 1);
	struct got g;
	char sig[72];
	sign("app-secret", batched, sig);
	cr_assert_eq(request(&h, NULL, batched, sig, &g), 200);
	cr_assert_eq(request(&h, NULL, batched, sig, &g), 200);
	cr_assert_eq(wait_enqueued(&h, 8), 8, "Redis down: no dedupe, nothing lost");
	cr_assert_geq(counter_value("gateway_whatsapp_dedupe_unavailable_total", ""), 8);
	hook_stop(&h);
}

static Chat__Turn *reply_turn(const char *sid, const char *turn_id, const char *payload)
{
	Chat__Turn *t = tu_turn(sid, turn_id, "q");
	t->channel = CHAT__CHANNEL__CHANNEL_WHATSAPP;
	t->rendered = xmalloc(sizeof(*t->rendered));
	chat__rendered__init(t->rendered);
	turn_set_str(&t->rendered->content_type, "application/vnd.whatsapp.messages+json");
	t->rendered->payload.data = (uint8_t *)xstrdup(payload);
	t->rendered->payload.len = strlen(payload);
	return t;
}

static const char two_messages[] =
    "[{\"type\":\"text\",\"text\":{\"body\":\"Part one.\"}},"
    "{\"type\":\"interactive\",\"interactive\":{\"type\":\"button\",\"body\":{\"text\":\"Choose\"},"
    "\"action\":{\"buttons\":[{\"type\":\"reply\",\"reply\":{\"id\":\"a\",\"title\":\"A\"}}]}}}]";

Test(wa, reply_inside_the_window_is_sent_in_order_once)
{
	static const unsigned ok[] = { 200 };
	struct fake f;
	fake_start(&f, ok, 1);
	struct hook h;
	hook_start_with(&h, 1, f.port, 0);
	char sid[WA_SID_LEN];
	wa_session_id("demo", "1001", "60123456789", sid);
	mem_remember(&h.mem, user_key_of(sid), "1001", "60123456789", util_now_us() - 3600LL * 1000000, 90000);
	Chat__Turn *t = reply_turn(sid, "turn-r1", two_messages);
	wa_reply(h.wa, t);
	wa_reply(h.wa, t); /* replayed by the pipeline */
	turn_free(t);
	cr_assert_eq(wait_counter("gateway_whatsapp_duplicate_replies_total", "", 1), 1);
	cr_assert_eq(wait_counter("gateway_whatsapp_sends_total", "result=\"ok\"", 2), 2);
	pthread_mutex_lock(&f.lock);
	cr_assert_eq(f.requests, 2, "two messages, once");
	cr_assert_str_eq(f.url, "/v21.0/1001/messages");
	cr_assert_str_eq(f.auth, "Bearer token");
	json_t *j = json_loads(f.body, 0, NULL);
	cr_assert_str_eq(json_string_value(json_object_get(j, "type")), "interactive", "the last one sent last");
	cr_assert_str_eq(json_string_value(json_object_get(j, "to")), "60123456789");
	cr_assert_str_eq(json_string_value(json_object_get(j, "messaging_product")), "whatsapp");
	json_decref(j);
	pthread_mutex_unlock(&f.lock);
	hook_stop(&h);
	fake_stop(&f);
}

Test(wa, reply_outside_the_window_or_unknown_is_not_sent)
{
	static const unsigned ok[] = { 200 };
	struct fake f;
	fake_start(&f, ok, 1);
	struct hook h;
	hook_start_with(&h, 1, f.port, 0);
	char sid[WA_SID_LEN];
	wa_session_id("demo", "1001", "60111111111", sid);
	mem_remember(&h.mem, user_key_of(sid), "1001", "60111111111", util_now_us() - 25LL * 3600 * 1000000, 90000);
	Chat__Turn *t = reply_turn(sid, "turn-old", two_messages);
	wa_reply(h.wa, t);
	turn_free(t);
	t = reply_turn("wa-00000000000000000000000000000000", "turn-unknown", two_messages);
	wa_reply(h.wa, t);
	turn_free(t);
	cr_assert_eq(wait_counter("gateway_whatsapp_window_closed_total", "", 2), 2);
	cr_assert_eq(counter_value("gateway_whatsapp_sends_total", "result=\"ok\""), 0);
	pthread_mutex_lock(&f.lock);
	cr_assert_eq(f.requests, 0, "no free-form message outside the window");
	pthread_mutex_unlock(&f.lock);
	hook_stop(&h);
	fake_stop(&f);
}

Test(wa, webhook_records_the_window_from_the_message_time)
{
	struct hook h;
	hook_start(&h, 1);
	struct got g;
	char sig[72];
	sign("app-secret", batched, sig);
	cr_assert_eq(request(&h, NULL, batched, sig, &g), 200);
	cr_assert_eq(wait_enqueued(&h, 4), 4);
	char sid[WA_SID_LEN], to[WA_MAX_PHONE + 1], pnid[WA_MAX_PHONE + 1];
	int64_t last = 0;
	wa_session_id("demo", "1001", "60123456789", sid);
	char *key = user_key_of(sid);
	cr_assert_eq(mem_lookup(&h.mem, key, to, pnid, &last), 0);
	cr_assert_str_eq(to, "60123456789");
	cr_assert_str_eq(pnid, "1001");
	cr_assert_eq(last, 1700000001LL * 1000000, "the later of the customer's two messages");
	hook_stop(&h);
}
