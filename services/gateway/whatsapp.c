/* whatsapp: webhook verification, parsing, dedupe, the service window and
 * the reply sender of the WhatsApp channel. */
#include "whatsapp.h"
#include "gateway.h"

#include <ctype.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credis.h"
#include "graph.h"
#include "log.h"
#include "metrics.h"
#include "services/formatter/formatter.h"
#include "util.h"

/* ------------------------------------------------------------------ pure */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int wa_verify_signature(const char *secret, const void *body, size_t len, const char *header)
{
	static const char prefix[] = "sha256=";
	unsigned char want[32], got[EVP_MAX_MD_SIZE];
	unsigned int gotlen = 0;
	if (!header || strncmp(header, prefix, sizeof(prefix) - 1))
		return -1;
	const char *hex = header + sizeof(prefix) - 1;
	if (strlen(hex) != 64)
		return -1;
	for (int i = 0; i < 32; i++) {
		int hi = hexval((unsigned char)hex[2 * i]), lo = hexval((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		want[i] = (unsigned char)(hi << 4 | lo);
	}
	if (!secret || !*secret)
		return -2;
	if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), body, len, got, &gotlen) || gotlen != 32)
		return -2;
	return CRYPTO_memcmp(want, got, 32) == 0 ? 0 : -2;
}

/* Copy a JSON string of 1..max characters matching ok() into out. */
static int take_id(json_t *v, char *out, size_t max, int (*ok)(int))
{
	const char *s = json_string_value(v);
	if (!s)
		return -1;
	size_t n = json_string_length(v);
	if (n == 0 || n > max)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!ok((unsigned char)s[i]))
			return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_idchar(int c)
{
	return c > 0x20 && c < 0x7f;
}

/* A customer's text: a string that is not empty or white space only, cut
 * to TURN_MAX_TEXT bytes on a character boundary, without NUL. */
static char *take_text(json_t *v)
{
	const char *s = json_string_value(v);
	if (!s)
		return NULL;
	size_t n = json_string_length(v);
	if (memchr(s, '\0', n))
		n = strlen(s);
	int blank = 1;
	for (size_t i = 0; i < n && blank; i++)
		blank = isspace((unsigned char)s[i]);
	if (blank)
		return NULL;
	return xstrndup(s, util_utf8_prefix(s, n < TURN_MAX_TEXT ? n : TURN_MAX_TEXT));
}

static int64_t take_timestamp(json_t *v)
{
	long t;
	if (json_is_integer(v))
		return json_integer_value(v) > 0 ? json_integer_value(v) : 0;
	if (json_is_string(v) && !util_parse_long(json_string_value(v), 1, 1L << 40, &t))
		return t;
	return 0;
}

/* The customer text of message m (by its type), or NULL: unsupported. */
static char *message_text(json_t *m, enum wa_kind *kind)
{
	const char *type = json_string_value(json_object_get(m, "type"));
	char *t = NULL;
	*kind = WA_UNSUPPORTED;
	if (!type)
		return NULL;
	if (!strcmp(type, "text")) {
		*kind = WA_TEXT;
		t = take_text(json_object_get(json_object_get(m, "text"), "body"));
	} else if (!strcmp(type, "interactive")) {
		json_t *in = json_object_get(m, "interactive");
		const char *it = json_string_value(json_object_get(in, "type"));
		if (it && (!strcmp(it, "button_reply") || !strcmp(it, "list_reply"))) {
			/* Our formatter makes the reply id the message tapping sends
			 * (a quick reply's payload); the title is the fallback. */
			*kind = it[0] == 'b' ? WA_BUTTON_REPLY : WA_LIST_REPLY;
			json_t *r = json_object_get(in, it);
			t = take_text(json_object_get(r, "id"));
			if (!t)
				t = take_text(json_object_get(r, "title"));
		}
	} else if (!strcmp(type, "button")) {
		/* A template's quick-reply button: its text is what the customer
		 * saw and tapped; the payload is the retailer's own token. */
		*kind = WA_BUTTON;
		json_t *b = json_object_get(m, "button");
		t = take_text(json_object_get(b, "text"));
		if (!t)
			t = take_text(json_object_get(b, "payload"));
	}
	if (!t)
		*kind = WA_UNSUPPORTED;
	return t;
}

static void add_messages(struct wa_batch *b, json_t *value)
{
	char pnid[WA_MAX_PHONE + 1];
	json_t *statuses = json_object_get(value, "statuses");
	if (json_is_array(statuses))
		b->statuses += json_array_size(statuses);
	json_t *msgs = json_object_get(value, "messages");
	if (!json_is_array(msgs))
		return;
	int have_pnid =
	    take_id(json_object_get(json_object_get(value, "metadata"), "phone_number_id"), pnid, WA_MAX_PHONE, is_digit) == 0;
	size_t i;
	json_t *m;
	json_array_foreach(msgs, i, m)
	{
		if (b->n >= WA_MAX_MESSAGES) {
			b->invalid++;
			continue;
		}
		struct wa_message w;
		memset(&w, 0, sizeof(w));
		if (!have_pnid || !json_is_object(m) ||
		    take_id(json_object_get(m, "id"), w.wamid, WA_MAX_ID, is_idchar) ||
		    take_id(json_object_get(m, "from"), w.from, WA_MAX_PHONE, is_digit)) {
			b->invalid++;
			continue;
		}
		memcpy(w.phone_number_id, pnid, sizeof(pnid));
		const char *type = json_string_value(json_object_get(m, "type"));
		util_strlcpy(w.type, type ? type : "", sizeof(w.type));
		w.timestamp = take_timestamp(json_object_get(m, "timestamp"));
		w.text = message_text(m, &w.kind);
		b->msgs = xrealloc(b->msgs, (b->n + 1) * sizeof(*b->msgs));
		b->msgs[b->n++] = w;
	}
}

int wa_parse_webhook(const char *body, size_t len, struct wa_batch *b, char *errstr, size_t errlen)
{
	json_error_t jerr;
	memset(b, 0, sizeof(*b));
	json_t *root = json_loadb(body, len, 0, &jerr);
	int rc = -1;
	if (!root) {
		snprintf(errstr, errlen, "malformed JSON at line %d column %d: %s", jerr.line, jerr.column, jerr.text);
		return -1;
	}
	json_t *entries = json_object_get(root, "entry");
	const char *object = json_string_value(json_object_get(root, "object"));
	if (!json_is_object(root) || !json_is_array(entries)) {
		snprintf(errstr, errlen, "not a WhatsApp notification: no \"entry\" array");
		goto out;
	}
	if (object && strcmp(object, "whatsapp_business_account")) {
		snprintf(errstr, errlen, "notification for \"%.40s\", not \"whatsapp_business_account\"", object);
		goto out;
	}
	size_t i, k;
	json_t *e, *ch;
	json_array_foreach(entries, i, e)
	{
		json_t *changes = json_object_get(e, "changes");
		json_array_foreach(changes, k, ch)
		{
			const char *field = json_string_value(json_object_get(ch, "field"));
			json_t *value = json_object_get(ch, "value");
			if ((field && strcmp(field, "messages")) || !json_is_object(value))
				continue;
			add_messages(b, value);
		}
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

void wa_batch_release(struct wa_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->msgs[i].text);
	free(b->msgs);
	memset(b, 0, sizeof(*b));
}

int wa_window_open(int64_t last_us, int64_t now_us, long window_s)
{
	return last_us > 0 && now_us - last_us < (int64_t)window_s * 1000000;
}

static void sha_hex(const char *in, char *out, int nbytes)
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	static const char hex[] = "0123456789abcdef";
	EVP_Digest(in, strlen(in), md, &mdlen, EVP_sha256(), NULL);
	for (int i = 0; i < nbytes; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * nbytes] = '\0';
}

void wa_session_id(const char *tenant, const char *phone_number_id, const char *wa_id, char out[WA_SID_LEN])
{
	char *in = xasprintf("%s\x1f%s\x1f%s", tenant, phone_number_id, wa_id);
	memcpy(out, "wa-", 3);
	sha_hex(in, out + 3, 16);
	free(in);
}

/* A UUID-shaped turn id from the message id: a redelivered message that
 * slipped past dedupe still names the same turn downstream. */
static void turn_id_for(const char *tenant, const char *wamid, char out[37])
{
	char hex[65];
	char *in = xasprintf("wa\x1f%s\x1f%s", tenant, wamid);
	sha_hex(in, hex, 16);
	free(in);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

/* -------------------------------------------------------------- queue */

struct qitem {
	struct qitem *next;
	int is_reply;
	char *data; /* webhook body, or the rendered reply payload */
	size_t len;
	char sid[WA_SID_LEN];
	char turn_id[64], trace_id[64];
	/* A fixed reply to a known recipient (unsupported message types). */
	char to[WA_MAX_PHONE + 1], pnid[WA_MAX_PHONE + 1];
};

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct qitem *head, *tail;
	long len, max;
};

static void q_init(struct queue *q, long max)
{
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->head = q->tail = NULL;
	q->len = 0;
	q->max = max;
}

static void item_free(struct qitem *it)
{
	if (it) {
		free(it->data);
		free(it);
	}
}

/* Takes it; -1 (and it is freed) when the queue is full. */
static int q_push(struct queue *q, struct qitem *it)
{
	pthread_mutex_lock(&q->lock);
	if (q->len >= q->max) {
		pthread_mutex_unlock(&q->lock);
		item_free(it);
		return -1;
	}
	it->next = NULL;
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	q->len++;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

/* The next item, waiting up to 100 ms; NULL when none. */
static struct qitem *q_pop(struct queue *q)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&q->lock);
	if (!q->head)
		pthread_cond_timedwait(&q->cond, &q->lock, &ts);
	struct qitem *it = q->head;
	if (it) {
		q->head = it->next;
		if (!q->head)
			q->tail = NULL;
		q->len--;
	}
	pthread_mutex_unlock(&q->lock);
	return it;
}

static long q_drain(struct queue *q)
{
	long n = 0;
	struct qitem *it;
	pthread_mutex_lock(&q->lock);
	while ((it = q->head)) {
		q->head = it->next;
		item_free(it);
		n++;
	}
	q->tail = NULL;
	q->len = 0;
	pthread_mutex_unlock(&q->lock);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
	return n;
}

/* ------------------------------------------------------------ channel */

struct wa {
	struct wa_conf conf;
	struct wa_io io;
	struct queue inbox, outbox;
	pthread_t worker_tid, sender_tid;
	volatile sig_atomic_t stop;
	int joined; /* threads joined (only main.c's thread reads it) */
	struct credis *redis_in, *redis_out; /* one per thread; NULL with io.store */
	struct wa_store in, out;             /* the worker's and the sender's */
	struct graph *graph;
	struct metric *m_accepted, *m_bad_sig, *m_too_large, *m_full, *m_malformed, *m_statuses, *m_enqueued,
	    *m_dupes, *m_unsupported, *m_invalid, *m_failed, *m_sent, *m_send_failed, *m_retries, *m_window,
	    *m_reply_dupes, *m_reply_dropped, *m_send_time, *m_no_dedupe;
};

static const char unsupported_reply[] =
    "[{\"type\":\"text\",\"text\":{\"body\":\"Sorry, I can only read text messages. Please type your question. / "
    "Maaf, saya hanya boleh membaca mesej teks. / 抱歉，我只能阅读文字消息。\",\"preview_url\":false}}]";

static struct metric *counter(const char *name, const char *help, const char *labels)
{
	return metrics_counter(name, help, labels);
}

/* --- the Redis store (wa_store over one credis connection per thread) */

/* The customer's number and latest message time; an older (retried)
 * message never moves the time back. */
static const char remember_lua[] =
    "local cur = tonumber(redis.call('HGET', KEYS[1], 'last_us') or '0') "
    "if tonumber(ARGV[3]) > cur then redis.call('HSET', KEYS[1], 'last_us', ARGV[3]) end "
    "redis.call('HSET', KEYS[1], 'pnid', ARGV[1], 'to', ARGV[2]) "
    "redis.call('EXPIRE', KEYS[1], ARGV[4]) return 1";

static int rs_claim(void *arg, const char *key, long ttl_s)
{
	redisReply *r = credis_cmd(arg, "SET %s 1 NX EX %ld", key, ttl_s);
	int rc = -1;
	if (r && r->type == REDIS_REPLY_STATUS)
		rc = 1;
	else if (r && r->type == REDIS_REPLY_NIL)
		rc = 0;
	if (r)
		freeReplyObject(r);
	return rc;
}

static void rs_unclaim(void *arg, const char *key)
{
	redisReply *r = credis_cmd(arg, "DEL %s", key);
	if (r)
		freeReplyObject(r);
}

static int rs_remember(void *arg, const char *key, const char *pnid, const char *to, int64_t at_us, long ttl_s)
{
	char at[32], ttl[32];
	snprintf(at, sizeof(at), "%lld", (long long)at_us);
	snprintf(ttl, sizeof(ttl), "%ld", ttl_s);
	redisReply *r = credis_cmd(arg, "EVAL %s 1 %s %s %s %s %s", remember_lua, key, pnid, to, at, ttl);
	int rc = r && r->type != REDIS_REPLY_ERROR ? 0 : -1;
	if (r)
		freeReplyObject(r);
	return rc;
}

static int rs_lookup(void *arg, const char *key, char *to, char *pnid, int64_t *last_us)
{
	redisReply *r = credis_cmd(arg, "HMGET %s to pnid last_us", key);
	int rc = -1;
	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[0]->type == REDIS_REPLY_STRING &&
	    r->element[1]->type == REDIS_REPLY_STRING && r->element[2]->type == REDIS_REPLY_STRING) {
		util_strlcpy(to, r->element[0]->str, WA_MAX_PHONE + 1);
		util_strlcpy(pnid, r->element[1]->str, WA_MAX_PHONE + 1);
		*last_us = strtoll(r->element[2]->str, NULL, 10);
		rc = 0;
	}
	if (r)
		freeReplyObject(r);
	return rc;
}

/* --- what the worker and the sender keep */

static void user_key(const char *sid, char *key, size_t len)
{
	snprintf(key, len, "wa:user:%s", sid);
}

static void remember_user(struct wa *wa, const char *sid, const struct wa_message *m, int64_t at_us)
{
	char key[64];
	user_key(sid, key, sizeof(key));
	/* Kept a little past the window: after that nothing may be sent. */
	if (wa->in.remember(wa->in.arg, key, m->phone_number_id, m->from, at_us, wa->conf.window_s + 3600))
		log_write(LOG_WARN, NULL, sid, "cannot record the WhatsApp customer (Redis unreachable?)");
}

static void seen_key(struct wa *wa, const char *wamid, char *key, size_t len)
{
	char hex[65];
	sha_hex(wamid, hex, 16);
	snprintf(key, len, "wa:seen:%s:%s", wa->conf.tenant_id, hex);
}

/* 1 for a message seen for the first time, 0 for a duplicate, -1 when
 * the store cannot tell (the message is then processed: at least once). */
static int first_time(struct wa *wa, const char *wamid)
{
	char key[128];
	seen_key(wa, wamid, key, sizeof(key));
	return wa->in.claim(wa->in.arg, key, wa->conf.dedupe_ttl_s);
}

static void forget_seen(struct wa *wa, const char *wamid)
{
	char key[128];
	seen_key(wa, wamid, key, sizeof(key));
	wa->in.unclaim(wa->in.arg, key);
}

static Chat__Turn *build_turn(struct wa *wa, const char *sid, const struct wa_message *m)
{
	Chat__Turn *turn = turn_new();
	char id[37], trace[37];
	turn_id_for(wa->conf.tenant_id, m->wamid, id);
	util_uuid(trace);
	turn_set_str(&turn->tenant_id, wa->conf.tenant_id);
	turn_set_str(&turn->session_id, sid);
	turn_set_str(&turn->turn_id, id);
	turn_set_str(&turn->trace_id, trace);
	char *text = gw_scrub_text(m->text);
	turn_set_str(&turn->text, text);
	free(text);
	turn_set_str(&turn->client_msg_id, "");
	turn->channel = CHAT__CHANNEL__CHANNEL_WHATSAPP;
	turn->reply_partition = (int32_t)wa->conf.ordinal;
	turn->received_at_us = util_now_us();
	turn->customer = xmalloc(sizeof(*turn->customer));
	chat__customer__init(turn->customer);
	turn_stamp(turn, "gateway");
	return turn;
}

static void handle_message(struct wa *wa, const struct wa_message *m)
{
	char sid[WA_SID_LEN], errstr[256];
	wa_session_id(wa->conf.tenant_id, m->phone_number_id, m->from, sid);
	int first = first_time(wa, m->wamid);
	if (first == 0) {
		metrics_inc(wa->m_dupes, 1);
		log_write(LOG_DEBUG, NULL, sid, "WhatsApp message delivered again: dropped");
		return;
	}
	if (first < 0)
		metrics_inc(wa->m_no_dedupe, 1);
	/* The window runs from the customer's message, not from its delivery
	 * (Meta may deliver a message late). */
	int64_t now = util_now_us();
	int64_t at = m->timestamp > 0 ? m->timestamp * 1000000 : now;
	if (at > now)
		at = now;
	remember_user(wa, sid, m, at);
	if (m->kind == WA_UNSUPPORTED) {
		metrics_inc(wa->m_unsupported, 1);
		if (!wa_window_open(at, now, wa->conf.window_s)) {
			metrics_inc(wa->m_window, 1);
			log_write(LOG_INFO, NULL, sid, "WhatsApp message of type \"%s\" is not supported; too old to answer",
				  m->type);
			return;
		}
		log_write(LOG_INFO, NULL, sid, "WhatsApp message of type \"%s\" is not supported: answered politely",
			  m->type);
		struct qitem *it = xcalloc(1, sizeof(*it));
		it->is_reply = 1;
		it->data = xstrdup(unsupported_reply);
		it->len = strlen(it->data);
		util_strlcpy(it->sid, sid, sizeof(it->sid));
		turn_id_for(wa->conf.tenant_id, m->wamid, it->turn_id);
		util_strlcpy(it->to, m->from, sizeof(it->to));
		util_strlcpy(it->pnid, m->phone_number_id, sizeof(it->pnid));
		if (q_push(&wa->outbox, it))
			metrics_inc(wa->m_reply_dropped, 1);
		return;
	}
	Chat__Turn *turn = build_turn(wa, sid, m);
	if (wa->io.enqueue(wa->io.arg, turn, errstr, sizeof(errstr))) {
		metrics_inc(wa->m_failed, 1);
		log_write(LOG_ERROR, turn->trace_id, sid, "WhatsApp message not enqueued (it is lost): %s", errstr);
		if (first > 0)
			forget_seen(wa, m->wamid);
	} else {
		metrics_inc(wa->m_enqueued, 1);
	}
	turn_free(turn);
}

static void handle_webhook(struct wa *wa, const char *body, size_t len)
{
	struct wa_batch b;
	char errstr[256];
	if (wa_parse_webhook(body, len, &b, errstr, sizeof(errstr))) {
		/* Signed by Meta yet unreadable: answering an error would only make
		 * Meta retry the same bytes for days. */
		metrics_inc(wa->m_malformed, 1);
		log_warn("signed WhatsApp webhook ignored: %s", errstr);
		wa_batch_release(&b);
		return;
	}
	metrics_inc(wa->m_statuses, b.statuses);
	if (b.invalid) {
		metrics_inc(wa->m_invalid, b.invalid);
		log_warn("WhatsApp webhook: %zu message(s) without a usable id, sender or business number ignored",
			 b.invalid);
	}
	for (size_t i = 0; i < b.n && !wa->stop; i++)
		handle_message(wa, &b.msgs[i]);
	wa_batch_release(&b);
}

static void *worker_main(void *arg)
{
	struct wa *wa = arg;
	while (!wa->stop) {
		struct qitem *it = q_pop(&wa->inbox);
		if (!it)
			continue;
		handle_webhook(wa, it->data, it->len);
		item_free(it);
	}
	return NULL;
}

/* 1 the first time a reply turn is sent, 0 when it was (replayed). */
static int first_send(struct wa *wa, const char *turn_id)
{
	char key[128];
	snprintf(key, sizeof(key), "wa:sent:%s:%s", wa->conf.tenant_id, turn_id);
	return wa->out.claim(wa->out.arg, key, wa->conf.dedupe_ttl_s) != 0;
}

/* The recipient and last message time of session sid: 0, or -1 when
 * unknown (never wrote, or longer ago than the record lives). */
static int lookup_user(struct wa *wa, const char *sid, char *to, char *pnid, int64_t *last_us)
{
	char key[64];
	user_key(sid, key, sizeof(key));
	return wa->out.lookup(wa->out.arg, key, to, pnid, last_us);
}

/* The rendered messages of a reply as a JSON array: the formatter's array,
 * or, for a reply rendered for another channel, its "text" as one text
 * message. NULL when there is nothing to send. */
static json_t *reply_messages(const char *data, size_t len)
{
	json_t *j = json_loadb(data, len, 0, NULL);
	if (json_is_array(j))
		return j;
	const char *text = json_string_value(json_object_get(j, "text"));
	json_t *arr = NULL;
	if (text && *text) {
		char *t = fmt_wa_truncate(text, FMT_WA_TEXT_MAX);
		arr = json_pack("[{s:s,s:{s:s}}]", "type", "text", "text", "body", t);
		free(t);
	}
	json_decref(j);
	return arr;
}

static void send_reply(struct wa *wa, struct qitem *it)
{
	char to[WA_MAX_PHONE + 1], pnid[WA_MAX_PHONE + 1], errstr[256];
	int64_t last_us = 0;
	const char *trace = it->trace_id[0] ? it->trace_id : NULL;
	if (!first_send(wa, it->turn_id)) {
		metrics_inc(wa->m_reply_dupes, 1);
		return;
	}
	if (it->to[0]) {
		util_strlcpy(to, it->to, sizeof(to));
		util_strlcpy(pnid, it->pnid, sizeof(pnid));
	} else if (lookup_user(wa, it->sid, to, pnid, &last_us) ||
		   !wa_window_open(last_us, util_now_us(), wa->conf.window_s)) {
		/* Only template messages may go out now, and a reply is not one. */
		metrics_inc(wa->m_window, 1);
		log_write(LOG_WARN, trace, it->sid,
			  "WhatsApp reply not sent: outside the 24-hour customer-service window");
		return;
	}
	json_t *msgs = reply_messages(it->data, it->len);
	size_t i;
	json_t *m;
	json_array_foreach(msgs, i, m)
	{
		char *mj = json_dumps(m, JSON_COMPACT);
		char *body = graph_message_body(mj, strlen(mj), to, errstr, sizeof(errstr));
		free(mj);
		long status = 0;
		int attempts = 0;
		int64_t t0 = util_mono_us();
		int rc = body ? graph_send(wa->graph, pnid, body, &wa->stop, &status, &attempts, errstr, sizeof(errstr))
			      : -1;
		free(body);
		if (attempts > 1)
			metrics_inc(wa->m_retries, (uint64_t)(attempts - 1));
		if (rc) {
			metrics_inc(wa->m_send_failed, 1);
			log_write(LOG_ERROR, trace, it->sid, "WhatsApp message %zu of %zu not sent after %d tries: %s", i + 1,
				  json_array_size(msgs), attempts, errstr);
			break; /* the rest would arrive out of order */
		}
		metrics_observe_us(wa->m_send_time, util_mono_us() - t0);
		metrics_inc(wa->m_sent, 1);
	}
	json_decref(msgs);
}

static void *sender_main(void *arg)
{
	struct wa *wa = arg;
	while (!wa->stop) {
		struct qitem *it = q_pop(&wa->outbox);
		if (!it)
			continue;
		send_reply(wa, it);
		item_free(it);
	}
	return NULL;
}

struct wa *wa_new(const struct wa_conf *conf, struct wa_io io)
{
	char errstr[256];
	if (!*conf->verify_token || !*conf->app_secret || !*conf->access_token) {
		log_info("WhatsApp channel off: WHATSAPP_VERIFY_TOKEN, WHATSAPP_APP_SECRET and WHATSAPP_ACCESS_TOKEN "
			 "are not all set");
		return NULL;
	}
	struct credis *rin = NULL, *rout = NULL;
	if (!io.store) {
		rin = credis_new(conf->redis_url, 1000, errstr, sizeof(errstr));
		rout = rin ? credis_new(conf->redis_url, 1000, errstr, sizeof(errstr)) : NULL;
		if (!rout) {
			log_error("WhatsApp channel off: REDIS_URL: %s", errstr);
			credis_free(rin);
			return NULL;
		}
	}
	struct wa *wa = xcalloc(1, sizeof(*wa));
	wa->conf = *conf;
	wa->io = io;
	wa->redis_in = rin;
	wa->redis_out = rout;
	if (io.store) {
		wa->in = wa->out = *io.store;
	} else {
		wa->in = (struct wa_store){ rs_claim, rs_unclaim, rs_remember, rs_lookup, rin };
		wa->out = (struct wa_store){ rs_claim, rs_unclaim, rs_remember, rs_lookup, rout };
	}
	struct graph_conf gc = { conf->graph_base, conf->api_version, conf->access_token, conf->timeout_ms,
				 conf->max_attempts, conf->backoff_ms };
	wa->graph = graph_new(&gc);
	q_init(&wa->inbox, conf->queue_max);
	q_init(&wa->outbox, conf->queue_max);
	const char *wh = "gateway_whatsapp_webhooks_total", *whh = "WhatsApp webhook requests by result";
	wa->m_accepted = counter(wh, whh, "result=\"accepted\"");
	wa->m_bad_sig = counter(wh, whh, "result=\"bad_signature\"");
	wa->m_too_large = counter(wh, whh, "result=\"too_large\"");
	wa->m_full = counter(wh, whh, "result=\"queue_full\"");
	wa->m_malformed = counter(wh, whh, "result=\"malformed\"");
	const char *mn = "gateway_whatsapp_messages_total", *mh = "WhatsApp customer messages by outcome";
	wa->m_enqueued = counter(mn, mh, "result=\"enqueued\"");
	wa->m_dupes = counter(mn, mh, "result=\"duplicate\"");
	wa->m_unsupported = counter(mn, mh, "result=\"unsupported\"");
	wa->m_invalid = counter(mn, mh, "result=\"invalid\"");
	wa->m_failed = counter(mn, mh, "result=\"enqueue_failed\"");
	wa->m_no_dedupe = counter("gateway_whatsapp_dedupe_unavailable_total",
				  "WhatsApp messages processed without dedupe (Redis unreachable)", "");
	wa->m_statuses = counter("gateway_whatsapp_statuses_total", "WhatsApp delivery statuses ignored", "");
	const char *sn = "gateway_whatsapp_sends_total", *sh = "WhatsApp messages sent through the Graph API";
	wa->m_sent = counter(sn, sh, "result=\"ok\"");
	wa->m_send_failed = counter(sn, sh, "result=\"failed\"");
	wa->m_retries = counter("gateway_whatsapp_send_retries_total", "Graph API requests tried again", "");
	wa->m_window = counter("gateway_whatsapp_window_closed_total",
			       "WhatsApp replies not sent: outside the 24-hour customer-service window", "");
	wa->m_reply_dupes = counter("gateway_whatsapp_duplicate_replies_total", "Replayed WhatsApp replies dropped", "");
	wa->m_reply_dropped = counter("gateway_whatsapp_replies_dropped_total",
				      "WhatsApp replies dropped because the send queue was full", "");
	wa->m_send_time = metrics_histogram("gateway_whatsapp_send_seconds", "Time to send one WhatsApp message", "");
	pthread_create(&wa->worker_tid, NULL, worker_main, wa);
	pthread_create(&wa->sender_tid, NULL, sender_main, wa);
	log_info("WhatsApp channel on: webhook %s, replies through %s/%s", WA_WEBHOOK_PATH, conf->graph_base,
		 conf->api_version);
	return wa;
}

void wa_stop(struct wa *wa)
{
	if (!wa || wa->joined)
		return;
	wa->stop = 1;
	pthread_join(wa->worker_tid, NULL);
	pthread_join(wa->sender_tid, NULL);
	wa->joined = 1;
}

void wa_free(struct wa *wa)
{
	if (!wa)
		return;
	wa_stop(wa);
	long lost = q_drain(&wa->inbox) + q_drain(&wa->outbox);
	if (lost)
		log_warn("WhatsApp: %ld queued webhook(s) or repl(ies) dropped at shutdown", lost);
	graph_free(wa->graph);
	credis_free(wa->redis_in);
	credis_free(wa->redis_out);
	free(wa);
}

int wa_is_webhook(const char *url)
{
	return !strcmp(url, WA_WEBHOOK_PATH);
}

size_t wa_max_body(const struct wa *wa)
{
	return wa ? (size_t)wa->conf.max_body : 262144;
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, const char *type, const char *body)
{
	struct MHD_Response *rsp =
	    MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(rsp, "Content-Type", type);
	MHD_add_response_header(rsp, "Cache-Control", "no-store");
	enum MHD_Result r = MHD_queue_response(conn, status, rsp);
	MHD_destroy_response(rsp);
	char labels[32];
	snprintf(labels, sizeof(labels), "code=\"%u\"", status);
	metrics_inc(metrics_counter("gateway_http_requests_total", "REST requests by status", labels), 1);
	return r;
}

static enum MHD_Result answer_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	json_t *j = json_pack("{s:s}", "error", msg);
	char *body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	enum MHD_Result r = answer(conn, status, "application/json", body);
	free(body);
	return r;
}

/* Equal strings, in time independent of where they differ. */
static int same_secret(const char *a, const char *b)
{
	unsigned char da[32], db[32];
	unsigned int n = 0;
	EVP_Digest(a, strlen(a), da, &n, EVP_sha256(), NULL);
	EVP_Digest(b, strlen(b), db, &n, EVP_sha256(), NULL);
	return CRYPTO_memcmp(da, db, 32) == 0;
}

static enum MHD_Result handshake(struct wa *wa, struct MHD_Connection *conn)
{
	const char *mode = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "hub.mode");
	const char *token = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "hub.verify_token");
	const char *challenge = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "hub.challenge");
	if (!mode || strcmp(mode, "subscribe") || !token || !same_secret(token, wa->conf.verify_token))
		return answer_error(conn, MHD_HTTP_FORBIDDEN, "hub.mode must be subscribe and hub.verify_token must match");
	if (!challenge || strlen(challenge) > 1024)
		return answer_error(conn, MHD_HTTP_BAD_REQUEST, "hub.challenge is missing or too long");
	return answer(conn, MHD_HTTP_OK, "text/plain", challenge);
}

enum MHD_Result wa_http_handle(struct wa *wa, struct MHD_Connection *conn, const char *method, const char *body,
			       size_t len, int too_large)
{
	char errstr[128];
	if (!wa)
		return answer_error(conn, MHD_HTTP_NOT_FOUND,
				    "the WhatsApp webhook is not configured on this gateway (set WHATSAPP_VERIFY_TOKEN, "
				    "WHATSAPP_APP_SECRET and WHATSAPP_ACCESS_TOKEN)");
	if (!strcmp(method, "GET"))
		return handshake(wa, conn);
	if (strcmp(method, "POST"))
		return answer_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET to verify or POST to notify");
	if (too_large) {
		metrics_inc(wa->m_too_large, 1);
		snprintf(errstr, sizeof(errstr), "body is over the %ld-byte limit", wa->conf.max_body);
		return answer_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, errstr);
	}
	/* The raw bytes, before anything parses them. */
	const char *sig = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, WA_SIGNATURE_HEADER);
	int v = wa_verify_signature(wa->conf.app_secret, body ? body : "", len, sig);
	if (v) {
		metrics_inc(wa->m_bad_sig, 1);
		log_warn("WhatsApp webhook refused: %s", v == -1 ? "missing or malformed " WA_SIGNATURE_HEADER
								   : WA_SIGNATURE_HEADER " does not match the body");
		return answer_error(conn, MHD_HTTP_UNAUTHORIZED,
				    v == -1 ? "missing or malformed X-Hub-Signature-256 (want sha256=<64 hex digits>)"
					    : "X-Hub-Signature-256 does not match the body");
	}
	struct qitem *it = xcalloc(1, sizeof(*it));
	it->data = xmalloc(len + 1);
	memcpy(it->data, body ? body : "", len);
	it->data[len] = '\0';
	it->len = len;
	if (q_push(&wa->inbox, it)) {
		/* Meta retries what is not acknowledged: nothing is lost. */
		metrics_inc(wa->m_full, 1);
		return answer_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "busy: webhook queue full, retry later");
	}
	metrics_inc(wa->m_accepted, 1);
	return answer(conn, MHD_HTTP_OK, "application/json", "{\"status\":\"received\"}");
}

void wa_reply(struct wa *wa, const Chat__Turn *turn)
{
	if (!wa) {
		log_write(LOG_WARN, turn->trace_id, turn->session_id,
			  "WhatsApp reply dropped: the WhatsApp channel is off on this gateway");
		return;
	}
	if (!turn->rendered || !turn->rendered->payload.len) {
		log_write(LOG_WARN, turn->trace_id, turn->session_id, "WhatsApp reply without a rendered payload dropped");
		return;
	}
	struct qitem *it = xcalloc(1, sizeof(*it));
	it->is_reply = 1;
	it->data = xstrndup((const char *)turn->rendered->payload.data, turn->rendered->payload.len);
	it->len = strlen(it->data);
	util_strlcpy(it->sid, turn->session_id, sizeof(it->sid));
	util_strlcpy(it->turn_id, turn->turn_id, sizeof(it->turn_id));
	util_strlcpy(it->trace_id, turn->trace_id, sizeof(it->trace_id));
	if (q_push(&wa->outbox, it)) {
		metrics_inc(wa->m_reply_dropped, 1);
		log_write(LOG_ERROR, turn->trace_id, turn->session_id, "WhatsApp reply dropped: the send queue is full");
	}
}
